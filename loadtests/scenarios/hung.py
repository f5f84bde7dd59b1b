"""hung: one request that takes longer than the server's timeout (make hung) -> what its client
gets, and what happens to the other requests the same worker should be serving.

The servers run with the debug-only setting debug_delay (never in production): a /classify
request with X-Debug-Delay-Ms burns that much CPU first, as a pathological input would. Under a
steady load, one such request is sent when the ``hung`` phase starts. gunicorn's master aborts a
sync worker that has not answered within its timeout (SIGABRT: in gunicorn 27 the worker writes
a 500 page as it exits) and starts another; BentoML's TimeoutMiddleware answers 504 after
traffic.timeout only if the event loop is free to run its timer, which a CPU-bound request in
an ``async def`` API is not (the request then runs to the end, and the worker answers nothing
else meanwhile).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from loadtests.core.knobs import Knobs
from loadtests.core.measures import PhaseStats
from loadtests.core.phases import Phase, phase
from loadtests.core.timeline import per_second, prefix
from loadtests.scenarios.base import Scenario, Summary
from loadtests.scenarios.crash import recovery

HANG = "one request with X-Debug-Delay-Ms"


class HungKnobs(Knobs):
    hang_ms: float = Field(
        40_000.0, gt=0, description="hung: the CPU the one slow request burns (ms)"
    )


@dataclass(frozen=True)
class HungSummary(Summary):
    before: PhaseStats
    during: PhaseStats
    hung_status: int  # 0: no response
    hung_seconds: float
    hung_error: str
    failed_by_kind: dict[str, int]  # the other requests, from the hung one on
    stall_s: int
    recovery_s: float | None


class Hung(Scenario):
    name = "hung"
    order = 72
    in_all = False
    shows = "resiliency: a request slower than the timeout, and the requests around it"
    Knobs = HungKnobs
    defaults = {"rate": 50.0, "duration": 60.0, "client_timeout": 60.0}

    def phases(self, k: HungKnobs) -> list[Phase]:
        return [
            *self.warmup(k),
            phase("before", 10.0, k.rate, k.user_rate),
            phase("hung", k.duration, k.rate, k.user_rate),
        ]

    def describe(self, k: HungKnobs) -> str:
        return (
            f"{k.rate:g} req/s; after 10 s one request that burns {k.hang_ms / 1000:g} s of CPU, "
            f"then {k.duration:g} s"
        )

    def server_env(self, profile: str, base: Path) -> dict[str, str]:
        return {"CREDIT_DEBUG_DELAY": "true"}

    def act(self, phase_label: str, op) -> list:
        if phase_label != "hung":
            return []
        import httpx

        from shared.predictor import DEBUG_DELAY_HEADER
        from shared.schema import SAMPLE_APPLICATION

        url = op.require_server().url + "/classify"
        headers = {DEBUG_DELAY_HEADER: f"{op.knobs.hang_ms:g}"}
        result: dict = {}

        def send() -> None:
            start = time.monotonic()
            try:
                resp = httpx.post(url, json=SAMPLE_APPLICATION, headers=headers,
                                  timeout=op.knobs.hang_ms / 1000 + 30)  # fmt: skip
                result.update(status=resp.status_code, error=resp.text[:200])
            except httpx.HTTPError as exc:
                result.update(status=0, error=f"{type(exc).__name__}: {exc}"[:200])
            result["seconds"] = round(time.monotonic() - start, 2)

        thread = threading.Thread(target=send, daemon=True)
        thread.start()
        op.saved["hung"] = (thread, result)
        return [op.event(phase_label, HANG, f"{op.knobs.hang_ms:g} ms")]

    def finish(self, op) -> None:
        if "hung" in op.saved:
            thread, result = op.saved["hung"]
            thread.join(timeout=op.knobs.hang_ms / 1000 + 40)
            op.extras["hung_request"] = dict(result)

    def summarize(self, run) -> HungSummary:
        before = self.stats(run, "before")
        event = next(e for e in run.record.events if e.action == HANG)
        during = run.record.phase("hung")
        seconds = per_second(run.rows, int(event.at), during.end, prefix(run.target))
        threshold = max(run.knobs.slo_p99_ms, 2 * (before.p99_ms or 0.0))
        stall, healthy = recovery(seconds, during.rate, threshold)
        errors: dict[str, int] = {}
        for w in seconds:
            for kind, n in w.errors.items():
                errors[kind] = errors.get(kind, 0) + n
        hung = run.record.extras.get("hung_request", {})
        return HungSummary(
            **Summary.common(run),
            before=before,
            during=self.stats(run, "hung"),
            hung_status=int(hung.get("status", 0)),
            hung_seconds=float(hung.get("seconds", 0.0)),
            hung_error=str(hung.get("error", "not recorded")),
            failed_by_kind=errors,
            stall_s=stall,
            recovery_s=None if healthy is None else max(0.0, seconds[healthy].first - event.at),
        )

    def section(self, cmp) -> list[str]:
        from loadtests.reporting import markdown

        rows = []
        for p in cmp.profiles:
            for s in cmp.summaries(p):
                failed = sum(s.failed_by_kind.values())
                rows.append(
                    [
                        f"{p.label}, repeat {s.repeat}",
                        _got(s, cmp.knobs.hang_ms),
                        f"{failed} of {s.during.requests}",
                        ", ".join(f"{n}× {k}" for k, n in sorted(s.failed_by_kind.items()))
                        or "none",
                        str(s.stall_s),
                        "not recovered" if s.recovery_s is None else f"{s.recovery_s:.0f}",
                    ]
                )
        header = ["server", "the hung request got", "other requests failed", "what failed",
                  "stall (s)", "recovered after (s)"]  # fmt: skip
        k = cmp.knobs
        return markdown.table(header, rows) + [
            "",
            f"One request burning {k.hang_ms / 1000:g} s of CPU in the worker (1 worker), sent "
            f"while {k.rate:g} req/s of ordinary requests arrive; clients wait "
            f"{k.client_timeout:g} s. Stall and recovery as in the crash scenario.",
        ]

    def headline(self, cmp) -> list[list[str]]:
        from loadtests.reporting.tables import Metric, row

        return [
            row(
                cmp,
                Metric(
                    "other requests failed around a hung one",
                    lambda s: sum(s.failed_by_kind.values()),
                ),
            ),  # fmt: skip
            row(cmp, Metric("stall (s)", lambda s: s.stall_s)),
        ]


def _got(s: HungSummary, hang_ms: float) -> str:
    """What the hung request got; a 200 sooner than the delay means the server never applied it
    (its service ignores debug_delay): that row measures nothing, and says so."""
    got = f"{s.hung_status or 'no response'} after {s.hung_seconds:g} s"
    if s.hung_status == 200 and s.hung_seconds < 0.9 * hang_ms / 1000:
        got += " (**the delay was not applied: this row measures nothing**)"
    return got
