"""Garbage collection in a serving worker: freeze what start-up made, and (for diagnosis)
record every collection's pause.

``freeze()`` (setting ``gc_freeze``): after the model is loaded, move every object that exists
into the permanent generation, so later full (generation 2) collections do not walk the model,
the frameworks' modules and their caches again and again. Called once per worker, by both
servers at the same point (after the Predictor is built).

``watch(directory)`` (setting ``gc_log_dir``, diagnosis only): a ``gc.callbacks`` hook that
times each collection and keeps, per generation, the count and the total and longest pause,
plus every pause of generation 2 or longer than 5 ms; written to
``<directory>/gc-<pid>.json`` at most every 2 seconds and when the worker exits.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import time
from pathlib import Path
from typing import Any

NOTABLE_MS = 5.0
FLUSH_EVERY_S = 2.0


def freeze() -> int:
    """Collect once, then freeze; returns how many objects are now frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


class GcWatch:
    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"gc-{os.getpid()}.json"
        self.started = time.time()
        self.counts = [0, 0, 0]
        self.total_ms = [0.0, 0.0, 0.0]
        self.max_ms = [0.0, 0.0, 0.0]
        self.notable: list[list[float]] = []  # [epoch s, generation, ms, collected]
        self._t0 = 0.0
        self._flushed = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
            return
        ms = 1000 * (time.perf_counter() - self._t0)
        gen = info["generation"]
        self.counts[gen] += 1
        self.total_ms[gen] += ms
        self.max_ms[gen] = max(self.max_ms[gen], ms)
        if gen == 2 or ms > NOTABLE_MS:
            self.notable.append([round(time.time(), 3), gen, round(ms, 3), info["collected"]])
        now = time.monotonic()
        if now - self._flushed > FLUSH_EVERY_S:
            self._flushed = now
            self.flush()

    def snapshot(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "started": self.started,
            "written": time.time(),
            "frozen_objects": gc.get_freeze_count(),
            "thresholds": gc.get_threshold(),
            "count": self.counts,
            "total_ms": [round(x, 3) for x in self.total_ms],
            "max_ms": [round(x, 3) for x in self.max_ms],
            "notable": self.notable,
        }

    def flush(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.snapshot()))
        tmp.replace(self.path)


def watch(directory: Path) -> GcWatch:
    watcher = GcWatch(Path(directory))
    gc.callbacks.append(watcher)
    atexit.register(watcher.flush)
    return watcher


def apply(settings: Any) -> dict[str, Any]:
    """What the settings ask for, in this worker, after its model is loaded; returns facts."""
    facts: dict[str, Any] = {"gc_freeze": bool(settings.gc_freeze)}
    if settings.gc_log_dir:
        watch(Path(settings.gc_log_dir))
        facts["gc_log"] = f"on ({Path(settings.gc_log_dir).name}/)"  # no machine path
    if settings.gc_freeze:
        facts["frozen_objects"] = freeze()
    return facts
