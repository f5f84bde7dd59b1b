"""Tables with one column per profile (2 to 4 of them), the baseline first, and the ratio of
each other profile's median to the baseline's."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from loadtests.reporting import markdown
from loadtests.reporting.runs import Comparison
from loadtests.reporting.stats import Agg, agg, fmt, ratio

Getter = Callable[[Any], float | None]


@dataclass(frozen=True)
class Metric:
    label: str
    get: Getter
    digits: int = 0
    missing: str = "none"
    ratio: bool = True
    none_as: float | None = None  # see stats.agg (capacities: 0, as in summary.json)


def header(cmp: Comparison, first: str = "") -> list[str]:
    base = cmp.baseline.label
    return [first, *(p.label for p in cmp.profiles)] + [
        f"{p.label} ÷ {base}" for p in cmp.profiles[1:]
    ]


def row(cmp: Comparison, metric: Metric, workers: int | None = None) -> list[str]:
    aggs: list[Agg] = [
        agg((metric.get(s) for s in cmp.summaries(p, workers)), metric.none_as)
        for p in cmp.profiles
    ]
    cells = [fmt(a, metric.digits, metric.missing) for a in aggs]
    ratios = [ratio(aggs[0], a) if metric.ratio else "" for a in aggs[1:]]
    return [metric.label, *cells, *ratios]


def cells_row(cmp: Comparison, label: str, cell: Callable[[list[Any]], str]) -> list[str]:
    """A row whose cells are computed from each profile's summaries (no ratio)."""
    return [label, *(cell(cmp.summaries(p)) for p in cmp.profiles)] + [""] * (len(cmp.profiles) - 1)


def metric_table(
    cmp: Comparison, metrics: Sequence[Metric], workers: int | None = None
) -> list[str]:
    return markdown.table(header(cmp), [row(cmp, m, workers) for m in metrics])


def phase_metrics(phase: str, unit: str = "req/s") -> list[Metric]:
    def get(key: str) -> Getter:
        return lambda s: getattr(getattr(s, phase), key)

    return [
        Metric(f"offered ({unit})", get("offered_rps")),
        Metric(f"sent ({unit})", get("achieved_rps"), 1),
        Metric(f"answered correctly ({unit}, by send time)", get("ok_rps"), 1),
        Metric("p50 (ms)", get("p50_ms")),
        Metric("p95 (ms)", get("p95_ms")),
        Metric("p99 (ms)", get("p99_ms")),
        Metric("max (ms)", get("max_ms")),
        Metric("errors (%)", get("error_pct"), 2),
    ]


RUN_METRICS = [
    Metric("server CPU per request (ms)", lambda s: s.server_cpu_ms_per_request, 3),
    Metric("locust CPU (% of its core)", lambda s: s.locust_cpu_percent, ratio=False),
    Metric("other processes' CPU (% of a core)", lambda s: s.other_cpu_percent, ratio=False),
]


def slo_count(summaries: list[Any], phase: str) -> str:
    held = sum(1 for s in summaries if getattr(s, phase).slo_ok)
    return f"{held} of {len(summaries)}"
