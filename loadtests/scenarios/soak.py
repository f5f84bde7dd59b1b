"""soak: a long steady load at half the capacity (make soak; SOAK_MINUTES) -> memory per worker
over time, p99 drift, errors. A worker whose memory keeps growing after the first minute is a
leak to report, not to hide.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from loadtests.core.knobs import Knobs
from loadtests.core.measures import PhaseStats
from loadtests.core.phases import Phase, phase
from loadtests.core.timeline import prefix, window
from loadtests.scenarios.base import Scenario, Summary

SETTLED_S = 60.0  # memory is compared from the end of the first minute (caches, allocator)


class SoakKnobs(Knobs):
    soak_minutes: float = Field(10.0, gt=0, description="soak: minutes of steady load")


@dataclass(frozen=True)
class SoakSummary(Summary):
    hold: PhaseStats
    p99_by_minute: tuple[float | None, ...]
    rss_start_mb: dict[str, float]  # per worker, at the end of the first minute
    rss_end_mb: dict[str, float]  # per worker, at the end
    rss_growth_pct: float | None  # the largest growth of a worker from start to end


class Soak(Scenario):
    name = "soak"
    order = 75
    in_all = False
    shows = "resiliency over time: memory per worker, latency drift and errors under a long load"
    Knobs = SoakKnobs
    defaults = {"rate": 300.0, "soak_minutes": 10.0}

    def phases(self, k: SoakKnobs) -> list[Phase]:
        return [*self.warmup(k), phase("soak", 60 * k.soak_minutes, k.rate, k.user_rate)]

    def describe(self, k: SoakKnobs) -> str:
        return f"{k.rate:g} req/s for {k.soak_minutes:g} min"

    def summarize(self, run) -> SoakSummary:
        soak = run.record.phase("soak")
        end = soak.end or soak.start
        # minutes; a soak shorter than 3 minutes (a smoke run) is cut in thirds
        slice_s = min(60.0, (end - soak.start) / 3)
        minutes = []
        t = soak.start
        while t + slice_s <= end + 1e-6:
            minutes.append(window(run.rows, t, t + slice_s, prefix(run.target)).pct(0.99))
            t += slice_s
        samples = [(at, mb) for at, mb in run.record.server_rss if soak.start <= at <= end]
        workers = lambda mb: {k: v for k, v in mb.items() if k.endswith("worker")}  # noqa: E731
        settled_at = soak.start + min(SETTLED_S, slice_s)
        settled = [workers(mb) for at, mb in samples if at >= settled_at]
        start, last = (settled[0], settled[-1]) if settled else ({}, {})
        growth = [100 * (last[k] - v) / v for k, v in start.items() if k in last and v]
        return SoakSummary(
            **Summary.common(run),
            hold=self.stats(run, "soak"),
            p99_by_minute=tuple(minutes),
            rss_start_mb=start,
            rss_end_mb=last,
            rss_growth_pct=max(growth) if growth else None,
        )

    def section(self, cmp) -> list[str]:
        from loadtests.reporting import tables
        from loadtests.reporting.tables import Metric

        def first(s) -> float | None:
            return s.p99_by_minute[0] if s.p99_by_minute else None

        def last(s) -> float | None:
            return s.p99_by_minute[-1] if s.p99_by_minute else None

        def drift(s) -> float | None:
            values = [v for v in s.p99_by_minute if v is not None]
            return values[-1] / values[0] if len(values) > 1 and values[0] else None

        metrics = [
            Metric("requests", lambda s: s.hold.requests, ratio=False),
            Metric("errors (%)", lambda s: s.hold.error_pct, 2),
            Metric("p99 over the whole soak (ms)", lambda s: s.hold.p99_ms),
            Metric("p99, first minute (ms)", first),
            Metric("p99, last minute (ms)", last),
            Metric("p99 last ÷ first minute", drift, 2, ratio=False),
            Metric("worker memory after 1 min (MB, largest)",
                   lambda s: max(s.rss_start_mb.values(), default=None), 1),
            Metric("worker memory at the end (MB, largest)",
                   lambda s: max(s.rss_end_mb.values(), default=None), 1),
            Metric("largest worker growth after 1 min (%)", lambda s: s.rss_growth_pct, 1, False),
            *tables.RUN_METRICS,
        ]  # fmt: skip
        return tables.metric_table(cmp, metrics) + [
            "",
            "Memory: resident set size of each worker process, sampled every 2 s; growth is "
            "from the end of the first minute (imports, caches and the allocator settle) to the "
            "last sample. p99 per minute of the soak, by request start time.",
        ]

    def charts(self, cmp, out) -> list[tuple[str, str]]:
        from loadtests.reporting import charts

        plt = charts.plt()
        fig, (ax_mem, ax_p99) = plt.subplots(1, 2, figsize=(14, 4.5))
        for p in cmp.profiles:
            for run in cmp.runs_of(p):
                t0 = run.record.start
                by_pid: dict[str, list[tuple[float, float]]] = {}
                for at, mb in run.record.server_rss:
                    for key, value in mb.items():
                        if key.endswith("worker"):
                            by_pid.setdefault(key, []).append((at - t0, value))
                for i, points in enumerate(by_pid.values()):
                    xs, ys = zip(*points, strict=True)
                    label = p.label if i == 0 and run.record.repeat == 1 else None
                    ax_mem.plot(
                        [x / 60 for x in xs], ys, color=charts.color(cmp, p), lw=1, label=label
                    )
                s = run.summary
                ax_p99.plot(range(1, len(s.p99_by_minute) + 1), charts.nan(list(s.p99_by_minute)),
                            color=charts.color(cmp, p), marker="o", ms=3,
                            label=p.label if run.record.repeat == 1 else None)  # fmt: skip
        ax_mem.set_xlabel("minutes since the run started")
        ax_mem.set_ylabel("worker resident memory, MB")
        ax_p99.set_xlabel("minute of the soak")
        ax_p99.set_ylabel("p99 latency in that minute, ms")
        ax_p99.axhline(cmp.knobs.slo_p99_ms, color="red", ls="--", lw=0.8)
        for ax in (ax_mem, ax_p99):
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        charts.save(fig, out / "soak.png", f"soak: {cmp.knobs.rate:g} req/s for "
                    f"{cmp.knobs.soak_minutes:g} min")  # fmt: skip
        return [*super().charts(cmp, out), ("soak.png", "memory and p99 over the soak")]

    def headline(self, cmp) -> list[list[str]]:
        from loadtests.reporting.tables import Metric, row

        return [
            row(
                cmp,
                Metric(
                    "largest worker memory growth after 1 min (%)",
                    lambda s: s.rss_growth_pct,
                    1,
                    ratio=False,
                ),
            ),  # fmt: skip
            row(
                cmp,
                Metric(
                    "p99, last minute (ms)",
                    lambda s: s.p99_by_minute[-1] if s.p99_by_minute else None,
                ),
            ),  # fmt: skip
        ]
