"""From a timeline and a schedule entry to the numbers of one phase (pure; used live by the
capacity scenario inside locust and by every report). A phase is measured over the whole
seconds in [start + settle, end)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from loadtests.core.knobs import Knobs
from loadtests.core.phases import PhaseRun, judge
from loadtests.core.timeline import NameFilter, Window, prefix, window

Row = Mapping[str, Any]


@dataclass(frozen=True)
class PhaseStats:
    label: str
    offered_rps: float
    achieved_rps: float  # really sent (by start time)
    ok_rps: float  # answered correctly (by start time)
    requests: int
    failures: int
    error_pct: float
    seconds: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    slo_ok: bool
    slo_reasons: tuple[str, ...]
    errors: Mapping[str, int]  # failure text -> count
    codes: Mapping[int, int]


def phase_window(
    rows: Iterable[Row], entry: PhaseRun, target: str, knobs: Knobs, names: NameFilter | None = None
) -> Window:
    """The phase's measured seconds, for every request of ``target`` (or those ``names``)."""
    end = entry.end if entry.end is not None else entry.start + entry.duration
    return window(rows, entry.start + knobs.settle, end, names or prefix(target))


def phase_stats(
    rows: Iterable[Row], entry: PhaseRun, target: str, knobs: Knobs, names: NameFilter | None = None
) -> PhaseStats:
    """Offered vs sent rate, latency percentiles, errors and the SLO verdict of one phase."""
    w = phase_window(rows, entry, target, knobs, names)
    verdict = judge(
        knobs.slo_p99_ms,
        knobs.slo_error_pct,
        knobs.min_achieved,
        entry.rate,
        w.rps,
        w.pct(0.99),
        w.error_ratio,
    )
    return PhaseStats(
        label=entry.label,
        offered_rps=entry.rate,
        achieved_rps=w.rps,
        ok_rps=w.ok_rps,
        requests=w.n,
        failures=w.failures,
        error_pct=100 * w.error_ratio,
        seconds=w.seconds,
        p50_ms=w.pct(0.50),
        p95_ms=w.pct(0.95),
        p99_ms=w.pct(0.99),
        max_ms=w.pct(1.0),
        slo_ok=verdict.ok,
        slo_reasons=verdict.reasons,
        errors=dict(w.errors),
        codes=dict(w.codes),
    )
