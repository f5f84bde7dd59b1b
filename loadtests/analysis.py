"""From a run's timeline and schedule to numbers (pure; used live by shapes and by reports).

A schedule entry is one phase as it really ran: its plan fields plus wall-clock ``start`` and
``end``. A phase is measured over the whole seconds in [start + settle, end).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from loadtests.plans import Params, judge
from loadtests.timeline import NameFilter, Window, per_second, prefix, window

Row = Mapping[str, Any]
Entry = Mapping[str, Any]


def phase_window(
    rows: Iterable[Row], entry: Entry, target: str, p: Params, names: NameFilter | None = None
) -> Window:
    """The phase's measured seconds, for every request of ``target`` (or those ``names``)."""
    return window(rows, entry["start"] + p.settle, entry["end"], names or prefix(target))


def latency(w: Window) -> dict[str, float | None]:
    return {"p50": w.pct(0.50), "p95": w.pct(0.95), "p99": w.pct(0.99), "max": w.pct(1.0)}


def phase_result(
    rows: Iterable[Row], entry: Entry, target: str, p: Params, names: NameFilter | None = None
) -> dict[str, Any]:
    """Offered vs sent rate, latency percentiles, errors and the SLO verdict of one phase."""
    w = phase_window(rows, entry, target, p, names)
    verdict = judge(p, entry["rate"], w.rps, w.pct(0.99), w.error_ratio)
    return {
        "label": entry["label"],
        "offered_rps": entry["rate"],
        "achieved_rps": w.rps,
        "ok_rps": w.ok_rps,
        "requests": w.n,
        "failures": w.failures,
        "error_pct": 100 * w.error_ratio,
        "seconds": w.seconds,
        **{f"{k}_ms": v for k, v in latency(w).items()},
        "slo_ok": verdict.ok,
        "slo_reasons": list(verdict.reasons),
    }


def sustained_rate(steps: Sequence[Mapping[str, Any]], stop_after: int) -> float | None:
    """The highest step that held the SLO before ``stop_after`` consecutive steps broke it
    (the rule that stops the run); an isolated failing step in between does not end the
    search, it stays visible in the per-step table. None: no step held."""
    best, failing = None, 0
    for step in steps:
        if step["slo_ok"]:
            best, failing = step["offered_rps"], 0
            continue
        failing += 1
        if failing >= stop_after:
            break
    return best


def consecutive_failures(steps: Sequence[Mapping[str, Any]]) -> int:
    n = 0
    for step in reversed(steps):
        if step["slo_ok"]:
            break
        n += 1
    return n


@dataclass(frozen=True)
class Recovery:
    seconds: float | None  # None: not recovered before the phase ended
    threshold_ms: float


def recovery_time(
    rows: Iterable[Row],
    spike: Entry,
    recovery: Entry,
    target: str,
    baseline_p99: float | None,
    p: Params,
    hold: int = 3,
) -> Recovery:
    """Whole seconds from the end of the spike until ``hold`` consecutive seconds are healthy
    again (no failures, p99 <= max(SLO p99, 2 x baseline p99)); 0 = healthy in the first full
    second after the spike (1 s resolution)."""
    threshold = max(p.slo_p99_ms, 2 * (baseline_p99 or 0.0))
    seconds = per_second(rows, spike["end"], recovery["end"], prefix(target))

    def healthy(w: Window) -> bool:
        p99 = w.pct(0.99)
        return w.n > 0 and w.failures == 0 and p99 is not None and p99 <= threshold

    for i in range(len(seconds) - hold + 1):
        if all(healthy(w) for w in seconds[i : i + hold]):
            return Recovery(float(i), threshold)
    return Recovery(None, threshold)


def status_classes(codes: Mapping[int, int]) -> dict[str, int]:
    """Status codes folded into what matters for invalid input."""
    out = {"4xx": 0, "5xx": 0, "200": 0, "other": 0}
    for code, n in codes.items():
        code = int(code)
        if 400 <= code < 500:
            out["4xx"] += n
        elif code >= 500:
            out["5xx"] += n
        elif code == 200:
            out["200"] += n
        else:
            out["other"] += n  # 0 = no response
    return out


def codes_by_name(rows: Iterable[Row]) -> dict[str, dict[int, int]]:
    """Status codes per request name over the whole run (every request counts)."""
    out: dict[str, dict[int, int]] = {}
    for row in rows:
        into = out.setdefault(row["name"], {})
        for code, n in row["codes"].items():
            into[int(code)] = into.get(int(code), 0) + n
    return out
