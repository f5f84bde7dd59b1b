"""Content fingerprints of code, for like-for-like checks (standard library only: the load
generator computes one of the modules it loaded)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from shared.settings import PROJECT_ROOT

SERVER_CODE = ("shared", "flask_app", "bento_app")


def files_fingerprint(paths: list[Path], root: Path = PROJECT_ROOT) -> str:
    """sha256 over (relative path, content) of the given files, in path order."""
    digest = hashlib.sha256()
    for path in sorted(set(paths)):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def server_code_fingerprint(root: Path = PROJECT_ROOT) -> str:
    """The Python code the servers run (committed or not)."""
    return files_fingerprint([p for d in SERVER_CODE for p in (root / d).rglob("*.py")], root)
