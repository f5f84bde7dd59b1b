"""tuning: the tuning ladder's measure, one run per profile (make ladder; docs/performance.md).

Each run holds a fixed rate every tuned server sustains (p99 and the server's CPU per request
there), then steps the rate up like `capacity` until the SLO breaks (the capacity at the SLO).
Run over the ladder's profiles — each one step from the one before — the report is one table,
a row per profile, and one chart: what each step buys, priced on the same load.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from loadtests.core.measures import PhaseStats, phase_stats
from loadtests.core.phases import Phase, phase
from loadtests.scenarios.base import Scenario, Summary
from loadtests.scenarios.capacity import (
    Capacity,
    CapacityKnobs,
    is_step,
    step_rates,
    sustained_rate,
)


class TuningKnobs(CapacityKnobs):
    fixed_rate: float = Field(
        300.0, gt=0, description="tuning: the rate at which p99 and CPU per request are measured"
    )
    fixed_duration: float = Field(15.0, gt=0, description="tuning: seconds at the fixed rate")
    cross_check: bool = Field(
        True, description="tuning: measure the capacity again with k6 (an open-loop generator)"
    )


@dataclass(frozen=True)
class TuningSummary(Summary):
    fixed: PhaseStats
    cpu_ms_fixed: float | None  # the server's CPU per request during the fixed phase
    steps: tuple[PhaseStats, ...]
    sustained_rps: float | None
    capped: bool
    k6_sustained_rps: float | None  # the same search by k6 (None: not run, or nothing held)
    k6_generator_limited: bool  # k6 dropped arrivals at some step: its own limit, not the server's
    k6_ran: bool = False  # k6 measured at least one step (so a missing capacity: nothing held)


class Tuning(Scenario):
    name = "tuning"
    order = 80
    in_all = False
    shows = (
        "the tuning ladder: what each serving choice buys, as capacity at the SLO, p99 and CPU "
        "per request at one fixed rate"
    )
    Knobs = TuningKnobs
    # steps 10 % apart: two capacities "agree within 15 %" only when they are the same step
    defaults = {"rate": 200.0, "duration": 4.0, "step_factor": 1.1, "fixed_rate": 300.0}

    def phases(self, k: TuningKnobs) -> list[Phase]:
        steps = [
            phase(f"step {i}", k.duration, rate, k.user_rate)
            for i, rate in enumerate(step_rates(k), start=1)
        ]
        fixed = phase("fixed", k.fixed_duration, k.fixed_rate, k.user_rate)
        return [*self.warmup(k, rate=k.fixed_rate), fixed, *steps]

    def describe(self, k: TuningKnobs) -> str:
        return f"{k.fixed_rate:g} req/s for {k.fixed_duration:g} s, then " + Capacity().describe(k)

    def stop_reason(self, k: TuningKnobs, state: Any, targets: Sequence[str]) -> str:
        return Capacity().stop_reason(k, state, targets)

    def finish(self, op) -> None:
        """Right after locust: k6 replays locust's plan (warm-up, fixed phase, the steps from
        the first) on a fresh server of the same profile, workers and cores, up to a step past
        where the stop rule ended locust's run (locust's server stays up, idle, for the run's
        record).

        Not on locust's server: after locust's search ended in overload, k6 found 1-3 steps
        less there on 6 of 13 ladder rungs, while on a fresh server it held locust's capacity.
        The whole plan, not only the steps near locust's capacity: a server that still stops
        for full collections collects less often, and longer, the longer it has served
        (docs/performance.md, section 3). Each generator gets a server as it starts and the
        same history before each step."""
        import dataclasses
        import json

        from loadtests.core.phases import PhaseRun
        from loadtests.core.timeline import read_rows
        from loadtests.harness import k6
        from loadtests.harness.servers import free_port

        k = op.knobs
        meta, timeline = op.out_dir / "locust_meta.json", op.out_dir / "timeline.json"
        if not k.cross_check or op.server is None or not meta.exists() or not timeline.exists():
            return
        rows = read_rows(timeline)
        schedule = [PhaseRun(**e) for e in json.loads(meta.read_text())["schedule"]]
        steps = [phase_stats(rows, e, op.profile.name, k) for e in schedule if is_step(e)]
        best = sustained_rate(steps, k.stop_after)
        rates = step_rates(k)
        start = rates.index(best) if best in rates else 0
        out = op.out_dir / "k6"
        fresh = dataclasses.replace(
            op.server, port=free_port(), process=None, log_path=out / "server.log"
        )
        fresh.start(timeout=180)
        try:
            found = k6.replay(
                fresh.url, op.pool_file, self.phases(k), start, k, out, op.generator_cpus,
                health=fresh.url + fresh.profile.server.health_path,
                server_pid=fresh.process.pid if fresh.process else None,
            )  # fmt: skip
        finally:
            fresh.stop()
        op.extras["k6"] = {**found, "server": "fresh: started after locust's run, same profile"}

    def summarize(self, run) -> TuningSummary:
        fixed = self.stats(run, "fixed")
        entry = run.record.phase("fixed")
        cpu_s = run.record.phase_server_cpu.get("fixed")
        whole = phase_stats(run.rows, entry, run.target, run.knobs.changed(settle=0))
        steps = tuple(
            phase_stats(run.rows, e, run.target, run.knobs)
            for e in run.record.schedule
            if is_step(e)
        )
        best = sustained_rate(steps, run.knobs.stop_after)
        return TuningSummary(
            **Summary.common(run),
            fixed=fixed,
            cpu_ms_fixed=1000 * cpu_s / whole.requests
            if cpu_s is not None and whole.requests
            else None,
            steps=steps,
            sustained_rps=best,
            capped=bool(steps) and best == steps[-1].offered_rps,
            k6_sustained_rps=run.record.extras.get("k6", {}).get("sustained_rps"),
            k6_generator_limited=bool(
                run.record.extras.get("k6", {}).get("generator_limited_steps")
            ),
            k6_ran=bool(run.record.extras.get("k6", {}).get("steps")),
        )

    # --- report: a row per profile ------------------------------------------------------------

    def _rows(self, cmp) -> list[list[str]]:
        from loadtests.harness.k6 import agreement
        from loadtests.reporting.stats import NEVER_HELD, agg, fmt, ratio

        base = cmp.summaries(cmp.baseline)
        base_cap = agg((s.sustained_rps for s in base), NEVER_HELD)
        base_p99 = agg(s.fixed.p99_ms for s in base)
        base_cpu = agg(s.cpu_ms_fixed for s in base)
        rows = []
        for p in cmp.profiles:
            ss = cmp.summaries(p)
            cap, p99 = (
                agg((s.sustained_rps for s in ss), NEVER_HELD),
                agg(s.fixed.p99_ms for s in ss),
            )
            cpu = agg(s.cpu_ms_fixed for s in ss)
            capped = sum(s.capped for s in ss)
            cap_text = ("≥ " if capped else "") + fmt(cap)
            k6_cap = agg((s.k6_sustained_rps for s in ss), NEVER_HELD)
            limited = sum(s.k6_generator_limited for s in ss)
            k6_ran = any(s.k6_ran for s in ss)
            k6_missing = "none" if k6_ran else "not run"
            k6_median = NEVER_HELD if k6_ran and k6_cap.median is None else k6_cap.median
            k6_text = fmt(k6_cap, 0, k6_missing) + (
                f" ({limited} limited by k6)" if limited else ""
            )
            rows.append(
                [
                    p.label, p.description, str(ss[0].workers), cap_text, ratio(base_cap, cap),
                    k6_text,
                    agreement(cap.median, k6_median),
                    fmt(p99), ratio(base_p99, p99), fmt(agg(s.fixed.error_pct for s in ss), 2),
                    fmt(cpu, 3), ratio(base_cpu, cpu),
                ]
            )  # fmt: skip
        return rows

    def section(self, cmp) -> list[str]:
        from loadtests.reporting import markdown

        k = cmp.knobs
        base = cmp.baseline.label
        header = [
            "profile", "what it is", "workers", "capacity at SLO (req/s)", f"÷ {base}",
            "k6's capacity (req/s)", "k6 ÷ locust", f"p99 at {k.fixed_rate:g} req/s (ms)",
            f"÷ {base}", "errors (%)",
            f"CPU per request at {k.fixed_rate:g} req/s (ms)", f"÷ {base}",
        ]  # fmt: skip
        return [
            *markdown.table(header, self._rows(cmp)),
            "",
            f"Capacity: the highest step that held p99 <= {k.slo_p99_ms:g} ms, errors <= "
            f"{k.slo_error_pct:g} % and >= {k.min_achieved:.0%} of its rate sent, before "
            f"{k.stop_after} failing steps ('≥': never broke before the plan's last step, "
            f"{k.max_rate:g} req/s). CPU per request: the server's process tree during the fixed "
            "phase over the requests sent in it. k6's capacity: the same SLO and step rule, k6 "
            "(Go, ramping-arrival-rate) right after each locust run, on a fresh server of the "
            "same profile (not one out of locust's overload), replaying locust's plan — warm-up, "
            "fixed phase, then the steps from the first — in one k6 process, so the server has the "
            "same history at each step and k6's users keep their connections from step to step as "
            "locust's do ('agree': within 15 %; 'limited by k6': k6 used more than 90 % of its "
            "core in a step, so that step says more about k6 than the server; each phase's first "
            f"{k.settle:g} s is not counted, under either generator). Median (min–max) over the "
            "repeats.",
        ]

    def headline(self, cmp) -> list[list[str]]:
        from loadtests.reporting.stats import NEVER_HELD
        from loadtests.reporting.tables import Metric, row

        return [
            row(
                cmp,
                Metric("capacity at SLO (req/s)", lambda s: s.sustained_rps, none_as=NEVER_HELD),
            ),
            row(
                cmp, Metric(f"p99 at {cmp.knobs.fixed_rate:g} req/s (ms)", lambda s: s.fixed.p99_ms)
            ),
            row(cmp, Metric("CPU per request (ms)", lambda s: s.cpu_ms_fixed, 3)),
        ]

    def charts(self, cmp, out) -> list[tuple[str, str]]:
        from loadtests.reporting import charts
        from loadtests.reporting.stats import NEVER_HELD

        plt = charts.plt()
        names = [p.label for p in cmp.profiles]
        fig, axes = plt.subplots(1, 3, figsize=(17, 0.45 * len(names) + 2.2), sharey=True)
        k = cmp.knobs
        for ax, (title, get, none_as) in zip(
            axes,
            (
                ("capacity at the SLO, req/s", lambda s: s.sustained_rps, NEVER_HELD),
                (f"p99 at {k.fixed_rate:g} req/s, ms (log)", lambda s: s.fixed.p99_ms, None),
                (f"server CPU per request at {k.fixed_rate:g} req/s, ms",
                 lambda s: s.cpu_ms_fixed, None),
            ),
            strict=True,
        ):  # fmt: skip
            for y, p in enumerate(cmp.profiles):
                got = [get(s) for s in cmp.summaries(p)]
                values = plotted(got, none_as)
                if not values:
                    continue
                med, lo, hi = charts.median_spread(values)
                colour = "#1f77b4" if p.kind == "flask" else "#ff7f0e"
                ax.barh(y, med, color=colour, alpha=0.85)
                ax.errorbar(med, y, xerr=[[med - lo], [hi - med]], color="black", capsize=3, lw=1)
                ax.scatter(values, [y] * len(values), color="black", s=8, zorder=3)
                text = f"{med:,.0f}" if med >= 100 else f"{med:.3g}"
                if none_as is not None and None in got:
                    text += f" ({got.count(None)} never held)"
                ax.annotate(text, (hi, y), textcoords="offset points", xytext=(4, -3),
                            fontsize=8)  # fmt: skip
            ax.set_title(title, fontsize=10)
            ax.grid(True, axis="x", alpha=0.3)
            if "log" in title:
                ax.set_xscale("log")
                ax.axvline(k.slo_p99_ms, color="red", lw=0.8, ls="--")
        axes[0].set_yticks(range(len(names)), names, fontsize=8)
        axes[0].invert_yaxis()
        charts.save(fig, out / "ladder.png", "tuning ladder (median, min-max, repeats as dots)")
        return [("ladder.png", "the tuning ladder")]


def plotted(values: list[float | None], none_as: float | None) -> list[float]:
    """What a chart draws for the repeats' values: a missing one as ``none_as`` (a capacity
    search that never held its first step counts as 0, as in the tables), or left out."""
    return [none_as if v is None else v for v in values if v is not None or none_as is not None]
