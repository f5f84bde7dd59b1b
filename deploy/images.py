"""Build the project's three images from small staged contexts; skip the ones up to date.

    python deploy/images.py [--base-image python:3.11-slim] [--tag dev] [flask bento locust]
                                                                     (make images)

For each image a context is staged under deploy/.cache/context/<image>/ that mirrors the repo
layout but holds only what the image needs (the repo itself holds a .venv, data, models and
stores that must not be sent to the engine):

- flask:  the serving core (shared/*.py: not shared/training or shared/tools), flask_app/,
          the served artifact (+ sidecar, CURRENT), the lock.
- bento:  the bento `make bento-build` makes (bento_app.build), exported with its model by
          `bentoml export` to bento.bento; the lock.
- locust: loadtests/, shared/ (the core and shared/training, which builds the payload pool
          when no pool file is given), a payload pool built here from the data (the image
          carries no data set), the dev lock (locust is a dev dependency).

Every image installs from wheels/, a hash-checked wheelhouse downloaded on the host from the
repo's locks (`pip download --require-hashes`), because a build cannot count on reaching the
package index (here it can't: only through a TLS-intercepting proxy). Each image is labelled
with a fingerprint of its inputs (files, lock, base image id, build args); an image whose
label matches is reused as is, so a second `make images` builds nothing, and the bento is
only rebuilt when the code, the lock or the model changed.

Writes deploy/.cache/images.json (image tags, ids, sizes, model and bento tags), which
tests/compose reads, and prints the images' sizes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from packaging.markers import Marker  # noqa: E402

from deploy.lock_subset import normalize, parse, subset  # noqa: E402
from shared import artifact  # noqa: E402
from shared.settings import PROJECT_ROOT, Settings, get_settings  # noqa: E402

CACHE = PROJECT_ROOT / "deploy" / ".cache"
WHEELS = CACHE / "wheels"
CONTEXTS = CACHE / "context"
MANIFEST = CACHE / "images.json"
PREFIX = "credit-risk"
FINGERPRINT_LABEL = "credit-risk.inputs"
# The locust image: locust and what the load generator imports (the payload pool is built on
# the host: no pandas, scikit-learn, xgboost, Flask or BentoML in the image).
LOCUST_ROOTS = ("locust", "numpy", "pydantic-settings")
# The load generator's code: what locust imports (loadtests.generator's light imports only).
LOCUST_CODE = (
    "loadtests/__init__.py",
    "loadtests/core/*.py",
    "loadtests/scenarios/*.py",
    "loadtests/generator/*.py",
    "loadtests/locustfiles/*.py",
    "loadtests/harness/__init__.py",
    "loadtests/harness/fingerprint.py",
)
# What the Flask server does not import: BentoML, and pandas (training only). A serving-path
# import of either would fail the image's health check, so `make test-compose` catches it.
FLASK_WITHOUT = ("bentoml", "pandas")
# The serving core: shared/'s top-level modules. Training (shared/training) and the tools
# (shared/tools) never go into a server image; tests/test_serving_core.py checks it.
CODE = ("shared/*.py",)


@dataclass
class Context:
    """One image's build context: files by their path inside the context."""

    image: str
    dockerfile: str
    files: dict[str, Path | bytes] = field(default_factory=dict)
    requirements: str = ""  # the lock text the wheels must cover
    build_args: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, Path | bytes] = field(default_factory=dict)  # fingerprinted, not staged

    def add(self, patterns: Iterable[str], staged: bool = True) -> None:
        """Stage (or only fingerprint) the repo files matching ``patterns``.

        A pattern to stage must match; an input pattern may not (bento_app.build's INCLUDE
        lists optional files)."""
        into = self.files if staged else self.inputs
        for pattern in patterns:
            matches = sorted(p for p in PROJECT_ROOT.glob(pattern) if p.is_file())
            if not matches and staged:
                raise SystemExit(f"images.py: nothing matches {pattern!r} in the repo")
            for path in matches:
                into[path.relative_to(PROJECT_ROOT).as_posix()] = path

    def fingerprint(self, base_id: str) -> str:
        digest = hashlib.sha256()
        for key in [self.dockerfile, base_id, json.dumps(self.build_args, sort_keys=True)]:
            digest.update(key.encode() + b"\0")
        digest.update(hashlib.sha256(self.requirements.encode()).digest())
        for kind, files in (("staged", self.files), ("input", self.inputs)):
            for name in sorted(files):
                source = files[name]
                data = source if isinstance(source, bytes) else source.read_bytes()
                digest.update(f"{kind}:{name}".encode() + b"\0" + hashlib.sha256(data).digest())
        return digest.hexdigest()[:16]


# --- docker ------------------------------------------------------------------------------


