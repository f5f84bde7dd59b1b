"""One Predictor object, used by both servers, the tests and the benchmarks.

It scores raw application dicts exactly as the course's ``dv.transform`` + ``xgb.DMatrix`` +
``predict`` would, but the single-row path avoids building a sparse matrix and a DMatrix per
call: it fills one dense float32 row from the DictVectorizer's vocabulary and calls
``Booster.inplace_predict`` (thread-safe, nthread=1 so one worker uses one core).

It does not validate: the BentoML service validates with ``shared.schema`` before calling it,
the Flask baseline (like the course's app) does not. Values the fast path does not understand
(lists, dicts, ...) go through ``DictVectorizer.transform`` itself, so even garbage is treated
the way the course's app treats it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from numbers import Number
from pathlib import Path
from typing import Any

import numpy as np

from shared import artifact as artifact_io
from shared.decision import Status, decide
from shared.settings import Settings, get_settings


@dataclass(frozen=True, slots=True)
class Prediction:
    status: Status
    default_probability: float
    model_version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "default_probability": self.default_probability,
            "model_version": self.model_version,
        }


class Predictor:
    def __init__(
        self, vectorizer: Any, booster: Any, metadata: Mapping[str, Any], call_cost_ms: float = 0.0
    ):
        self.vectorizer = vectorizer
        # A synthetic, labelled extra cost per model call (setting model_cost_ms): CPU burnt
        # once per call whatever the rows, like a heavier model's fixed cost; 0 = the real model.
        self.call_cost_s = call_cost_ms / 1000
        self.booster = booster
        self.booster.set_param({"nthread": 1})
        self.metadata = dict(metadata)
        self.version: str = self.metadata["version"]
        self._vocabulary: dict[str, int] = dict(vectorizer.vocabulary_)
        self._separator: str = vectorizer.separator
        self._width = len(vectorizer.feature_names_)
        # "home=owner" -> {"home": {"owner": index}}: one dict lookup per value, no string building
        self._categories: dict[str, dict[str, int]] = {}
        for name, index in self._vocabulary.items():
            key, sep, value = name.partition(self._separator)
            if sep:
                self._categories.setdefault(key, {})[value] = index

    # --- construction ------------------------------------------------------------------------

    @classmethod
    def from_artifact(cls, path: Path, call_cost_ms: float = 0.0) -> Predictor:
        art = artifact_io.load(path)
        return cls(art.vectorizer, art.booster, art.metadata, call_cost_ms)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Predictor:
        settings = settings or get_settings()
        return cls.from_artifact(artifact_io.resolve_path(settings), settings.model_cost_ms)

    @property
    def data_source(self) -> str:
        return self.metadata.get("data", {}).get("source", "unknown")

    def info(self) -> dict[str, Any]:
        """What the servers publish about the model they serve."""
        keys = ("name", "version", "created_at", "sha256", "data", "metrics", "params", "libraries")
        return {key: self.metadata.get(key) for key in keys}

    # --- feature rows ------------------------------------------------------------------------

    def _row(self, record: Mapping[str, Any]) -> list[float]:
        """One feature row, DictVectorizer semantics (strings one-hot, numbers as is)."""
        if not isinstance(record, Mapping):
            raise TypeError(f"an application must be a JSON object, got {type(record).__name__}")
        vocabulary, categories, no_categories = self._vocabulary, self._categories, {}
        row = [0.0] * self._width
        for key, value in record.items():
            kind = type(value)
            if kind is float or kind is int:  # the common case first: no ABC isinstance
                index = vocabulary.get(key)
                if index is not None:
                    row[index] += value
            elif isinstance(value, str):
                index = categories.get(key, no_categories).get(value)
                if index is None and self._separator in key:  # "a=b": "c" -> feature "a=b=c"
                    index = vocabulary.get(f"{key}{self._separator}{value}")
                if index is not None:
                    row[index] += 1.0
            elif isinstance(value, Number) or value is None:  # bools, numpy scalars, null
                index = vocabulary.get(key)
                if index is not None:
                    row[index] += np.nan if value is None else float(value)  # type: ignore[arg-type]
            else:
                # Anything else (lists, dicts, ...): exactly what DictVectorizer does, errors too.
                return list(self.vectorizer.transform([record])[0])
        return row

    def features(self, records: Iterable[Mapping[str, Any]]) -> np.ndarray:
        rows = [self._row(record) for record in records]
        if not rows:
            return np.zeros((0, self._width), dtype=np.float32)
        return np.asarray(rows, dtype=np.float32)

    # --- predictions -------------------------------------------------------------------------

    def probabilities(self, records: Iterable[Mapping[str, Any]]) -> np.ndarray:
        matrix = self.features(records)
        if len(matrix) == 0:
            return np.zeros(0, dtype=np.float32)
        if self.call_cost_s:
            _burn(self.call_cost_s)
        return np.asarray(self.booster.inplace_predict(matrix), dtype=np.float32).reshape(-1)

    def _prediction(self, probability: float) -> Prediction:
        return Prediction(decide(probability), probability, self.version)

    def predict_one(self, record: Mapping[str, Any]) -> Prediction:
        return self._prediction(float(self.probabilities([record])[0]))

    def predict_many(self, records: Iterable[Mapping[str, Any]]) -> list[Prediction]:
        return [self._prediction(float(p)) for p in self.probabilities(records)]


DEBUG_DELAY_HEADER = "X-Debug-Delay-Ms"


def debug_delay(header_value: str | None) -> None:
    """A hung request, on purpose (setting debug_delay only): burn the asked milliseconds of
    CPU in the request itself, blocking the worker as a pathological input would."""
    if header_value:
        _burn(float(header_value) / 1000)


def _burn(seconds: float) -> None:
    """Busy CPU for ``seconds`` of this thread's CPU time (not wall time: a worker that is
    descheduled meanwhile still pays the full cost)."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass
