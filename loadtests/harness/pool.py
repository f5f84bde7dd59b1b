"""The payload pool: the course's test split as client-ready dicts, in a seeded order, written
once to a JSON file every locust process reads (building it reads and splits the data with
pandas and scikit-learn: seconds, and nothing the load generator should import)."""

from __future__ import annotations

import random
from pathlib import Path

from loadtests.generator.payloads import Pool, save_pool

POOL_SEED = 7


def build_pool(seed: int = POOL_SEED) -> Pool:
    from shared.settings import get_settings
    from shared.training.data import load_raw
    from shared.training.features import prepare, to_records

    raw = load_raw(get_settings())
    records = to_records(prepare(raw.frame).test)
    random.Random(seed).shuffle(records)
    return Pool(records, raw.source, raw.sha256, "test", seed)


def ensure_pool(path: Path, seed: int = POOL_SEED) -> Path:
    if not path.exists():
        save_pool(build_pool(seed), path)
    return path
