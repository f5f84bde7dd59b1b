"""loadtests.core.phases: users per rate, which phase runs when, the SLO verdict, PhaseRun."""

from __future__ import annotations

import dataclasses

import pytest
from pydantic import ValidationError

from loadtests.core.phases import (
    TRAFFIC,
    Phase,
    PhaseRun,
    judge,
    phase,
    phase_at,
    planned_time,
    users_for,
)


def test_users_for_rounds_to_whole_users_and_keeps_at_least_one():
    assert users_for(100, 2) == 50
    assert users_for(101, 2) == 50  # 50.5 -> round half to even
    assert users_for(103, 2) == 52  # 51.5
    assert users_for(99.4, 1) == 99
    assert users_for(0.1, 2) == 1
    assert users_for(1, 1000) == 1


def test_phase_rate_is_what_the_whole_users_send():
    p = phase("hold", 10, 101, 2.0, "classify_batch", measured=False, items_per_request=4)
    assert (p.users, p.rate) == (50, 100.0)
    assert (p.traffic, p.measured, p.items_per_request) == ("classify_batch", False, 4)
    assert phase("x", 1, 5, 0.5).rate == 5.0
    assert phase("x", 1, 5, 0.5).traffic == "classify" and phase("x", 1, 5, 0.5).measured
    assert set(TRAFFIC) == {"classify", "classify_batch", "bad_input"}


def test_phase_at():
    phases = [phase("warmup", 2, 10, 2), phase("hold", 10, 10, 2), phase("tail", 0.5, 10, 2)]
    at = [0, 1.9, 2, 11.9, 12, 12.49, 12.5, 100]
    assert [phase_at(phases, t) for t in at] == [0, 0, 1, 1, 2, 2, None, None]
    assert phase_at([], 0) is None
    # a phase of no time is never the running one
    assert phase_at([phase("a", 1, 1, 1), phase("b", 0, 1, 1), phase("c", 1, 1, 1)], 1) == 2


def test_a_tick_near_a_phase_boundary_acts_at_the_boundary():
    phases = [phase("warmup", 3, 10, 2), phase("fixed", 15, 10, 2), phase("step 1", 4, 10, 2)]
    # locust ticks about once a second: a tick less than 1.2 s before a boundary waits for it
    assert planned_time(phases, 0.0) == 0.0
    assert planned_time(phases, 1.7) == 1.7
    assert planned_time(phases, 1.85) == 3.0
    assert planned_time(phases, 2.99) == 3.0
    assert planned_time(phases, 3.0) == 3.0  # on it: not the next one
    assert planned_time(phases, 17.01) == 18.0
    assert planned_time(phases, 21.5) == 22.0  # the plan's end
    assert planned_time(phases, 30.0) == 30.0
    # so ticks one second apart, each a little late, never begin a phase late
    elapsed, current, changes = 0.0, -1, []
    for _ in range(25):
        at = planned_time(phases, elapsed)
        if (index := phase_at(phases, at)) != current:
            changes.append((at, index))
            current = index
        elapsed = at + 1.03
    assert changes == [(0.0, 0), (3.0, 1), (18.0, 2), (22.0, None)]


def _judge(**over):
    args = dict(
        slo_p99_ms=100,
        slo_error_pct=0.1,
        min_achieved=0.95,
        offered=100,
        achieved=100,
        p99_ms=50,
        error_ratio=0.0,
    )
    return judge(**{**args, **over})


def test_judge_passes_a_window_within_every_limit_and_at_the_limits():
    assert _judge().ok and _judge().reasons == ()
    at_limits = _judge(p99_ms=100, error_ratio=0.001, achieved=95)
    assert at_limits.ok, at_limits.reasons


@pytest.mark.parametrize(
    ("over", "reason"),
    [
        ({"p99_ms": None}, "no completed requests"),
        ({"p99_ms": 150}, "p99 150 ms > 100 ms"),
        ({"error_ratio": 0.01}, "errors 1.00 % > 0.1 %"),
        ({"achieved": 80}, "sent 80/s of 100/s offered"),
    ],
)
def test_judge_names_the_broken_limit(over, reason):
    verdict = _judge(**over)
    assert not verdict.ok
    assert verdict.reasons == (reason,)


def test_judge_names_every_broken_limit():
    verdict = _judge(p99_ms=150, error_ratio=0.01, achieved=80)
    assert not verdict.ok and len(verdict.reasons) == 3
    assert _judge(p99_ms=None, achieved=0).reasons == (
        "no completed requests",
        "sent 0/s of 100/s offered",
    )
    # nothing offered: the achieved rate is not judged
    assert _judge(offered=0, achieved=0).ok


def test_phase_run_begins_from_the_phases_own_fields():
    p = phase("spike", 8, 640, 1.0, "classify", measured=True, items_per_request=1)
    run = PhaseRun.begin(3, p, 1_800_000_000.5)
    assert run.index == 3 and run.start == 1_800_000_000.5 and run.end is None
    assert run.rate == p.rate == 640.0
    for f in dataclasses.fields(Phase):
        assert getattr(run, f.name) == getattr(p, f.name), f.name
    ended = run.model_copy(update={"end": 1_800_000_008.5})
    assert ended.end == 1_800_000_008.5 and run.end is None
    with pytest.raises(ValidationError):
        run.end = 1.0  # type: ignore[misc]
    with pytest.raises(ValidationError):
        PhaseRun(**run.model_dump(), extra_field=1)
    with pytest.raises(ValidationError):
        PhaseRun(**{**run.model_dump(), "traffic": "upload"})
