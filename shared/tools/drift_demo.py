"""Dependency drift, demonstrated (make drift-demo).

Builds side virtualenvs with deliberately different scikit-learn / xgboost versions, loads
the SAME pickle there the way the course's Flask app does (plain ``pickle.load``), scores the
real test rows, and compares with this repo's locked environment: warnings, errors, changed
probabilities. Then shows the two guards: the shared loader's version check, and the bento's
pinned environment. Writes reports/drift/drift-report.md (+ .json) and prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from shared import artifact
from shared.settings import PROJECT_ROOT, get_settings
from shared.training.data import load_raw
from shared.training.features import prepare, to_records

PROBE = Path(__file__).with_name("drift_probe.py")  # run as a script in the side venvs
CACHE = PROJECT_ROOT / ".cache" / "drift"
DECISION_EDGES = (0.25, 0.5)


@dataclass(frozen=True)
class DriftEnv:
    name: str
    story: str
    packages: tuple[str, ...]


# Older versions that install on Python 3.11 here. The lock already holds the newest
# scikit-learn and xgboost the package index serves, so there is no newer one to try.
ENVIRONMENTS = (
    DriftEnv(
        "course-era",
        "the stack of the course's 2023 videos",
        ("scikit-learn==1.3.2", "xgboost==1.7.6", "numpy==1.26.4"),
    ),
    DriftEnv("older-scikit-learn", "one library behind", ("scikit-learn==1.5.2", "xgboost-cpu")),
    DriftEnv("older-xgboost", "the other library behind", ("scikit-learn", "xgboost-cpu==2.1.4")),
)
GUARD_PACKAGES = ("pydantic-settings",)  # lets the probe call shared.artifact.load


def uv_binary() -> str:
    """The uv pinned in requirements-dev.lock, beside this interpreter (never a global one)."""
    found = Path(sys.executable).parent / "uv"
    if not found.exists():
        raise SystemExit(f"{found} not found: run `make setup` first")
    return str(found)


def locked_versions(lock: Path) -> dict[str, str]:
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", lock.read_text(), flags=re.M))


def resolve_packages(env: DriftEnv, locked: dict[str, str]) -> list[str]:
    """Unpinned names take the repo lock's version, so only the named library drifts."""
    return [p if "==" in p else f"{p}=={locked[p]}" for p in (*env.packages, *GUARD_PACKAGES)]


def ensure_env(env: DriftEnv, packages: list[str], python: str) -> Path:
    """A cached virtualenv with exactly these packages (rebuilt when the list changes)."""
    home = CACHE / env.name
    spec = home / "spec.txt"
    wanted = "\n".join(packages)
    if spec.exists() and spec.read_text() == wanted and (home / "bin" / "python").exists():
        return home / "bin" / "python"
    shutil.rmtree(home, ignore_errors=True)
    uv = uv_binary()
    subprocess.run([uv, "venv", "-q", "--python", python, str(home)], check=True)
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(home / "bin" / "python"), *packages],
        check=True,
    )
    spec.write_text(wanted)
    return home / "bin" / "python"


