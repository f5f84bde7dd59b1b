"""crash: a worker killed (SIGKILL) under a steady half load -> what the clients lose, how long
the service stalls, and how long until it answers the full rate again (make crash).

Run at 1 and 2 server workers: with one, nothing answers until the supervisor (gunicorn's
master, or `bentoml serve`'s arbiter) has started a new worker and it has loaded the model;
with two, the survivor answers meanwhile. The requests the killed worker was serving, and
those sent on its open keep-alive connections, get no response.

With the ``container`` knob (make compose-crash) the whole server dies instead: the container's
main process (gunicorn's master, `bentoml serve`) is SIGKILLed from the host, as the kernel's
OOM killer would, and compose's restart policy is what brings it back.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass

from pydantic import Field

from loadtests.core.knobs import Knobs
from loadtests.core.measures import PhaseStats
from loadtests.core.phases import Phase, phase
from loadtests.core.timeline import Window, per_second, prefix
from loadtests.scenarios.base import Scenario, Summary
from loadtests.scenarios.profile import worker_pids

KILL = "SIGKILL a worker"
KILL_CONTAINER = "SIGKILL the container's main process"


class CrashKnobs(Knobs):
    container: str = Field(
        "",
        description="crash: kill this docker container's main process instead of a worker",
        json_schema_extra={"per_target": True},  # one container per server: not like for like
    )


def container_pid(container: str) -> int:
    """The host PID of a running container's main process."""
    out = subprocess.run(["docker", "inspect", "--format", "{{.State.Pid}}", container],
                         capture_output=True, text=True, check=True)  # fmt: skip
    pid = int(out.stdout.strip())
    if pid <= 0:
        raise RuntimeError(f"container {container} is not running")
    return pid


HEALTHY_SECONDS = 3


@dataclass(frozen=True)
class CrashSummary(Summary):
    before: PhaseStats
    after: PhaseStats
    failed_by_kind: dict[str, int]  # failures from the kill on
    stall_s: int  # the longest run of seconds answering less than half the offered rate
    recovery_s: float | None  # from the kill to 3 healthy seconds in a row (None: never)


def recovery(seconds: list[Window], rate: float, threshold_ms: float) -> tuple[int, int | None]:
    """(longest stall, first healthy second) over per-second windows after the kill."""

    def healthy(w: Window) -> bool:
        p99 = w.pct(0.99)
        return (
            w.failures == 0
            and w.n - w.failures >= 0.95 * rate
            and p99 is not None
            and (p99 <= threshold_ms)
        )

    stall = longest = 0
    for w in seconds:
        stall = stall + 1 if (w.n - w.failures) < 0.5 * rate else 0
        longest = max(longest, stall)
    for i in range(len(seconds) - HEALTHY_SECONDS + 1):
        if all(healthy(w) for w in seconds[i : i + HEALTHY_SECONDS]):
            return longest, i
    return longest, None


class Crash(Scenario):
    name = "crash"
    order = 70
    in_all = False
    shows = "resiliency: a worker killed under load, what is lost and how long it takes to heal"
    Knobs = CrashKnobs
    defaults = {"rate": 200.0, "duration": 30.0}
    worker_counts = (1, 2)

    def phases(self, k: Knobs) -> list[Phase]:
        return [
            *self.warmup(k),
            phase("before", 10.0, k.rate, k.user_rate),
            phase("after kill", k.duration, k.rate, k.user_rate),
        ]

    def describe(self, k: CrashKnobs) -> str:
        what = f"the main process of container {k.container}" if k.container else "one worker"
        return f"{k.rate:g} req/s: 10 s, then SIGKILL {what}, then {k.duration:g} s"

    def act(self, phase_label: str, op) -> list:
        if phase_label != "after kill":
            return []
        if op.knobs.container:
            pid = container_pid(op.knobs.container)
            os.kill(pid, signal.SIGKILL)
            return [op.event(phase_label, KILL_CONTAINER, f"{op.knobs.container}, pid {pid}")]
        workers = worker_pids(op.require_server().process.pid)
        os.kill(workers[0], signal.SIGKILL)
        return [op.event(phase_label, KILL, f"pid {workers[0]} of {len(workers)} worker(s)")]

    def summarize(self, run) -> CrashSummary:
        before = self.stats(run, "before")
        kill = next(e for e in run.record.events if e.action in (KILL, KILL_CONTAINER))
        after = run.record.phase("after kill")
        seconds = per_second(run.rows, int(kill.at), after.end, prefix(run.target))
        threshold = max(run.knobs.slo_p99_ms, 2 * (before.p99_ms or 0.0))
        stall, first_healthy = recovery(seconds, after.rate, threshold)
        errors: dict[str, int] = {}
        for w in seconds:
            for kind, n in w.errors.items():
                errors[kind] = errors.get(kind, 0) + n
        return CrashSummary(
            **Summary.common(run),
            before=before,
            after=self.stats(run, "after kill"),
            failed_by_kind=errors,
            stall_s=stall,
            recovery_s=None
            if first_healthy is None
            else max(0.0, seconds[first_healthy].first - kill.at),
        )

    def section(self, cmp) -> list[str]:
        from loadtests.reporting import markdown
        from loadtests.reporting.stats import agg, fmt

        rows = []
        for w in cmp.worker_counts:
            for p in cmp.profiles:
                ss = cmp.summaries(p, w)
                kinds: dict[str, int] = {}
                for s in ss:
                    for kind, n in s.failed_by_kind.items():
                        kinds[kind] = kinds.get(kind, 0) + n
                failed = sum(kinds.values())
                sent = sum(s.after.requests for s in ss)
                rows.append(
                    [
                        p.label, str(w),
                        f"{failed} of {sent} ({100 * failed / sent:.2f} %)" if sent else "–",
                        ", ".join(f"{n}× {k}" for k, n in sorted(kinds.items())) or "none",
                        fmt(agg(s.stall_s for s in ss)),
                        fmt(agg(s.recovery_s for s in ss), 1, "not recovered"),
                        fmt(agg(s.before.p99_ms for s in ss)), fmt(agg(s.after.p99_ms for s in ss)),
                    ]
                )  # fmt: skip
        header = [
            "server", "workers", "failed after the kill (all repeats)", "what failed",
            "stall (s)", "recovered after (s)", "p99 before (ms)", "p99 after (ms)",
        ]  # fmt: skip
        return markdown.table(header, rows) + [
            "",
            "Stall: the longest run of whole seconds answering less than half the offered rate. "
            f"Recovered: from the kill until {HEALTHY_SECONDS} seconds in a row answer >= 95 % "
            "of the offered rate with no failure and p99 <= max(SLO, 2 × p99 before).",
        ]

    def headline(self, cmp) -> list[list[str]]:
        from loadtests.reporting.tables import Metric, row

        out = []
        for w in cmp.worker_counts:
            out.append(row(cmp, Metric(f"{w} worker(s): failed requests after SIGKILL",
                                       lambda s: sum(s.failed_by_kind.values())), w))  # fmt: skip
            out.append(row(cmp, Metric(f"{w} worker(s): recovered after (s)",
                                       lambda s: s.recovery_s, 1, "not recovered"), w))  # fmt: skip
        return out
