"""spike: baseline rate, a sudden x N burst, back to baseline -> errors, tail, recovery time.

Behaviour under overload and after it: queueing into timeouts, or shedding load with fast
errors, and how long the tail takes to heal. Recovery time: whole seconds from the end of the
burst until 3 seconds in a row have no failure and p99 <= max(SLO, 2 x baseline p99).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from loadtests.core.knobs import Knobs
from loadtests.core.measures import PhaseStats
from loadtests.core.phases import Phase, PhaseRun, phase
from loadtests.core.timeline import Window, per_second, prefix
from loadtests.scenarios.base import Scenario, Summary

HEALTHY_SECONDS = 3


class SpikeKnobs(Knobs):
    spike_factor: float = Field(8.0, gt=1, description="spike: burst rate = factor x rate")


@dataclass(frozen=True)
class SpikeSummary(Summary):
    baseline: PhaseStats
    spike: PhaseStats
    recovery: PhaseStats
    recovery_s: float | None  # None: not recovered before the run ended
    recovery_threshold_ms: float


def recovery_time(
    rows, spike: PhaseRun, recovery: PhaseRun, target: str, threshold_ms: float
) -> float | None:
    """Whole seconds from the end of the spike until HEALTHY_SECONDS in a row are healthy; 0 =
    healthy from the first full second after it (1 s resolution)."""
    seconds = per_second(rows, spike.end, recovery.end, prefix(target))

    def healthy(w: Window) -> bool:
        p99 = w.pct(0.99)
        return w.n > 0 and w.failures == 0 and p99 is not None and p99 <= threshold_ms

    for i in range(len(seconds) - HEALTHY_SECONDS + 1):
        if all(healthy(w) for w in seconds[i : i + HEALTHY_SECONDS]):
            return float(i)
    return None


class Spike(Scenario):
    name = "spike"
    order = 30
    shows = "resilience: behaviour under a sudden overload and the time to recover"
    Knobs = SpikeKnobs
    # 1 req/s per user keeps arrivals open up to 1 s response times
    defaults = {"rate": 80.0, "duration": 32.0, "spike_factor": 8.0, "user_rate": 1.0}

    def phases(self, k: SpikeKnobs) -> list[Phase]:
        return [
            *self.warmup(k),
            phase("baseline", 0.25 * k.duration, k.rate, k.user_rate),
            phase("spike", 0.25 * k.duration, k.rate * k.spike_factor, k.user_rate),
            phase("recovery", 0.5 * k.duration, k.rate, k.user_rate),
        ]

    def describe(self, k: SpikeKnobs) -> str:
        return (
            f"{k.rate:g} req/s, burst x{k.spike_factor:g} for {0.25 * k.duration:g} s, "
            f"{0.5 * k.duration:g} s recovery"
        )

    def summarize(self, run) -> SpikeSummary:
        base, spike, recovery = (self.stats(run, x) for x in ("baseline", "spike", "recovery"))
        threshold = max(run.knobs.slo_p99_ms, 2 * (base.p99_ms or 0.0))
        rec = recovery_time(
            run.rows, run.record.phase("spike"), run.record.phase("recovery"), run.target, threshold
        )
        return SpikeSummary(
            **Summary.common(run),
            baseline=base,
            spike=spike,
            recovery=recovery,
            recovery_s=rec,
            recovery_threshold_ms=threshold,
        )

    def section(self, cmp) -> list[str]:
        from loadtests.reporting import tables
        from loadtests.reporting.tables import Metric

        def g(phase_name: str, key: str):
            return lambda s: getattr(getattr(s, phase_name), key)

        metrics = [
            Metric("baseline p99 (ms)", g("baseline", "p99_ms")),
            Metric("spike: offered (req/s)", g("spike", "offered_rps")),
            Metric("spike: answered correctly (req/s, by send time)", g("spike", "ok_rps"), 1),
            Metric("spike: p50 (ms)", g("spike", "p50_ms")),
            Metric("spike: p99 (ms)", g("spike", "p99_ms")),
            Metric("spike: max (ms)", g("spike", "max_ms")),
            Metric("spike: errors (%)", g("spike", "error_pct"), 2),
            Metric("recovery phase: p99 (ms)", g("recovery", "p99_ms")),
            Metric("recovery phase: errors (%)", g("recovery", "error_pct"), 2),
            Metric("recovery time after the spike (s)", lambda s: s.recovery_s, 0, "not recovered"),
            *tables.RUN_METRICS,
        ]
        threshold = cmp.summaries(cmp.baseline)[0].recovery_threshold_ms
        return tables.metric_table(cmp, metrics) + [
            "",
            f"Recovery time: seconds from the end of the burst until {HEALTHY_SECONDS} seconds in "
            f"a row have no failures and p99 <= max(SLO, 2 × baseline p99) (≈ {threshold:.0f} ms "
            f"for {cmp.baseline.label}'s first repeat; computed per run).",
        ]

    def headline(self, cmp) -> list[list[str]]:
        from loadtests.reporting.tables import Metric, row

        rate = cmp.summaries(cmp.baseline)[0].spike.offered_rps
        return [
            row(
                cmp,
                Metric(
                    f"burst of {rate:g} req/s: answered correctly (req/s, by send time)",
                    lambda s: s.spike.ok_rps,
                ),
            ),  # fmt: skip
            row(cmp, Metric("errors during the burst (%)", lambda s: s.spike.error_pct, 2)),
            row(cmp, Metric("p99 during the burst (ms)", lambda s: s.spike.p99_ms)),
            row(cmp, Metric("recovery time (s)", lambda s: s.recovery_s, 0, "not recovered")),
        ]