def probe(python: str, artifact_path: Path, rows_file: Path) -> dict:
    out = rows_file.with_name(f"probe-{abs(hash(python))}.json")
    done = subprocess.run(
        [python, str(PROBE), str(artifact_path), str(rows_file), str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        timeout=600,
    )
    if done.returncode != 0 or not out.exists():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {
            "versions": {},
            "course": {"error": f"the interpreter crashed: {last}", "warnings": []},
            "guard": {"warnings": [], "error": "not reached"},
        }
    result = json.loads(out.read_text())
    printed = [line for line in done.stdout.splitlines() if line.strip()]
    if printed:  # old xgboost writes its own warnings to stdout
        result["course"]["warnings"] += [f"stdout: {line[:200]}" for line in printed[:3]]
    return result


def compare(reference: list[float], other: list[float] | None) -> dict:
    if other is None:
        return {"max_abs_diff": None, "decisions_changed": None}
    diffs = [abs(a - b) for a, b in zip(reference, other, strict=True)]

    def band(p: float) -> int:
        return sum(p > edge for edge in DECISION_EDGES)

    changed = sum(band(a) != band(b) for a, b in zip(reference, other, strict=True))
    return {"max_abs_diff": max(diffs), "decisions_changed": changed}


def outcome(result: dict) -> str:
    course = result["course"]
    if course.get("error"):
        return "**error**"
    if course.get("warnings"):
        return "loads, with warnings"
    return "loads silently"


def guard_summary(guard: dict) -> str:
    if guard.get("error"):
        return f"refused: {guard['error']}"
    if guard.get("warnings"):
        diffs = ", ".join(
            f"{lib} {old}→{new}" for lib, (old, new) in guard.get("mismatches", {}).items()
        )
        return f"VersionMismatchWarning ({diffs})"
    return "no warning (versions match)"


def render(report: dict) -> str:
    meta, rows = report["artifact"], report["rows"]
    lines = [
        "# Dependency drift: the same pickle under other library versions",
        "",
        f"- date: {report['date']}; machine: {report['machine']}",
        f"- artifact `{meta['version']}` trained with python {meta['libraries']['python']}, "
        f"numpy {meta['libraries']['numpy']}, scikit-learn {meta['libraries']['scikit-learn']}, "
        f"xgboost {meta['libraries']['xgboost']} (its metadata sidecar)",
        f"- scored: the {rows} rows of the real test split ({report['data_source']} data)",
        "- loaded the course's way: `pickle.load` + `dv.transform` + `xgb.DMatrix` + `predict`",
        "",
        "| environment | numpy | scikit-learn | xgboost | course's way | max abs Δ probability "
        "| decisions changed | shared loader's guard |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in report["results"]:
        v = row["versions"]
        diff = row["diff"]
        delta = "—" if diff["max_abs_diff"] is None else f"{diff['max_abs_diff']:.2e}"
        changed = "—" if diff["decisions_changed"] is None else f"{diff['decisions_changed']}"
        guard_text = guard_summary(row["guard"])
        lines.append(
            f"| {row['name']} ({row['story']}) | {v.get('numpy', '?')} | "
            f"{v.get('scikit-learn', '?')} | {v.get('xgboost', '?')} | {outcome(row)} | {delta} "
            f"| {changed} | {guard_text} |"
        )
    lines += ["", "## What each environment printed when loading the pickle", ""]
    for row in report["results"]:
        course = row["course"]
        lines.append(
            f"- **{row['name']}**: "
            + ("; ".join(f"`{w}`" for w in course.get("warnings", [])) or "no warnings")
            + (f"; error `{course['error']}`" if course.get("error") else "")
        )
    bento = report["bento_lock"]
    lines += [
        "",
        "## The guards",
        "",
        "- **Shared loader** (`shared.artifact.load`, used by both servers): verifies the "
        "pickle's sha256 before unpickling and warns `VersionMismatchWarning` when installed "
        "versions differ from the sidecar's (last column).",
        f"- **Bento**: `make bento-build` installs from `requirements.lock`: numpy "
        f"{bento.get('numpy')}, scikit-learn {bento.get('scikit-learn')}, xgboost-cpu "
        f"{bento.get('xgboost-cpu')} — "
        + (
            "the artifact's versions exactly"
            if report["bento_matches"]
            else "**NOT** the artifact's versions"
        )
        + " (tests/test_versions.py checks the built bento's lock).",
        "- **Repo lock**: every package hash-pinned; `make setup` installs exactly it.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="dependency drift demo")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "drift")
    parser.add_argument("--python", default=f"{sys.version_info.major}.{sys.version_info.minor}")
    parser.add_argument("--only", nargs="*", help="environment names to run (default: all)")
    args = parser.parse_args(argv)

    settings = get_settings()
    artifact_path = artifact.resolve_path(settings)
    meta = artifact.read_metadata(artifact_path)
    raw = load_raw(settings)
    rows = to_records(prepare(raw.frame).test)
    locked = locked_versions(PROJECT_ROOT / "requirements.lock")

    with tempfile.TemporaryDirectory() as tmp:
        rows_file = Path(tmp) / "rows.json"
        rows_file.write_text(json.dumps(rows))
        reference = probe(sys.executable, artifact_path, rows_file)
        ref_probs = reference["course"]["probabilities"]
        results = [
            {
                "name": "repo lock",
                "story": "reference",
                **reference,
                "diff": compare(ref_probs, ref_probs),
            }
        ]
        for env in ENVIRONMENTS:
            if args.only and env.name not in args.only:
                continue
            print(f"drift-demo: preparing {env.name} ...", file=sys.stderr)
            python = ensure_env(env, resolve_packages(env, locked), args.python)
            result = probe(str(python), artifact_path, rows_file)
            result["diff"] = compare(ref_probs, result["course"].get("probabilities"))
            results.append({"name": env.name, "story": env.story, **result})

    bento_lock = {k: locked.get(k) for k in ("numpy", "scikit-learn", "xgboost-cpu")}
    libs = meta["libraries"]
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cpus, python {sys.version.split()[0]}",
        "artifact": meta,
        "rows": len(rows),
        "data_source": raw.source,
        "results": results,
        "bento_lock": bento_lock,
        "bento_matches": bento_lock
        == {
            "numpy": libs["numpy"],
            "scikit-learn": libs["scikit-learn"],
            "xgboost-cpu": libs["xgboost"],
        },
    }
    for row in report["results"]:
        row["course"].pop("probabilities", None)
    args.out.mkdir(parents=True, exist_ok=True)
    markdown = render(report)
    (args.out / "drift-report.md").write_text(markdown)
    (args.out / "drift-report.json").write_text(json.dumps(report, indent=2, default=str))
    print(markdown)
    print(f"written to {args.out / 'drift-report.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