def docker(*args: str, capture: bool = False) -> str:
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}  # classic builder: no buildx needed
    done = subprocess.run(
        ["docker", *args],
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return (done.stdout or "").strip() if capture else ""


def image_label(ref: str, label: str) -> str | None:
    """A label of a local image; None if there is no such image (or label)."""
    done = subprocess.run(
        ["docker", "image", "inspect", ref, "--format", f'{{{{index .Config.Labels "{label}"}}}}'],
        capture_output=True,
        text=True,
    )
    value = done.stdout.strip()
    return value if done.returncode == 0 and value not in ("", "<no value>") else None


def image_facts(ref: str) -> dict:
    info = json.loads(docker("image", "inspect", ref, capture=True))[0]
    return {
        "ref": ref,
        "id": info["Id"],
        "size_bytes": info["Size"],
        "user": info["Config"]["User"],
    }


# --- wheelhouse --------------------------------------------------------------------------


def ensure_wheels(requirements: Iterable[str], python: str) -> None:
    """Download every pinned file of each requirements text once (hash-checked by pip)."""
    for text in sorted(set(requirements)):
        WHEELS.mkdir(parents=True, exist_ok=True)
        stamp = WHEELS / f".stamp-{hashlib.sha256(text.encode()).hexdigest()[:16]}"
        if stamp.exists():
            continue
        req = stamp.with_suffix(".txt")
        req.write_text(text)
        print(f"images.py: downloading wheels for {req.name} into {WHEELS}", flush=True)
        subprocess.run(
            [
                python,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--disable-pip-version-check",
                "--require-hashes",
                "--only-binary=:all:",
                "--no-deps",
                "--dest",
                str(WHEELS),
                "-r",
                str(req),
            ],
            check=True,
        )
        stamp.touch()


def wheels_for(requirements: str) -> list[Path]:
    """The wheelhouse files the pins of ``requirements`` name (one or more per pin)."""
    pins = set()
    for name, entry in parse(requirements).items():
        spec = entry.lines[0].rstrip().rstrip("\\").strip()
        pin, _, marker = spec.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate():
            continue  # not for this platform: pip download skipped it too
        pins.add((name, pin.split("==", 1)[1].strip()))
    chosen = []
    for wheel in WHEELS.glob("*.whl"):
        dist, version = wheel.name.split("-")[:2]
        if (normalize(dist), version) in pins:
            chosen.append(wheel)
    found = {(normalize(w.name.split("-")[0])) for w in chosen}
    missing = {name for name, _ in pins} - found
    if missing:
        raise SystemExit(f"images.py: no wheel for {', '.join(sorted(missing))} in {WHEELS}")
    return sorted(chosen)


# --- contexts ----------------------------------------------------------------------------


def flask_context(settings: Settings) -> Context:
    path = artifact.resolve_path(settings)
    meta = artifact.read_metadata(path)
    ctx = Context("flask", "flask_app/Dockerfile")
    ctx.add([*CODE, "flask_app/*.py", "flask_app/Dockerfile", "requirements.lock"])
    ctx.add(["deploy/lock_subset.py", "deploy/healthcheck.py"])
    ctx.files[f"models/{path.name}"] = path
    ctx.files[f"models/{artifact.sidecar_path(path).name}"] = artifact.sidecar_path(path)
    ctx.files[f"models/{artifact.CURRENT_FILE}"] = f"{meta['version']}\n".encode()
    ctx.requirements = subset(
        (PROJECT_ROOT / "requirements.lock").read_text(), without=set(FLASK_WITHOUT)
    )
    ctx.build_args = {"MODEL_VERSION": meta["version"], "LOCK_WITHOUT": " ".join(FLASK_WITHOUT)}
    return ctx


def bento_context(settings: Settings) -> Context:
    """The bento's inputs; the bento itself is built and exported only if the image is stale."""
    from bento_app.build import INCLUDE

    path = artifact.resolve_path(settings)
    meta = artifact.read_metadata(path)
    ctx = Context("bento", "bento_app/Dockerfile")
    ctx.add(["bento_app/Dockerfile", "requirements.lock"])
    ctx.add(["deploy/healthcheck.py", "deploy/bento_entrypoint.py"])
    # What goes into the bento decides whether the bento (and so the image) must be rebuilt.
    ctx.add(["bento_app/build.py", *INCLUDE], staged=False)
    ctx.inputs["model.sha256"] = meta["sha256"].encode()
    ctx.requirements = (PROJECT_ROOT / "requirements.lock").read_text()
    ctx.build_args = {"MODEL_TAG": f"{meta['name']}:{meta['version']}"}
    return ctx


def export_bento(settings: Settings, ctx: Context, into: Path) -> None:
    """Build the bento (code + lock + pinned model version) and export it with its model."""
    from bento_app.build import build

    bento = build(settings)
    target = into / "bento.bento"
    target.unlink(missing_ok=True)
    bentoml = Path(sys.executable).with_name("bentoml")
    subprocess.run([str(bentoml), "export", str(bento.tag), str(target)], check=True)
    ctx.build_args["BENTO_TAG"] = str(bento.tag)
    print(f"images.py: exported {bento.tag} with its model to {target}", flush=True)


def locust_context() -> Context:
    """What runs inside locust (loadtests' core, scenarios, generator, the locustfile), the
    serving contract it checks against (shared/*.py), and the payload pool built here (the
    image carries no data set and no model stack)."""
    from loadtests.generator.payloads import save_pool
    from loadtests.harness.pool import build_pool

    ctx = Context("locust", "deploy/locust.Dockerfile")
    ctx.add([*CODE, *LOCUST_CODE])
    ctx.add(["deploy/locust.Dockerfile", "deploy/lock_subset.py", "requirements-dev.lock"])
    pool_file = CACHE / "pool.json"
    save_pool(build_pool(), pool_file)
    ctx.files["pool.json"] = pool_file.read_bytes()
    dev_lock = (PROJECT_ROOT / "requirements-dev.lock").read_text()
    ctx.requirements = subset(dev_lock, set(LOCUST_ROOTS))
    ctx.build_args = {"LOCUST_ROOTS": " ".join(LOCUST_ROOTS)}
    return ctx


def stage(ctx: Context, into: Path) -> None:
    """Write the context fresh: files 0644 (readable by the images' non-root user)."""
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    for name, source in ctx.files.items():
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, bytes):
            target.write_bytes(source)
        else:
            shutil.copyfile(source, target)
        target.chmod(0o644)
    wheels = into / "wheels"
    wheels.mkdir()
    for wheel in wheels_for(ctx.requirements):
        os.link(wheel, wheels / wheel.name)


