"""Request bodies: the payload pool (read from the file the harness writes) and invalid
variants of a valid application.

The pool is the course's test split, which the model never saw in training (built by
loadtests.harness.pool, which needs the data and the model stack; locust only reads it).
Each invalid kind breaks the contract in shared.schema in one way; tests check that the schema
rejects every one, so "invalid" is never a guess.
"""

from __future__ import annotations

import json
import random
import typing
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.schema import CreditApplication

JSON = "application/json"

INVALID_KINDS = (
    "missing_field",  # one of the 13 fields left out
    "wrong_type",  # a number sent as a string ("26")
    "unknown_category",  # a category the model was never trained on
    "negative_amount",  # amount < 0
    "json_list",  # a JSON list where an object is expected
    "malformed_json",  # truncated JSON text
    "non_json",  # text/plain (BentoML accepts form-encoded bodies: that would not be invalid)
    "empty_body",  # JSON content type, no body
    "huge_body",  # a valid application plus a 1 MiB unknown field
)
HUGE_FIELD_BYTES = 1 << 20
FIELDS = tuple(CreditApplication.model_fields)
CATEGORICAL = tuple(
    name
    for name, info in CreditApplication.model_fields.items()
    if typing.get_origin(info.annotation) is typing.Literal
)
NUMERICAL = tuple(name for name in FIELDS if name not in CATEGORICAL)
UNKNOWN_CATEGORIES = {
    "home": "castle",
    "marital": "complicated",
    "records": "maybe",
    "job": "astronaut",
}


@dataclass(frozen=True)
class Pool:
    records: list[dict[str, Any]]
    source: str  # "real", "override" or "synthetic" (where the data came from)
    data_sha256: str
    split: str
    seed: int

    def __post_init__(self) -> None:
        if not self.records:
            raise ValueError("the payload pool is empty")

    def describe(self) -> dict[str, Any]:
        return {
            "size": len(self.records),
            "source": self.source,
            "data_sha256": self.data_sha256,
            "split": self.split,
            "seed": self.seed,
        }


def save_pool(pool: Pool, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**pool.describe(), "records": pool.records}))
    return path


def load_pool(path: Path) -> Pool:
    data = json.loads(Path(path).read_text())
    return Pool(data["records"], data["source"], data["data_sha256"], data["split"], data["seed"])


def encode(record: Any) -> bytes:
    return json.dumps(record, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Body:
    data: bytes
    content_type: str


def invalid_body(kind: str, record: dict[str, Any], rng: random.Random) -> Body:
    """``record`` (a valid application) broken in the way ``kind`` names."""
    app = dict(record)
    if kind == "missing_field":
        del app[rng.choice(FIELDS)]
    elif kind == "wrong_type":
        field = rng.choice(NUMERICAL)
        app[field] = str(app[field])
    elif kind == "unknown_category":
        field = rng.choice(CATEGORICAL)
        app[field] = UNKNOWN_CATEGORIES[field]
    elif kind == "negative_amount":
        app["amount"] = -abs(app["amount"]) or -1
    elif kind == "json_list":
        return Body(encode([app]), JSON)
    elif kind == "malformed_json":
        return Body(encode(app)[:-7], JSON)
    elif kind == "non_json":
        return Body(urllib.parse.urlencode(app).encode(), "text/plain")
    elif kind == "empty_body":
        return Body(b"", JSON)
    elif kind == "huge_body":
        app["comment"] = "x" * HUGE_FIELD_BYTES
    else:
        raise ValueError(f"unknown invalid kind {kind!r}; expected one of {INVALID_KINDS}")
    return Body(encode(app), JSON)
