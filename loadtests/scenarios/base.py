"""What a scenario is: its knobs, its plan, how its numbers are summarized, and how its report
section, headline and charts read. One subclass per module in this package; the registry
(loadtests.scenarios) finds them, so adding a scenario is adding one module.

Where each part runs: ``phases``/``describe``/``stop_reason`` inside locust (light imports
only); ``prepare``/``act``/``finish`` in the harness around a run (they may touch the server
and the model store); ``summarize``/``section``/``headline``/``charts``/``console`` when a
report is built. Heavy imports (matplotlib, the model stack) go inside the methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from loadtests.core.knobs import Knobs
from loadtests.core.measures import PhaseStats, phase_stats
from loadtests.core.phases import Phase, Traffic, phase

if TYPE_CHECKING:  # the harness and the reports, never imported inside locust
    from loadtests.core.record import Event
    from loadtests.harness.operator import Operator
    from loadtests.reporting.runs import Comparison, LoadedRun


@dataclass(frozen=True)
class Summary:
    """What every run's summary has; scenarios add their own fields in a subclass."""

    run_id: str
    profile: str
    workers: int
    repeat: int
    server_cpu_ms_per_request: float | None
    locust_cpu_percent: float
    other_cpu_percent: float
    locust_cpu_warning: bool

    @staticmethod
    def common(run: LoadedRun) -> dict[str, Any]:
        rec = run.record
        return {
            "run_id": rec.run_id,
            "profile": rec.profile.name,
            "workers": rec.workers,
            "repeat": rec.repeat,
            "server_cpu_ms_per_request": rec.server_cpu.ms_per_request if rec.server_cpu else None,
            "locust_cpu_percent": rec.load_generator.cpu_percent_of_one_core,
            "other_cpu_percent": rec.host.other_cpu_percent,
            "locust_cpu_warning": rec.load_generator.cpu_warning,
        }


def phase_fields(summary: Summary) -> list[tuple[str, PhaseStats]]:
    """The summary's per-phase numbers, in declaration order (for console lines)."""
    return [
        (f.name, getattr(summary, f.name))
        for f in fields(summary)
        if isinstance(getattr(summary, f.name), PhaseStats)
    ]


class Scenario:
    name: ClassVar[str] = ""
    order: ClassVar[int] = 100  # position in `compare-all` and the index
    in_all: ClassVar[bool] = True  # part of `make compare-all`
    shows: ClassVar[str] = ""  # the production-readiness property it measures
    Knobs: ClassVar[type[Knobs]] = Knobs
    defaults: ClassVar[dict[str, Any]] = {}
    worker_counts: ClassVar[tuple[int, ...]] = (1,)  # a comparison runs at each
    scrape_batches: ClassVar[bool] = False  # read adaptive batch sizes from /metrics

    # --- the plan (inside locust too) ---------------------------------------------------

    def knobs(self, *overrides: dict[str, Any] | None) -> Knobs:
        return self.Knobs.build(self.defaults, *overrides)

    def phases(self, k: Knobs) -> list[Phase]:
        raise NotImplementedError

    def describe(self, k: Knobs) -> str:
        return f"{k.rate:g} req/s for {k.duration:g} s"

    def planned_seconds(self, k: Knobs) -> float:
        return sum(p.duration for p in self.phases(k))

    def warmup(
        self, k: Knobs, traffic: Traffic = "classify", rate: float | None = None
    ) -> list[Phase]:
        """An unmeasured lead-in at the first rate (connections, caches), if the knobs ask."""
        if not k.warmup:
            return []
        return [phase("warmup", k.warmup, rate or k.rate, k.user_rate, traffic, measured=False)]

    def stop_reason(self, k: Knobs, state: Any, targets: Sequence[str]) -> str:
        """Live, inside locust: a reason to end the run early ("" = go on)."""
        return ""

    # --- around a run (the harness) -----------------------------------------------------

    def server_env(self, profile: str, base: Path) -> dict[str, str]:
        """Extra variables for the servers this scenario runs against (e.g. a diagnosis
        directory under ``base``, the comparison's or the run's directory)."""
        return {}

    def prepare(self, op: Operator) -> None:
        """Before the server starts."""

    def act(self, phase_label: str, op: Operator) -> list[Event]:
        """When a phase starts: do something to the server (a switch, a kill)."""
        return []

    def finish(self, op: Operator) -> None:
        """After the run, also when it failed: undo what prepare/act changed."""

    # --- the report -----------------------------------------------------------------------

    def summarize(self, run: LoadedRun) -> Summary:
        raise NotImplementedError

    def stats(self, run: LoadedRun, label: str, names: Any = None) -> PhaseStats:
        return phase_stats(run.rows, run.record.phase(label), run.target, run.knobs, names)

    def section(self, cmp: Comparison) -> list[str]:
        raise NotImplementedError

    def headline(self, cmp: Comparison) -> list[list[str]]:
        return []

    def charts(self, cmp: Comparison, out: Path) -> list[tuple[str, str]]:
        """(file name, alt text) of the PNGs written into ``out``: by default, requests/s,
        latency and errors per second of every profile side by side, per worker count."""
        from loadtests.reporting import charts

        made = []
        for workers in cmp.worker_counts:
            name = f"timeseries-w{workers}.png"
            charts.timeseries(cmp, workers, out / name, f"{self.name}, {workers} server worker(s)")
            made.append((name, f"{self.name} over time, {workers} worker(s)"))
        return made

    def console(self, run: LoadedRun) -> list[str]:
        """A few lines after a single run."""
        from loadtests.reporting.console import phase_line

        return [phase_line(name, stats) for name, stats in phase_fields(run.summary)]
