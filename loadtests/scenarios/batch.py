"""batch: the same application rate on /classify, then on /classify_batch -> batching's effect.

Operational efficiency. A server with adaptive batching (BentoML) merges concurrent
/classify_batch requests into one model call; its batch sizes are read from its /metrics
before and after the run. A server without scores each request's list on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from loadtests.core.knobs import Knobs
from loadtests.core.measures import PhaseStats
from loadtests.core.phases import Phase, phase, users_for
from loadtests.core.record import BatchStats
from loadtests.core.timeline import named
from loadtests.scenarios.base import Scenario, Summary

PATHS = (("single", "/classify"), ("batch", "/classify_batch"))


class BatchKnobs(Knobs):
    batch_size: int = Field(1, ge=1, description="batch: applications per /classify_batch request")


@dataclass(frozen=True)
class BatchSummary(Summary):
    single: PhaseStats
    batch: PhaseStats
    batch_size: int
    adaptive: BatchStats | None  # None: no adaptive batch formed (or none possible)


class Batch(Scenario):
    name = "batch"
    order = 50
    shows = "operational efficiency: adaptive batching vs one model call per request"
    Knobs = BatchKnobs
    defaults = {"rate": 250.0, "duration": 12.0}
    scrape_batches = True

    def phases(self, k: BatchKnobs) -> list[Phase]:
        # the same applications/s on both paths: round the batch path to whole users first
        batch_rate = users_for(k.rate / k.batch_size, k.user_rate) * k.user_rate
        app_rate = batch_rate * k.batch_size
        warm_batch = phase(
            "warmup batch", k.warmup, batch_rate, k.user_rate, "classify_batch", measured=False,
            items_per_request=k.batch_size,
        )  # fmt: skip
        return [
            *self.warmup(k, rate=app_rate),
            phase("single", k.duration, app_rate, k.user_rate),
            *([warm_batch] if k.warmup else []),
            phase(
                "batch",
                k.duration,
                batch_rate,
                k.user_rate,
                "classify_batch",
                items_per_request=k.batch_size,
            ),  # fmt: skip
        ]

    def describe(self, k: BatchKnobs) -> str:
        return (
            f"{k.rate:g} applications/s for {k.duration:g} s on /classify, then on "
            f"/classify_batch in lists of {k.batch_size}"
        )

    def summarize(self, run) -> BatchSummary:
        return BatchSummary(
            **Summary.common(run),
            single=self.stats(run, "single", named(f"{run.target} classify")),
            batch=self.stats(run, "batch", named(f"{run.target} classify_batch")),
            batch_size=run.knobs.batch_size,
            adaptive=run.record.adaptive_batches,
        )

    def console(self, run) -> list[str]:
        b = run.summary.adaptive
        line = (
            f"  adaptive batches: {b.batches} model calls for {b.requests} requests, mean "
            f"{b.mean_requests_per_batch:.2f} requests of {run.knobs.batch_size} application(s)"
            if b
            else "  adaptive batches: none"
        )
        return [*super().console(run), line]

    def section(self, cmp) -> list[str]:
        from loadtests.reporting import markdown
        from loadtests.reporting.stats import agg, fmt

        header = ["", *(f"{p.label} {path}" for p in cmp.profiles for _, path in PATHS)]
        rows = []
        for label, key, digits in (
            ("sent (req/s)", "achieved_rps", 1),
            ("answered correctly (req/s, by send time)", "ok_rps", 1),
            ("p50 (ms)", "p50_ms", 0),
            ("p95 (ms)", "p95_ms", 0),
            ("p99 (ms)", "p99_ms", 0),
            ("errors (%)", "error_pct", 2),
        ):
            rows.append(
                [label]
                + [
                    fmt(agg(getattr(getattr(s, phase_name), key) for s in cmp.summaries(p)), digits)
                    for p in cmp.profiles
                    for phase_name, _ in PATHS
                ]
            )
        lines = markdown.table(header, rows)
        size = cmp.knobs.batch_size
        for p in cmp.profiles:
            stats = [s.adaptive for s in cmp.summaries(p)]
            if not any(stats):
                lines += ["", f"{p.label}: no adaptive batching (each request's list on its own)."]
                continue
            mean = agg(b.mean_requests_per_batch * size if b else None for b in stats)
            count = agg(b.batches if b else 0 for b in stats)
            lines += [
                "",
                f"{p.label}: adaptive batching on /classify_batch (requests of {size} "
                f"application(s) each): {fmt(count)} model calls per run, {fmt(mean, 2)} "
                "applications per call (its /metrics count the requests merged per call, before "
                "and after each run; × the requests' size).",
            ]
        return lines

    def headline(self, cmp) -> list[list[str]]:
        from loadtests.reporting.stats import agg, fmt
        from loadtests.reporting.tables import Metric, cells_row, row

        def mean_batch(summaries) -> str:
            stats = [s.adaptive for s in summaries]
            if not any(stats):
                return "no batching"
            size = cmp.knobs.batch_size
            return fmt(agg(b.mean_requests_per_batch * size if b else None for b in stats), 2)

        return [
            row(cmp, Metric("/classify p99 (ms)", lambda s: s.single.p99_ms)),
            row(cmp, Metric("/classify_batch p99 (ms)", lambda s: s.batch.p99_ms)),
            cells_row(cmp, "mean adaptive batch (applications per model call)", mean_batch),
        ]

    def charts(self, cmp, out) -> list[tuple[str, str]]:
        made = super().charts(cmp, out)
        self._paths(cmp, out / "batch.png")
        return [*made, ("batch.png", "batch vs single")]

    def _paths(self, cmp, path) -> None:
        """Single vs batch path per profile: answered rate and p99 (median, min-max); the
        adaptive batch sizes of the profiles that form batches."""
        from loadtests.reporting import charts

        fig, axes = charts.plt().subplots(1, 3, figsize=(15, 4.5))
        groups = [p for _, p in PATHS]
        for metric, ax, label in (
            ("ok_rps", axes[0], "answered correctly, requests / s"),
            ("p99_ms", axes[1], "p99 latency, ms"),
        ):
            bars = [
                (
                    p.label,
                    charts.color(cmp, p),
                    [
                        [
                            v
                            for s in cmp.summaries(p)
                            if (v := getattr(getattr(s, name), metric)) is not None
                        ]
                        for name, _ in PATHS
                    ],
                )
                for p in cmp.profiles
            ]
            charts.grouped_bars(ax, groups, bars)
            ax.set_ylabel(label)
            ax.legend(fontsize=8)
        ax = axes[2]
        drawn = False
        for p in cmp.profiles:
            stats = [s.adaptive for s in cmp.summaries(p) if s.adaptive]
            if not stats:
                continue
            labels = list(stats[0].size_buckets)
            totals = [sum(b.size_buckets.get(k, 0) for b in stats) for k in labels]
            keep = [i for i, v in enumerate(totals) if v]
            ax.bar([labels[i] for i in keep], [totals[i] for i in keep], color=charts.color(cmp, p),
                   alpha=0.8, label=p.label)  # fmt: skip
            drawn = True
        if drawn:
            ax.set_xlabel("requests merged per model call (histogram bucket)")
            ax.set_ylabel("batches (all repeats)")
            ax.set_title("adaptive batch sizes (/metrics)")
            ax.grid(True, axis="y", alpha=0.3)
            ax.legend(fontsize=8)
        else:
            ax.set_axis_off()
        charts.save(fig, path, "batch: same application rate on the single and the batch path")
