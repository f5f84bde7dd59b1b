"""An exact per-second record of every request (pure; fed by loadtests.generator.hooks).

Locust's own history is smoothed over a sliding window, which hides how fast a server
recovers. This keeps, for every second (by request START time) and request name: the count,
the failures and what failed (the users' low-cardinality failure texts), the status codes,
the model versions that answered (X-Model-Version) and a latency histogram rounded like
locust's. Every number in the reports comes from it, with the same code for live checks
(capacity's early stop) and for the reports.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

INTERVAL_S = 1
# Locust's phases begin on a whole second of the wall clock, a few milliseconds after it
# (loadtests.generator.shape): a window that starts this little after a whole second still
# counts that second, so a 4-s step with 1 s to settle is measured over 3 s, not 2.
START_SLACK_S = 0.1


def bucket_ms(ms: float) -> int:
    """Locust's rounding: 1 ms below 100 ms, 10 ms below 1 s, 100 ms above."""
    if ms < 100:
        return int(round(ms))
    if ms < 1000:
        return int(round(ms, -1))
    return int(round(ms, -2))


def percentile(hist: Mapping[int, int], q: float) -> float | None:
    """Nearest-rank percentile (q in [0, 1]) of a {ms: count} histogram; None if empty."""
    if not hist or sum(hist.values()) == 0:
        return None
    values = np.fromiter(hist.keys(), dtype=float)
    weights = np.fromiter(hist.values(), dtype=float)
    # quantile of q itself: percentile of 100 * q is off by one rank at e.g. q=0.999, N=1000
    return float(np.quantile(values, q, weights=weights, method="inverted_cdf"))


@dataclass
class Cell:
    n: int = 0
    failures: int = 0
    codes: Counter = field(default_factory=Counter)
    hist: Counter = field(default_factory=Counter)
    fail_hist: Counter = field(default_factory=Counter)  # latencies of the failed requests only
    errors: Counter = field(default_factory=Counter)
    versions: Counter = field(default_factory=Counter)

    def add(self, other: Mapping[str, Any]) -> None:
        self.n += other["n"]
        self.failures += other["fail"]
        self.codes.update({int(k): v for k, v in other["codes"].items()})
        self.hist.update({int(k): v for k, v in other["rt"].items()})
        self.fail_hist.update({int(k): v for k, v in other.get("rt_fail", {}).items()})
        self.errors.update(other.get("errors", {}))
        self.versions.update(other.get("versions", {}))

    def row(self, t: int, name: str) -> dict[str, Any]:
        return {
            "t": t,
            "name": name,
            "n": self.n,
            "fail": self.failures,
            "codes": {str(k): v for k, v in sorted(self.codes.items())},
            "rt": {str(k): v for k, v in sorted(self.hist.items())},
            "rt_fail": {str(k): v for k, v in sorted(self.fail_hist.items())},
            "errors": dict(sorted(self.errors.items())),
            "versions": dict(sorted(self.versions.items())),
        }


class Timeline:
    """Accumulates requests; ``drain``/``merge`` move them from locust workers to the master."""

    def __init__(self) -> None:
        self._cells: dict[tuple[int, str], Cell] = {}

    def record(
        self,
        name: str,
        start_time: float,
        response_ms: float,
        status: int,
        error: str | None = None,
        version: str | None = None,
    ) -> None:
        key = (int(start_time), name)
        cell = self._cells.get(key)
        if cell is None:
            cell = self._cells[key] = Cell()
        cell.n += 1
        cell.codes[status] += 1
        cell.hist[bucket_ms(response_ms)] += 1
        if error is not None:
            cell.fail_hist[bucket_ms(response_ms)] += 1
            cell.failures += 1
            cell.errors[error] += 1
        if version:
            cell.versions[version] += 1

    def rows(self) -> list[dict[str, Any]]:
        return [cell.row(t, name) for (t, name), cell in sorted(self._cells.items())]

    def drain(self) -> list[dict[str, Any]]:
        rows = self.rows()
        self._cells.clear()
        return rows

    def merge(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            key = (int(row["t"]), row["name"])
            self._cells.setdefault(key, Cell()).add(row)

    def clear(self) -> None:
        self._cells.clear()

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"interval_s": INTERVAL_S, "rows": self.rows()}))


def read_rows(path: Path) -> list[dict[str, Any]]:
    data = json.loads(Path(path).read_text())
    if data.get("interval_s") != INTERVAL_S:
        raise ValueError(f"{path}: expected a {INTERVAL_S}-second timeline")
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
    errors: Mapping[str, int]
    versions: Mapping[str, int]
    fail_hist: Mapping[int, int] = field(default_factory=dict)

    @property
    def ok_hist(self) -> dict[int, int]:
        """Latencies of the requests answered correctly."""
        return {
            ms: n - self.fail_hist.get(ms, 0)
            for ms, n in self.hist.items()
            if n > self.fail_hist.get(ms, 0)
        }

    def ok_within(self, ms: float) -> int:
        """Requests answered correctly in at most ``ms``."""
        return sum(n for value, n in self.ok_hist.items() if value <= ms)

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


def named(*names: str) -> NameFilter:
    wanted = set(names)
    return lambda name: name in wanted


def window(
    rows: Iterable[Mapping[str, Any]], start: float, end: float, names: NameFilter
) -> Window:
    """Aggregate the whole seconds that lie inside [start, end) (a second that begins at most
    START_SLACK_S before ``start`` counts as inside)."""
    first, last = math.ceil(start - START_SLACK_S), math.floor(end)
    total = Cell()
    for row in rows:
        if first <= row["t"] < last and names(row["name"]):
            total.add(row)
    return Window(
        first,
        last,
        total.n,
        total.failures,
        dict(total.codes),
        dict(total.hist),
        dict(total.errors),
        dict(total.versions),
        dict(total.fail_hist),
    )


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
        for t in range(math.ceil(start - START_SLACK_S), math.floor(end))
    ]
