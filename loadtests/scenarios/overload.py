"""overload: 1.5x and 3x the measured capacity, each for a while, then back to half of it
(make overload) -> goodput, what failed and how, the tail of what was answered, recovery.

A server that sheds load answers the excess at once with a clear status (429/503) and keeps
answering what it can within the SLO; one that queues makes every client wait, until they
give up (client timeouts) and the good answers arrive too late to count. ``capacity_rps`` is
the capacity measured before (make ladder / capacity), the same number for every profile of a
comparison, so the offered load is the same: for a server with a smaller capacity, the same
load is a larger overload (the report says so).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from loadtests.core.knobs import Knobs
from loadtests.core.measures import PhaseStats
from loadtests.core.phases import Phase, phase
from loadtests.core.timeline import per_second, percentile, prefix, window
from loadtests.scenarios.base import Scenario, Summary
from loadtests.scenarios.crash import recovery

OVERLOADS = (("1.5x", 1.5), ("3x", 3.0))
KINDS = ("client timeout", "connection error", "429", "503", "504", "other HTTP", "wrong answer")


class OverloadKnobs(Knobs):
    capacity_rps: float = Field(
        300.0, gt=0, description="overload: the measured capacity the overload factors multiply"
    )


def failure_kind(text: str) -> str:
    if text.startswith("HTTP "):
        code = text.split()[1].rstrip(":")
        return code if code in ("429", "503", "504") else "other HTTP"
    if text.startswith("no response"):
        return "client timeout" if "imeout" in text else "connection error"
    return "wrong answer"


@dataclass(frozen=True)
class OverloadPhase:
    label: str
    offered_rps: float
    sent_rps: float
    goodput_rps: float  # answered correctly within the SLO's latency, per second
    goodput_share: float  # of the capacity
    failed_by_kind: dict[str, int]
    p99_answered_ms: float | None  # of the correct answers
    p99_refused_ms: float | None  # of the failures (429/503 ... timeouts)
    recovery_s: float | None  # after the overload, to 3 healthy seconds in a row


@dataclass(frozen=True)
class OverloadSummary(Summary):
    normal: PhaseStats
    overloads: tuple[OverloadPhase, ...]


class OverloadScenario(Scenario):
    name = "overload"
    order = 65
    in_all = False
    shows = "resiliency under overload: goodput, how the excess is refused, and recovery"
    Knobs = OverloadKnobs
    defaults = {"duration": 30.0, "user_rate": 1.0, "capacity_rps": 300.0}

    def phases(self, k: OverloadKnobs) -> list[Phase]:
        half = 0.5 * k.capacity_rps
        return [
            *self.warmup(k, rate=half),
            phase("normal", 10.0, half, k.user_rate),
            phase("1.5x", k.duration, 1.5 * k.capacity_rps, k.user_rate),
            phase("after 1.5x", 15.0, half, k.user_rate),
            phase("3x", k.duration, 3.0 * k.capacity_rps, k.user_rate),
            phase("after 3x", 20.0, half, k.user_rate),
        ]

    def describe(self, k: OverloadKnobs) -> str:
        return (
            f"half of {k.capacity_rps:g} req/s, then 1.5x and 3x it for {k.duration:g} s each, "
            "back to half in between and after"
        )

    def summarize(self, run) -> OverloadSummary:
        k, rec = run.knobs, run.record
        normal = self.stats(run, "normal")
        threshold = max(k.slo_p99_ms, 2 * (normal.p99_ms or 0.0))
        out = []
        for label, _factor in OVERLOADS:
            entry, after = rec.phase(label), rec.phase(f"after {label}")
            w = window(run.rows, entry.start + k.settle, entry.end, prefix(run.target))
            kinds: dict[str, int] = {}
            for text, n in w.errors.items():
                kinds[failure_kind(text)] = kinds.get(failure_kind(text), 0) + n
            seconds = per_second(run.rows, entry.end, after.end, prefix(run.target))
            _stall, healthy = recovery(seconds, after.rate, threshold)
            out.append(
                OverloadPhase(
                    label=label,
                    offered_rps=entry.rate,
                    sent_rps=w.rps,
                    goodput_rps=w.ok_within(k.slo_p99_ms) / w.seconds if w.seconds else 0.0,
                    goodput_share=(w.ok_within(k.slo_p99_ms) / w.seconds / k.capacity_rps)
                    if w.seconds
                    else 0.0,
                    failed_by_kind=kinds,
                    p99_answered_ms=percentile(w.ok_hist, 0.99),
                    p99_refused_ms=percentile(w.fail_hist, 0.99),
                    recovery_s=None if healthy is None else float(healthy),
                )
            )
        return OverloadSummary(**Summary.common(run), normal=normal, overloads=tuple(out))

    def section(self, cmp) -> list[str]:
        from loadtests.reporting import markdown
        from loadtests.reporting.stats import agg, fmt

        k = cmp.knobs
        rows = []
        for p in cmp.profiles:
            ss = cmp.summaries(p)
            for i, (label, _factor) in enumerate(OVERLOADS):
                ov = [s.overloads[i] for s in ss]
                kinds: dict[str, int] = {}
                for o in ov:
                    for kind, n in o.failed_by_kind.items():
                        kinds[kind] = kinds.get(kind, 0) + n
                rows.append(
                    [
                        p.label, f"{label} ({ov[0].offered_rps:g} req/s)",
                        fmt(agg(o.sent_rps for o in ov)), fmt(agg(o.goodput_rps for o in ov)),
                        fmt(agg(100 * o.goodput_share for o in ov)),
                        ", ".join(f"{n} {kd}" for kd in KINDS if (n := kinds.get(kd))) or "none",
                        fmt(agg(o.p99_answered_ms for o in ov)),
                        fmt(agg(o.p99_refused_ms for o in ov)),
                        fmt(agg(o.recovery_s for o in ov), 0, "not recovered"),
                    ]
                )  # fmt: skip
        header = [
            "server", "overload", "sent (req/s)", "goodput (req/s)", "goodput (% of capacity)",
            "failed, by kind (all repeats)", "p99 answered (ms)", "p99 refused/failed (ms)",
            "recovered after (s)",
        ]  # fmt: skip
        return markdown.table(header, rows) + [
            "",
            f"Capacity {k.capacity_rps:g} req/s for every server (measured before; the same "
            f"offered load for all). Goodput: correct answers within {k.slo_p99_ms:g} ms, per "
            "second of the overload phase (after its first second). Recovered: seconds after "
            "the overload until 3 seconds in a row answer >= 95 % of the half-capacity rate, "
            "with no failure and p99 <= max(SLO, 2 × normal p99). Each simulated user sends "
            f"{k.user_rate:g} request/s: a user still waiting sends late, so a queueing server "
            "sees less than offered ('sent').",
        ]

    def headline(self, cmp) -> list[list[str]]:
        from loadtests.reporting.tables import Metric, row

        return [
            row(
                cmp,
                Metric(
                    "3x overload: goodput (% of capacity)",
                    lambda s: 100 * s.overloads[1].goodput_share,
                ),
            ),  # fmt: skip
            row(
                cmp,
                Metric(
                    "3x overload: client timeouts",
                    lambda s: s.overloads[1].failed_by_kind.get("client timeout", 0),
                ),
            ),  # fmt: skip
        ]
