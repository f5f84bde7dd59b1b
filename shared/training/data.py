"""Getting the course's CreditScoring.csv: download once, verify the checksum, cache.

Order of preference:
1. ``CREDIT_DATA=path`` — an explicit file, used as given (its sha256 is recorded).
2. The cache ``<data_dir>/CreditScoring.csv`` — must match the known sha256.
3. A download from the public URL into the cache — must match the known sha256.
4. Offline with nothing cached: a clearly labelled synthetic stand-in (see ``synthetic``).

A checksum mismatch is always an error: a wrong file is never used silently.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from shared.settings import Settings

log = logging.getLogger(__name__)

CACHE_NAME = "CreditScoring.csv"


class DataError(RuntimeError):
    """The dataset could not be obtained or failed verification."""


class SyntheticDataWarning(UserWarning):
    """Training or serving uses the synthetic stand-in, not the course's data."""


@dataclass(frozen=True)
class RawData:
    frame: pd.DataFrame
    source: str  # "real", "override" or "synthetic"
    sha256: str
    origin: str  # where it came from, for humans


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path, expected: str) -> None:
    actual = sha256_of(path)
    if actual != expected:
        raise DataError(
            f"{path} has sha256 {actual}, expected {expected}. Refusing to use it: delete the "
            "file to download it again, or point CREDIT_DATA at a file you trust."
        )


def download(url: str, dest: Path, expected: str, timeout: float = 30.0) -> Path:
    """Download ``url`` to ``dest`` atomically; the file appears only if the checksum matches."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=".download-", suffix=".csv")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            while chunk := resp.read(1 << 16):
                out.write(chunk)
        verify(tmp, expected)
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def cached_path(settings: Settings) -> Path:
    return settings.data_dir / CACHE_NAME


def ensure_dataset(settings: Settings) -> Path | None:
    """Return the path of a verified course dataset, downloading it if needed.

    Returns None when offline with nothing cached (the caller decides on the fallback).
    """
    cache = cached_path(settings)
    if cache.exists():
        verify(cache, settings.data_sha256)
        return cache
    if settings.offline:
        return None
    try:
        log.info("downloading %s", settings.data_url)
        return download(settings.data_url, cache, settings.data_sha256)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        log.warning("could not download %s: %s", settings.data_url, exc)
        return None


def load_raw(settings: Settings) -> RawData:
    """The raw integer-coded CreditScoring table, with where it came from."""
    if settings.data is not None:
        path = Path(settings.data)
        if not path.exists():
            raise DataError(f"CREDIT_DATA={path} does not exist")
        return RawData(pd.read_csv(path), "override", sha256_of(path), str(path))
    path = ensure_dataset(settings)
    if path is not None:
        return RawData(pd.read_csv(path), "real", settings.data_sha256, settings.data_url)

    from shared.training.synthetic import SYNTHETIC_SEED, synthetic_frame

    warnings.warn(
        "The course's CreditScoring.csv is not cached and could not be downloaded: using a "
        "SYNTHETIC stand-in with the same schema. Metrics and predictions are NOT the course's.",
        SyntheticDataWarning,
        stacklevel=2,
    )
    frame = synthetic_frame()
    digest = hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
    return RawData(frame, "synthetic", digest, f"synthetic(seed={SYNTHETIC_SEED})")