# --- main --------------------------------------------------------------------------------


def build_image(ctx: Context, ref: str, base_image: str, base_id: str, settings: Settings) -> dict:
    fingerprint = ctx.fingerprint(base_id)
    if image_label(ref, FINGERPRINT_LABEL) == fingerprint:
        print(f"images.py: {ref} is up to date ({fingerprint})", flush=True)
        return image_facts(ref) | {"fingerprint": fingerprint, "built": False}
    into = CONTEXTS / ctx.image
    stage(ctx, into)
    if ctx.image == "bento":
        export_bento(settings, ctx, into)  # adds bento.bento and the BENTO_TAG build arg
    args = [f"--build-arg=BASE_IMAGE={base_image}"]
    args += [f"--build-arg={k}={v}" for k, v in ctx.build_args.items()]
    print(f"images.py: building {ref} (inputs {fingerprint})", flush=True)
    docker(
        "build",
        "--force-rm",  # no stopped containers left behind by a failed step
        "--label",
        f"{FINGERPRINT_LABEL}={fingerprint}",
        *args,
        "-f",
        str(into / ctx.dockerfile),
        "-t",
        ref,
        str(into),
    )
    return image_facts(ref) | {"fingerprint": fingerprint, "built": True}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("images", nargs="*", default=["flask", "bento", "locust"])
    parser.add_argument("--base-image", default=os.environ.get("BASE_IMAGE", "python:3.11-slim"))
    parser.add_argument("--tag", default=os.environ.get("CREDIT_IMAGE_TAG", "dev"))
    parser.add_argument(
        "--python",
        default=os.environ.get("PYTHON", "python3"),
        help="interpreter whose pip downloads the wheels",
    )
    args = parser.parse_args(argv)

    # Pin the model version once: every image of this run serves the same artifact even if
    # models/CURRENT changes meanwhile (a `make train` / promote in another shell).
    settings = get_settings()
    settings = settings.model_copy(update={"model_version": artifact.resolve_version(settings)})
    base_id = docker("image", "inspect", args.base_image, "--format", "{{.Id}}", capture=True)
    makers = {
        "flask": lambda: flask_context(settings),
        "bento": lambda: bento_context(settings),
        "locust": locust_context,
    }
    contexts = [makers[name]() for name in args.images]
    refs = {ctx.image: f"{PREFIX}-{ctx.image}:{args.tag}" for ctx in contexts}
    stale = [
        ctx
        for ctx in contexts
        if image_label(refs[ctx.image], FINGERPRINT_LABEL) != ctx.fingerprint(base_id)
    ]
    ensure_wheels([ctx.requirements for ctx in stale], args.python)  # only what gets built

    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    manifest.setdefault("images", {})
    meta = artifact.read_metadata(artifact.resolve_path(settings))
    manifest.update(
        base_image=args.base_image,
        tag=args.tag,
        model_version=meta["version"],
        model_file=str(artifact.resolve_path(settings)),
    )
    for ctx in contexts:
        ref = refs[ctx.image]
        facts = build_image(ctx, ref, args.base_image, base_id, settings)
        bento_tag = image_label(ref, "credit-risk.bento-tag")
        manifest["images"][ctx.image] = facts | ({"bento_tag": bento_tag} if bento_tag else {})
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
    # Rebuilt images leave their predecessors untagged: drop those (ours only, by label).
    docker("image", "prune", "--force", "--filter", f"label={FINGERPRINT_LABEL}", capture=True)

    print(f"\n{'image':32} {'size':>9}  user")
    for facts in manifest["images"].values():
        print(f"{facts['ref']:32} {facts['size_bytes'] / 1e6:7.0f} MB  {facts['user']}")


if __name__ == "__main__":
    main()
