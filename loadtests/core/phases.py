"""A scenario's plan: phases of open-loop traffic, and the SLO a measured phase is judged by.

Open workload: a phase's rate comes from many users that each send ``user_rate`` requests per
second on a fixed schedule (loadtests.generator.users), so users = rate / user_rate and the
rate does not drop when the server slows down, until a response takes longer than
1 / user_rate. Rates are per target.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

# What the users of a phase send (one user class per target and traffic kind).
Traffic = Literal["classify", "classify_batch", "bad_input"]
TRAFFIC: tuple[Traffic, ...] = ("classify", "classify_batch", "bad_input")


@dataclass(frozen=True)
class Phase:
    label: str
    duration: float
    users: int  # per target
    user_rate: float
    traffic: Traffic
    measured: bool = True
    items_per_request: int = 1

    @property
    def rate(self) -> float:
        """Offered requests/s per target."""
        return self.users * self.user_rate


def users_for(rate: float, user_rate: float) -> int:
    return max(1, round(rate / user_rate))


def phase(
    label: str, duration: float, rate: float, user_rate: float, traffic: Traffic = "classify",
    measured: bool = True, items_per_request: int = 1,
) -> Phase:  # fmt: skip
    return Phase(
        label, duration, users_for(rate, user_rate), user_rate, traffic, measured, items_per_request
    )


LOOKAHEAD_S = 1.2  # locust's shape loop ticks once a second, late by its jitter


def planned_time(phases: Sequence[Phase], elapsed: float) -> float:
    """When a tick at ``elapsed`` seconds into the plan should act: at the next phase boundary
    if it comes within LOOKAHEAD_S (the tick waits for it, so the phase begins on time, not up
    to a second late), else now."""
    for boundary in itertools.accumulate(p.duration for p in phases):
        if boundary > elapsed:
            return boundary if boundary - elapsed < LOOKAHEAD_S else elapsed
    return elapsed


def phase_at(phases: Sequence[Phase], elapsed: float) -> int | None:
    """Index of the phase running ``elapsed`` seconds after the start; None once all are over."""
    end = 0.0
    for index, item in enumerate(phases):
        end += item.duration
        if elapsed < end:
            return index
    return None


class PhaseRun(BaseModel):
    """One phase as it really ran: its plan plus wall-clock start and end (epoch seconds)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    index: int
    label: str
    duration: float
    users: int
    user_rate: float
    traffic: Traffic
    measured: bool
    items_per_request: int
    rate: float
    start: float
    end: float | None = None  # None only while it runs

    @classmethod
    def begin(cls, index: int, item: Phase, now: float) -> PhaseRun:
        return cls(index=index, rate=item.rate, start=now, **asdict(item))


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reasons: tuple[str, ...]


def judge(
    slo_p99_ms: float,
    slo_error_pct: float,
    min_achieved: float,
    offered: float,
    achieved: float,
    p99_ms: float | None,
    error_ratio: float,
) -> Verdict:
    """Did a window meet the SLO (p99, errors) at the rate it was offered?"""
    reasons = []
    if p99_ms is None:
        reasons.append("no completed requests")
    elif p99_ms > slo_p99_ms:
        reasons.append(f"p99 {p99_ms:.0f} ms > {slo_p99_ms:.0f} ms")
    if error_ratio * 100 > slo_error_pct:
        reasons.append(f"errors {error_ratio * 100:.2f} % > {slo_error_pct:g} %")
    if offered > 0 and achieved < min_achieved * offered:
        reasons.append(f"sent {achieved:.0f}/s of {offered:.0f}/s offered")
    return Verdict(not reasons, tuple(reasons))
