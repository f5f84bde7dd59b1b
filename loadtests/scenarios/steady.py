"""steady: a fixed arrival rate every server sustains -> latency, typical and tail.

Open workload: many users at a low fixed rate each, so a slow server does not slow the
arrivals. The numbers: the hold phase's percentiles, errors and the server's CPU per request.
"""

from __future__ import annotations

from dataclasses import dataclass

from loadtests.core.knobs import Knobs
from loadtests.core.measures import PhaseStats
from loadtests.core.phases import Phase, phase
from loadtests.scenarios.base import Scenario, Summary


@dataclass(frozen=True)
class SteadySummary(Summary):
    hold: PhaseStats


class Steady(Scenario):
    name = "steady"
    order = 10
    shows = "latency under a constant, sustainable load (typical and tail)"
    defaults = {"rate": 100.0, "duration": 20.0}

    def phases(self, k: Knobs) -> list[Phase]:
        return [*self.warmup(k), phase("hold", k.duration, k.rate, k.user_rate)]

    def summarize(self, run) -> SteadySummary:
        return SteadySummary(**Summary.common(run), hold=self.stats(run, "hold"))

    def section(self, cmp) -> list[str]:
        from loadtests.reporting import markdown, tables

        metrics = tables.phase_metrics("hold") + tables.RUN_METRICS
        rows = [tables.row(cmp, m) for m in metrics]
        rows.append(tables.cells_row(cmp, "SLO held", lambda s: tables.slo_count(s, "hold")))
        return markdown.table(tables.header(cmp), rows)

    def headline(self, cmp) -> list[list[str]]:
        from loadtests.reporting.tables import Metric, row

        rate = cmp.knobs.rate
        return [
            row(cmp, Metric(f"p50 at {rate:g} req/s (ms)", lambda s: s.hold.p50_ms)),
            row(cmp, Metric(f"p99 at {rate:g} req/s (ms)", lambda s: s.hold.p99_ms)),
            row(
                cmp, Metric("server CPU per request (ms)", lambda s: s.server_cpu_ms_per_request, 3)
            ),
        ]
