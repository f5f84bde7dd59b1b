"""The model artifact: ONE pickle plus a JSON metadata sidecar, kept side by side by version.

Layout under ``settings.model_dir``::

    credit_risk_model-<version>.bin    pickle of (DictVectorizer, xgboost.Booster), the course's way
    credit_risk_model-<version>.json   metadata: sha256, data, metrics, params, library versions
    CURRENT                            the version the servers serve by default

The version is a prefix of the pickle's sha256, so the same bytes always get the same version
(valid as a BentoML model version). Loading checks the pickle's sha256 against the sidecar
BEFORE unpickling: unpickling runs code, so an unverified file is never opened.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import platform
import tempfile
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from shared.settings import Settings

VERSION_LENGTH = 12
CURRENT_FILE = "CURRENT"
# The libraries whose versions decide whether the pickle loads and predicts the same.
TRACKED_LIBRARIES = ("numpy", "scikit-learn", "xgboost")
_DISTRIBUTIONS = {"xgboost": ("xgboost", "xgboost-cpu")}


class ArtifactError(RuntimeError):
    """The artifact is missing, tampered with, or does not match its metadata."""


class VersionMismatchWarning(UserWarning):
    """Installed library versions differ from the ones the artifact was trained with."""


@dataclass(frozen=True)
class Artifact:
    vectorizer: Any  # sklearn DictVectorizer
    booster: Any  # xgboost.Booster
    metadata: dict[str, Any]

    @property
    def version(self) -> str:
        return self.metadata["version"]


def installed_versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for library in TRACKED_LIBRARIES:
        for dist in _DISTRIBUTIONS.get(library, (library,)):
            try:
                found[library] = version(dist)
                break
            except PackageNotFoundError:
                continue
        else:
            found[library] = "not installed"
    return found


def version_mismatches(recorded: dict[str, str]) -> dict[str, tuple[str, str]]:
    """{library: (recorded, installed)} for every tracked library that differs.

    Python counts by major.minor only (patch releases do not change pickles).
    """
    installed = installed_versions()
    diffs = {}
    for library, wanted in recorded.items():
        have = installed.get(library)
        if library == "python":
            wanted, have = ".".join(wanted.split(".")[:2]), ".".join((have or "").split(".")[:2])
        if have != wanted:
            diffs[library] = (wanted, have or "not installed")
    return diffs


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def bin_path(model_dir: Path, name: str, version: str) -> Path:
    return model_dir / f"{name}-{version}.bin"


def sidecar_path(artifact_path: Path) -> Path:
    return artifact_path.with_suffix(".json")


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(
    vectorizer: Any,
    booster: Any,
    metadata: dict[str, Any],
    model_dir: Path,
    name: str,
) -> tuple[Path, dict[str, Any]]:
    """Pickle (vectorizer, booster); write it and its sidecar. Returns (path, full metadata).

    Saving bytes that already exist is a no-op for the pickle (same content, same version);
    the sidecar is rewritten only if it is missing.
    """
    payload = pickle.dumps((vectorizer, booster), protocol=5)
    digest = sha256_bytes(payload)
    ver = digest[:VERSION_LENGTH]
    path = bin_path(model_dir, name, ver)
    full = {
        "name": name,
        "version": ver,
        "file": path.name,
        "sha256": digest,
        "created_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        **metadata,
        "libraries": installed_versions(),
    }
    side = sidecar_path(path)
    if path.exists() and side.exists():
        return path, json.loads(side.read_text())
    _atomic_write(path, payload)
    _atomic_write(side, (json.dumps(full, indent=2, sort_keys=True) + "\n").encode())
    return path, full


def read_metadata(artifact_path: Path) -> dict[str, Any]:
    side = sidecar_path(artifact_path)
    if not side.exists():
        raise ArtifactError(
            f"{artifact_path}: metadata sidecar {side.name} is missing; refusing to unpickle an "
            "artifact whose checksum cannot be verified."
        )
    try:
        return json.loads(side.read_text())
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{side}: unreadable metadata ({exc})") from exc


def load(artifact_path: Path) -> Artifact:
    """Verify, then unpickle. Raises ArtifactError; warns VersionMismatchWarning."""
    artifact_path = Path(artifact_path)
    metadata = read_metadata(artifact_path)
    if not artifact_path.exists():
        raise ArtifactError(f"{artifact_path} does not exist; run `make train`.")
    payload = artifact_path.read_bytes()
    digest = sha256_bytes(payload)
    if digest != metadata.get("sha256"):
        raise ArtifactError(
            f"{artifact_path}: sha256 {digest} does not match the sidecar's "
            f"{metadata.get('sha256')}; refusing to unpickle a file that was changed."
        )
    diffs = version_mismatches(metadata.get("libraries", {}))
    if diffs:
        detail = ", ".join(
            f"{lib} trained {old} / installed {new}" for lib, (old, new) in diffs.items()
        )
        warnings.warn(
            f"model {metadata.get('version')} was saved with other library versions ({detail}); "
            "predictions may differ or loading may break.",
            VersionMismatchWarning,
            stacklevel=2,
        )
    vectorizer, booster = pickle.loads(payload)  # noqa: S301 - verified against the sidecar above
    return Artifact(vectorizer, booster, metadata)


# --- versions on disk ---------------------------------------------------------------------


def set_current(model_dir: Path, ver: str) -> None:
    _atomic_write(model_dir / CURRENT_FILE, f"{ver}\n".encode())


def current_version(model_dir: Path) -> str | None:
    marker = model_dir / CURRENT_FILE
    return marker.read_text().strip() or None if marker.exists() else None


def resolve_version(settings: Settings) -> str:
    """The version to serve: the explicit setting, else CURRENT. Never a guess."""
    ver = settings.model_version or current_version(settings.model_dir)
    if not ver:
        raise ArtifactError(
            f"no model version chosen: set CREDIT_MODEL_VERSION or run `make train` "
            f"(which records one in {settings.model_dir / CURRENT_FILE})."
        )
    return ver


def resolve_path(settings: Settings) -> Path:
    return bin_path(settings.model_dir, settings.model_name, resolve_version(settings))


def promote(settings: Settings, ver: str) -> dict[str, Any]:
    """Make ``ver`` CURRENT after checking it loads; returns its metadata.

    Raises ArtifactError (CURRENT unchanged) for a missing or tampered artifact.
    """
    loaded = load(bin_path(settings.model_dir, settings.model_name, ver))
    set_current(settings.model_dir, ver)
    return loaded.metadata


def list_versions(model_dir: Path, name: str) -> list[dict[str, Any]]:
    """Metadata of every artifact on disk, oldest first."""
    found = []
    for side in model_dir.glob(f"{name}-*.json"):
        try:
            found.append(json.loads(side.read_text()))
        except json.JSONDecodeError:
            continue
    return sorted(found, key=lambda m: (m.get("created_at", ""), m.get("version", "")))
