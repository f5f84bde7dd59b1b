"""capacity: stepped arrival rate until the SLO breaks -> the highest sustained rate.

Run at 1 and 2 server workers, it also shows scalability. A step holds if its p99 <=
slo_p99_ms, its errors <= slo_error_pct and at least min_achieved of its rate was really
sent. Each finished step is judged live from the timeline (a few seconds after it ends, so its
requests can complete); the run stops once every target has ``stop_after`` failing steps in a
row. The report re-judges every step from the full data: the capacity is the highest step
that held before the failing run of steps ("≥" when the plan ran out first).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from loadtests.core.knobs import Knobs
from loadtests.core.measures import PhaseStats, phase_stats
from loadtests.core.phases import Phase, phase, users_for
from loadtests.scenarios.base import Scenario, Summary

JUDGE_AFTER_S = 3.0  # let a step's last requests complete before judging it live


class CapacityKnobs(Knobs):
    max_rate: float = Field(3000.0, gt=0, description="capacity: highest step (req/s)")
    step_factor: float = Field(1.25, gt=1, description="capacity: rate multiplier between steps")
    stop_after: int = Field(
        2, ge=1, description="capacity: stop after this many consecutive steps break the SLO"
    )


@dataclass(frozen=True)
class CapacitySummary(Summary):
    steps: tuple[PhaseStats, ...]
    sustained_rps: float | None  # None: no step held
    capped: bool  # the plan ran out before the SLO broke: the capacity is at least this


def step_rates(k: CapacityKnobs) -> list[float]:
    rates: list[float] = []
    i = 0
    while (rate := k.rate * k.step_factor**i) <= k.max_rate * (1 + 1e-9):
        offered = users_for(rate, k.user_rate) * k.user_rate
        if not rates or offered > rates[-1]:
            rates.append(offered)
        i += 1
    return rates


def sustained_rate(steps: Sequence[PhaseStats], stop_after: int) -> float | None:
    """The highest step that held the SLO before ``stop_after`` consecutive steps broke it (the
    rule that stops the run); an isolated failing step in between does not end the search."""
    best, failing = None, 0
    for step in steps:
        if step.slo_ok:
            best, failing = step.offered_rps, 0
            continue
        failing += 1
        if failing >= stop_after:
            break
    return best


def is_step(entry: Any) -> bool:
    """A capacity step (other scenarios may put other measured phases before the steps)."""
    return entry.measured and entry.label.startswith("step ")


def consecutive_failures(steps: Sequence[PhaseStats]) -> int:
    n = 0
    for step in reversed(steps):
        if step.slo_ok:
            break
        n += 1
    return n


class Capacity(Scenario):
    name = "capacity"
    order = 20
    shows = (
        "capacity and scalability: the highest arrival rate held within the SLO, at 1 and 2 "
        "server workers"
    )
    Knobs = CapacityKnobs
    defaults = {"rate": 100.0, "duration": 5.0, "step_factor": 1.3}
    worker_counts = (1, 2)

    def phases(self, k: CapacityKnobs) -> list[Phase]:
        steps = [
            phase(f"step {i}", k.duration, rate, k.user_rate)
            for i, rate in enumerate(step_rates(k), start=1)
        ]
        return [*self.warmup(k), *steps]

    def describe(self, k: CapacityKnobs) -> str:
        rates = step_rates(k)
        return (
            f"steps of {k.duration:g} s from {rates[0]:g} to at most {rates[-1]:g} req/s "
            f"(x{k.step_factor:g}), stop after {k.stop_after} failing steps"
        )

    def stop_reason(self, k: CapacityKnobs, state: Any, targets: Sequence[str]) -> str:
        judged: dict[str, list[PhaseStats]] = state.live.setdefault("steps", {})
        done: set = state.live.setdefault("judged", set())
        now, rows = time.time(), None
        for entry in state.schedule:
            if not is_step(entry) or entry.end is None or now - entry.end < JUDGE_AFTER_S:
                continue
            for target in targets:
                if (entry.index, target) in done:
                    continue
                rows = rows if rows is not None else state.timeline.rows()
                judged.setdefault(target, []).append(phase_stats(rows, entry, target, k))
                done.add((entry.index, target))
        broken = [t for t in targets if consecutive_failures(judged.get(t, [])) >= k.stop_after]
        if targets and len(broken) == len(targets):
            return f"SLO broken in {k.stop_after} consecutive step(s)"
        return ""

    def summarize(self, run) -> CapacitySummary:
        steps = tuple(
            phase_stats(run.rows, e, run.target, run.knobs)
            for e in run.record.schedule
            if is_step(e)
        )
        best = sustained_rate(steps, run.knobs.stop_after)
        return CapacitySummary(
            **Summary.common(run),
            steps=steps,
            sustained_rps=best,
            capped=bool(steps) and best == steps[-1].offered_rps,
        )

    # --- report ----------------------------------------------------------------------------

    @staticmethod
    def _sustained_cell(summaries: list[CapacitySummary]) -> str:
        from loadtests.reporting.stats import NEVER_HELD, agg, fmt

        capped = sum(s.capped for s in summaries)
        text = fmt(agg((s.sustained_rps for s in summaries), NEVER_HELD))
        if capped:
            text = f"≥ {text} ({capped} of {len(summaries)} held up to the plan's last step)"
        return text

    def _sustained_rows(self, cmp) -> list[list[str]]:
        from loadtests.reporting.stats import NEVER_HELD, agg, ratio

        rows = []
        for w in cmp.worker_counts:
            aggs = [
                agg((s.sustained_rps for s in cmp.summaries(p, w)), NEVER_HELD)
                for p in cmp.profiles
            ]
            rows.append(
                [
                    f"{w} worker(s): highest sustained rate (req/s)",
                    *(self._sustained_cell(cmp.summaries(p, w)) for p in cmp.profiles),
                    *(ratio(aggs[0], a) for a in aggs[1:]),
                ]
            )
        return rows

    def section(self, cmp) -> list[str]:
        from loadtests.reporting import markdown, tables
        from loadtests.reporting.stats import NEVER_HELD, agg, fmt, ratio

        rows = self._sustained_rows(cmp)
        counts = cmp.worker_counts
        if len(counts) > 1:
            lo, hi = counts[0], counts[-1]
            scale = [
                ratio(
                    agg((s.sustained_rps for s in cmp.summaries(p, lo)), NEVER_HELD),
                    agg((s.sustained_rps for s in cmp.summaries(p, hi)), NEVER_HELD),
                )
                for p in cmp.profiles
            ]
            rows.append([f"scaling {lo} → {hi} workers", *scale] + [""] * (len(cmp.profiles) - 1))
        lines = markdown.table(tables.header(cmp), rows)
        for w in counts:
            lines += [
                "",
                f"Per step at {w} worker(s) (median over repeats; p99 ms / errors %):",
                "",
            ]
            rates = sorted(
                {
                    st.offered_rps
                    for p in cmp.profiles
                    for s in cmp.summaries(p, w)
                    for st in s.steps
                }
            )
            step_rows = []
            for rate in rates:
                row = [f"{rate:g}"]
                for p in cmp.profiles:
                    steps = [
                        st for s in cmp.summaries(p, w) for st in s.steps if st.offered_rps == rate
                    ]
                    if not steps:
                        row.append("not reached")
                        continue
                    p99, err = agg(st.p99_ms for st in steps), agg(st.error_pct for st in steps)
                    held = sum(st.slo_ok for st in steps)
                    row.append(f"{fmt(p99)} / {fmt(err, 2)} — held {held}/{len(steps)}")
                step_rows.append(row)
            lines += markdown.table(["offered req/s", *(p.label for p in cmp.profiles)], step_rows)
        return lines

    def headline(self, cmp) -> list[list[str]]:
        return self._sustained_rows(cmp)

    def charts(self, cmp, out) -> list[tuple[str, str]]:
        made = super().charts(cmp, out)
        self._curve(cmp, out / "capacity_curve.png")
        self._workers(cmp, out / "capacity_workers.png")
        return [
            *made,
            ("capacity_curve.png", "latency vs rate"),
            ("capacity_workers.png", "capacity vs workers"),
        ]

    def _curve(self, cmp, path) -> None:
        """p99 against offered rate per step: median over repeats with min-max bars, SLO line."""
        import statistics

        from loadtests.reporting import charts

        plt = charts.plt()
        counts = cmp.worker_counts
        fig, axes = plt.subplots(1, len(counts), figsize=(6.5 * len(counts), 4.8), squeeze=False)
        slo = cmp.knobs.slo_p99_ms
        for col, workers in enumerate(counts):
            ax = axes[0][col]
            all_rates: set[float] = set()
            for n, profile in enumerate(cmp.profiles):
                repeats = cmp.summaries(profile, workers)
                by_rate: dict[float, list[float]] = {}
                verdicts: dict[float, list[bool]] = {}
                for rep in repeats:
                    for step in rep.steps:
                        verdicts.setdefault(step.offered_rps, []).append(step.slo_ok)
                        if step.p99_ms is not None:
                            by_rate.setdefault(step.offered_rps, []).append(step.p99_ms)
                rates = sorted(by_rate)
                all_rates |= set(verdicts)
                if not rates:
                    continue
                med, lo, hi = zip(*(charts.median_spread(by_rate[r]) for r in rates), strict=True)
                ax.errorbar(
                    rates,
                    med,
                    yerr=[[m - a for m, a in zip(med, lo, strict=True)],
                          [b - m for m, b in zip(med, hi, strict=True)]],
                    color=charts.color(cmp, profile), marker="o", markersize=3, capsize=2,
                    linewidth=1.2, label=f"{profile.label} (median, min-max of {len(repeats)})",
                )  # fmt: skip
                broken = [
                    r for r in rates if sum(not ok for ok in verdicts[r]) * 2 > len(verdicts[r])
                ]
                ax.scatter(
                    broken,
                    [statistics.median(by_rate[r]) for r in broken],
                    marker="x", s=60, color="black", zorder=4,
                    label="SLO broken (most repeats)" if n == len(cmp.profiles) - 1 else None,
                )  # fmt: skip
            ax.axhline(slo, color="red", linestyle="--", linewidth=1, label=f"SLO p99 {slo:g} ms")
            ax.set_xscale("log")
            ax.set_yscale("log")
            charts.plain_ticks(ax)
            ticks = sorted(all_rates)
            ax.set_xticks(ticks, [f"{r:g}" for r in ticks], rotation=45, fontsize=8)
            ax.set_xlabel("offered rate, requests / s (log)")
            ax.set_ylabel("p99 latency in the step, ms (log)")
            ax.set_title(f"{workers} server worker(s)")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8, loc="best")
        charts.share_y(axes[0])
        charts.save(fig, path, "capacity: latency against arrival rate")

    def _workers(self, cmp, path) -> None:
        """Highest sustained rate per worker count: median bar, min-max whisker, repeats as dots."""
        from loadtests.reporting import charts

        fig, ax = charts.plt().subplots(
            figsize=(2.5 + 2.2 * len(cmp.profiles) * len(cmp.worker_counts), 4.5)
        )

        def label(profile) -> str:
            capped = any(s.capped for w in cmp.worker_counts for s in cmp.summaries(profile, w))
            return profile.label + (" (≥: held to the plan's last step)" if capped else "")

        bars = [
            (
                label(p),
                charts.color(cmp, p),
                [[s.sustained_rps or 0.0 for s in cmp.summaries(p, w)] for w in cmp.worker_counts],
            )
            for p in cmp.profiles
        ]
        charts.grouped_bars(ax, [f"{w} worker(s)" for w in cmp.worker_counts], bars)
        ax.set_ylabel("highest sustained rate, requests / s")
        ax.set_title("capacity vs server workers (SLO: p99 and errors; median, min-max, repeats)")
        ax.legend(fontsize=8)
        charts.save(fig, path)
