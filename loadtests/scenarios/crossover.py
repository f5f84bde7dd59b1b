"""crossover: the capacity of one way of sending applications (make crossover drives it over a
range of model costs; docs/performance.md): one application per request to /classify, or
lists of ``batch_size`` to /classify_batch (a client that batches; with ``batch_size=1`` the
server's adaptive batching is what merges). Stepped like `capacity`; the capacity is counted
in applications per second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from loadtests.core.measures import PhaseStats, phase_stats
from loadtests.core.phases import Phase, phase
from loadtests.scenarios.base import Scenario, Summary
from loadtests.scenarios.batch import BatchKnobs
from loadtests.scenarios.capacity import (
    Capacity,
    CapacityKnobs,
    is_step,
    step_rates,
    sustained_rate,
)


class CrossoverKnobs(CapacityKnobs, BatchKnobs):
    path: Literal["classify", "classify_batch"] = Field(
        "classify", description="crossover: /classify, or lists of batch_size to /classify_batch"
    )


@dataclass(frozen=True)
class CrossoverSummary(Summary):
    steps: tuple[PhaseStats, ...]
    sustained_rps: float | None  # requests per second
    applications_per_s: float | None
    capped: bool
    batch_size: int
    path: str
    requests_per_call: float | None  # adaptive batching: requests merged per model call


class Crossover(Scenario):
    name = "crossover"
    order = 85
    in_all = False
    shows = "where batching pays: capacity in applications/s for one way of sending them"
    Knobs = CrossoverKnobs
    defaults = {"rate": 50.0, "duration": 4.0, "step_factor": 1.25, "max_rate": 4000.0}
    scrape_batches = True

    def phases(self, k: CrossoverKnobs) -> list[Phase]:
        items = k.batch_size if k.path == "classify_batch" else 1
        steps = [
            phase(f"step {i}", k.duration, rate, k.user_rate, k.path, items_per_request=items)
            for i, rate in enumerate(step_rates(k), start=1)
        ]
        return [*self.warmup(k, traffic=k.path), *steps]

    def describe(self, k: CrossoverKnobs) -> str:
        how = (
            f"lists of {k.batch_size} to /classify_batch"
            if k.path == "classify_batch"
            else ("one application per request to /classify")
        )
        return f"{how}; " + Capacity().describe(k)

    def stop_reason(self, k: CrossoverKnobs, state: Any, targets: Sequence[str]) -> str:
        return Capacity().stop_reason(k, state, targets)

    def summarize(self, run) -> CrossoverSummary:
        k = run.knobs
        steps = tuple(
            phase_stats(run.rows, e, run.target, k) for e in run.record.schedule if is_step(e)
        )
        best = sustained_rate(steps, k.stop_after)
        items = k.batch_size if k.path == "classify_batch" else 1
        batches = run.record.adaptive_batches
        return CrossoverSummary(
            **Summary.common(run),
            steps=steps,
            sustained_rps=best,
            applications_per_s=None if best is None else best * items,
            capped=bool(steps) and best == steps[-1].offered_rps,
            batch_size=items,
            path=k.path,
            requests_per_call=batches.mean_requests_per_batch if batches else None,
        )

    def section(self, cmp) -> list[str]:
        from loadtests.reporting import tables
        from loadtests.reporting.stats import NEVER_HELD
        from loadtests.reporting.tables import Metric

        return tables.metric_table(
            cmp,
            [
                Metric(
                    "capacity (applications/s)",
                    lambda s: s.applications_per_s,
                    none_as=NEVER_HELD,
                ),
                Metric("capacity (requests/s)", lambda s: s.sustained_rps, none_as=NEVER_HELD),
                Metric("requests merged per model call", lambda s: s.requests_per_call, 1),
                *tables.RUN_METRICS[:1],
            ],
        )
