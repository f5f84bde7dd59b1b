"""An exact per-second record of every request (pure; wired to locust in loadtests.hooks).

Locust's own history is smoothed: its "current" percentiles and rps cover a sliding ~10 s
window, which hides how fast a server recovers from a spike. This keeps, for every second
(by request START time) and request name: the count, failures, status codes and a latency
histogram (rounded like locust's). Every number in the reports is computed from it, with
the same code for the live checks (capacity's early stop) and the report builder.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def bucket_ms(ms: float) -> int:
    """Locust's rounding: 1 ms below 100 ms, 10 ms below 1 s, 100 ms above."""
    if ms < 100:
        return int(round(ms))
    if ms < 1000:
        return int(round(ms, -1))
    return int(round(ms, -2))


def percentile(hist: Mapping[int, int], q: float) -> float | None:
    """Nearest-rank percentile (q in [0, 1]) of a {ms: count} histogram; None if empty."""
    total = sum(hist.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for value in sorted(hist):
        seen += hist[value]
        if seen >= rank:
            return float(value)
    return float(max(hist))


@dataclass
class _Cell:
    n: int = 0
    failures: int = 0
    codes: Counter = field(default_factory=Counter)
    hist: Counter = field(default_factory=Counter)


class Timeline:
    """Accumulates requests; ``drain``/``merge`` move them from locust workers to the master."""

    def __init__(self) -> None:
        self._cells: dict[tuple[int, str], _Cell] = {}

    def record(
        self, name: str, start_time: float, response_ms: float, status: int, failed: bool
    ) -> None:
        key = (int(start_time), name)
        cell = self._cells.get(key)
        if cell is None:
            cell = self._cells[key] = _Cell()
        cell.n += 1
        cell.failures += failed
        cell.codes[status] += 1
        cell.hist[bucket_ms(response_ms)] += 1

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "t": t,
                "name": name,
                "n": cell.n,
                "fail": cell.failures,
                "codes": {str(k): v for k, v in sorted(cell.codes.items())},
                "rt": {str(k): v for k, v in sorted(cell.hist.items())},
            }
            for (t, name), cell in sorted(self._cells.items())
        ]

    def drain(self) -> list[dict[str, Any]]:
        rows = self.rows()
        self._cells.clear()
        return rows

    def merge(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            key = (int(row["t"]), row["name"])
            cell = self._cells.get(key)
            if cell is None:
                cell = self._cells[key] = _Cell()
            cell.n += row["n"]
            cell.failures += row["fail"]
            cell.codes.update({int(k): v for k, v in row["codes"].items()})
            cell.hist.update({int(k): v for k, v in row["rt"].items()})

    def clear(self) -> None:
        self._cells.clear()

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"interval_s": 1, "rows": self.rows()}))


def read_rows(path: Path) -> list[dict[str, Any]]:
    data = json.loads(Path(path).read_text())
    if data.get("interval_s") != 1:
        raise ValueError(f"{path}: expected a 1-second timeline")
    return data["rows"]


@dataclass(frozen=True)
class Window:
    """Requests that STARTED within whole seconds [first, last) and matched a name filter."""

    first: int
    last: int
    n: int
    failures: int
    codes: Mapping[int, int]
    hist: Mapping[int, int]

    @property
    def seconds(self) -> int:
        return max(0, self.last - self.first)

    @property
    def rps(self) -> float:
        return self.n / self.seconds if self.seconds else 0.0

    @property
    def ok_rps(self) -> float:
        return (self.n - self.failures) / self.seconds if self.seconds else 0.0

    @property
    def error_ratio(self) -> float:
        return self.failures / self.n if self.n else 0.0

    def pct(self, q: float) -> float | None:
        return percentile(self.hist, q)


NameFilter = Callable[[str], bool]


def prefix(target: str) -> NameFilter:
    """Every request name of one target (names are '<target> <what>')."""
    start = f"{target} "
    return lambda name: name.startswith(start)


def window(
    rows: Iterable[Mapping[str, Any]], start: float, end: float, names: NameFilter
) -> Window:
    """Aggregate the whole seconds that lie inside [start, end)."""
    first, last = math.ceil(start), math.floor(end)
    n = failures = 0
    codes: Counter = Counter()
    hist: Counter = Counter()
    for row in rows:
        if first <= row["t"] < last and names(row["name"]):
            n += row["n"]
            failures += row["fail"]
            codes.update({int(k): v for k, v in row["codes"].items()})
            hist.update({int(k): v for k, v in row["rt"].items()})
    return Window(first, last, n, failures, dict(codes), dict(hist))


def per_second(
    rows: Iterable[Mapping[str, Any]], start: float, end: float, names: NameFilter
) -> list[Window]:
    """One Window per whole second inside [start, end) (empty seconds included)."""
    by_second: dict[int, list[Mapping[str, Any]]] = {}
    for row in rows:
        if names(row["name"]):
            by_second.setdefault(row["t"], []).append(row)
    return [
        window(by_second.get(t, []), t, t + 1, names)
        for t in range(math.ceil(start), math.floor(end))
    ]
