"""capacity: the stepped plan, the sustained rate (the isolated failing step, the capped case)
from the fixture runs, and the live stop rule on a fake locust state."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import fixtures
import pytest

from loadtests import scenarios
from loadtests.core.measures import PhaseStats
from loadtests.core.phases import PhaseRun
from loadtests.core.timeline import Timeline
from loadtests.reporting.runs import load_run
from loadtests.scenarios.capacity import (
    JUDGE_AFTER_S,
    CapacitySummary,
    consecutive_failures,
    step_rates,
    sustained_rate,
)

CAPACITY = scenarios.get("capacity")


# --- the plan --------------------------------------------------------------------------------


def test_default_plan():
    k = CAPACITY.knobs()
    assert (k.rate, k.duration, k.step_factor, k.max_rate, k.stop_after) == (100, 5, 1.3, 3000, 2)
    # 100 x 1.3^i, rounded to whole users of 2 req/s, up to 3000
    rates = [100, 130, 170, 220, 286, 372, 482, 628, 816, 1060, 1378, 1792, 2330]
    assert step_rates(k) == rates
    phases = CAPACITY.phases(k)
    assert phases[0].label == "warmup" and not phases[0].measured and phases[0].rate == 100
    assert [p.label for p in phases[1:]] == [f"step {i}" for i in range(1, 14)]
    assert [p.rate for p in phases[1:]] == rates
    assert {p.duration for p in phases} == {3, 5} and all(p.measured for p in phases[1:])
    assert CAPACITY.describe(k) == (
        "steps of 5 s from 100 to at most 2330 req/s (x1.3), stop after 2 failing steps"
    )
    assert CAPACITY.planned_seconds(k) == 3 + 13 * 5
    assert CAPACITY.worker_counts == (1, 2)


def test_overridden_plan():
    k = CAPACITY.knobs({"rate": 100, "step_factor": 1.5, "max_rate": 500, "warmup": 0,
                        "duration": 2, "stop_after": 3})  # fmt: skip
    assert step_rates(k) == [100, 150, 224, 338]  # 225 and 337.5 in whole users of 2 req/s
    assert [(p.label, p.rate, p.duration) for p in CAPACITY.phases(k)] == [
        ("step 1", 100, 2),
        ("step 2", 150, 2),
        ("step 3", 224, 2),
        ("step 4", 338, 2),
    ]
    assert CAPACITY.describe(k) == (
        "steps of 2 s from 100 to at most 338 req/s (x1.5), stop after 3 failing steps"
    )
    assert CAPACITY.planned_seconds(k) == 8


def test_steps_never_repeat_a_rate():
    # 2, 2.2, 2.42, ... req/s are 1 user of 2 req/s until 3.22 rounds to 2 users
    k = CAPACITY.knobs({"rate": 2, "step_factor": 1.1, "max_rate": 5})
    assert step_rates(k) == [2, 4]


def test_step_factor_must_grow():
    with pytest.raises(ValueError, match="step_factor"):
        CAPACITY.knobs({"step_factor": 1})


# --- the sustained rate ---------------------------------------------------------------------


def _steps(*oks: bool) -> list[Any]:
    @dataclass
    class Step:
        offered_rps: float
        slo_ok: bool

    return [Step(10.0 * (i + 1), ok) for i, ok in enumerate(oks)]


def test_sustained_rate_ignores_an_isolated_failure_but_not_two():
    assert sustained_rate(_steps(True, True, False, False, True), 2) == 20
    assert sustained_rate(_steps(True, False, True, False), 2) == 30
    assert sustained_rate(_steps(False, False), 2) is None
    assert sustained_rate(_steps(True, False, True), 1) == 10
    assert sustained_rate(_steps(), 2) is None
    assert consecutive_failures(_steps(True, False, False)) == 2
    assert consecutive_failures(_steps(False, True)) == 0


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = fixtures.capacity(tmp_path_factory.mktemp("capacity"))
    return {p.name: load_run(p).summary for p in (root / "runs").iterdir()}


@pytest.mark.parametrize(
    ("run_id", "held", "sustained", "capped"),
    [
        ("flask-w1-r1", [True, True, True, False], 40, False),
        ("bento-w1-r1", [True, False, False], 10, False),  # stopped after 2 failing steps
        ("flask-w2-r1", [True, True, True, True], 80, True),  # the plan ran out first: >= 80
        ("bento-w2-r1", [True, False, True, False], 40, False),  # past the isolated failure
    ],
)
def test_summary_sustained_rate(runs, run_id, held, sustained, capped):
    s = runs[run_id]
    assert isinstance(s, CapacitySummary)
    assert [st.slo_ok for st in s.steps] == held
    assert [st.offered_rps for st in s.steps] == [10, 20, 40, 80][: len(held)]
    assert s.sustained_rps == sustained and s.capped is capped
    assert s.workers == int(run_id.split("-w")[1][0])


def test_summary_step_numbers(runs):
    ok, broken = runs["flask-w1-r1"].steps[2], runs["flask-w1-r1"].steps[3]
    # 3 s steps, the first second settles: 2 measured seconds at the step's rate
    assert (ok.label, ok.seconds, ok.requests, ok.achieved_rps, ok.p99_ms) == (
        "step 3", 2, 80, 40, 5,
    )  # fmt: skip
    assert (broken.requests, broken.p50_ms, broken.p99_ms, broken.failures) == (160, 5, 200, 0)
    assert broken.slo_reasons == ("p99 200 ms > 100 ms",)


def test_a_step_not_sent_at_its_rate_does_not_hold(tmp_path):
    run = load_run(fixtures.capacity(tmp_path) / "runs" / "flask-w1-r1")
    rows = [r for r in run.rows if r["t"] % 2 == 0 or r["t"] < run.record.schedule[2].start]
    thin = type(run)(run.path, run.record, rows, run.stats)
    step = thin.summary.steps[2]  # 40 req/s offered, one of its two measured seconds sent
    assert step.achieved_rps == 20 and not step.slo_ok
    assert step.slo_reasons == ("sent 20/s of 40/s offered",)
    assert thin.summary.sustained_rps == 20


# --- the live stop rule ------------------------------------------------------------------------


@dataclass
class FakeState:
    """What Capacity.stop_reason reads of loadtests.generator.hooks.RunState."""

    schedule: list[PhaseRun]
    timeline: Timeline = field(default_factory=Timeline)
    live: dict[str, Any] = field(default_factory=dict)


KNOBS = CAPACITY.knobs(
    {"rate": 10, "duration": 3, "step_factor": 2, "max_rate": 80, "warmup": 2, "stop_after": 2}
)
TARGETS = ("flask", "bento")


def state_with(held: dict[str, list[bool]], ended_ago: float = 30.0) -> FakeState:
    """Warm-up and one step per verdict, the last step ending ``ended_ago`` seconds ago;
    a held step answers every request in 5 ms, a broken one 2 requests a second in 300 ms."""
    n = max(len(v) for v in held.values())
    plan = CAPACITY.phases(KNOBS)[: n + 1]
    start = math.floor(time.time() - ended_ago) - sum(p.duration for p in plan)
    schedule = fixtures.schedule_for(CAPACITY, KNOBS, start, n + 1)
    state = FakeState(schedule)
    for target, oks in held.items():
        for entry in schedule:
            ok = True if not entry.measured else oks[entry.index - 1]
            rate = int(entry.rate)
            for t in range(int(entry.start), int(entry.end)):
                fixtures.add(state.timeline, t, f"{target} classify",
                             {5: rate} if ok else {5: rate - 2, 300: 2})  # fmt: skip
    return state


def test_runs_on_while_a_target_still_holds():
    state = state_with({"flask": [True, False, False], "bento": [True, True, False]})
    assert CAPACITY.stop_reason(KNOBS, state, TARGETS) == ""
    judged = state.live["steps"]
    assert [s.slo_ok for s in judged["flask"]] == [True, False, False]
    assert [s.slo_ok for s in judged["bento"]] == [True, True, False]
    assert all(isinstance(s, PhaseStats) for s in judged["flask"])
    assert state.live["judged"] == {(i, t) for i in (1, 2, 3) for t in TARGETS}  # no warm-up


def test_stops_once_every_target_broke_the_slo_in_a_row():
    state = state_with({"flask": [True, False, False], "bento": [False, False, False]})
    assert CAPACITY.stop_reason(KNOBS, state, TARGETS) == "SLO broken in 2 consecutive step(s)"


def test_an_isolated_failing_step_does_not_stop_the_run():
    state = state_with({"flask": [True, False, True, False], "bento": [False, True, False, True]})
    assert CAPACITY.stop_reason(KNOBS, state, TARGETS) == ""
    one = CAPACITY.knobs({**KNOBS.model_dump(), "stop_after": 1})
    assert CAPACITY.stop_reason(one, state_with({"flask": [True, False]}), ["flask"]) == (
        "SLO broken in 1 consecutive step(s)"
    )


def test_a_step_is_judged_only_once_its_last_requests_could_complete():
    state = state_with({"flask": [True, False, False]}, ended_ago=JUDGE_AFTER_S - 2)
    assert CAPACITY.stop_reason(KNOBS, state, ["flask"]) == ""  # step 3 is not judged yet
    assert [s.label for s in state.live["steps"]["flask"]] == ["step 1", "step 2"]
    # time passes: the same state, step 3 now ended long enough ago
    state.schedule[-1] = state.schedule[-1].model_copy(
        update={"end": time.time() - JUDGE_AFTER_S - 1}
    )
    assert CAPACITY.stop_reason(KNOBS, state, ["flask"]) == "SLO broken in 2 consecutive step(s)"
    assert [s.label for s in state.live["steps"]["flask"]] == ["step 1", "step 2", "step 3"]


def test_a_running_step_is_not_judged_and_a_judged_one_not_again():
    state = state_with({"flask": [False, False]})
    state.schedule[-1] = state.schedule[-1].model_copy(update={"end": None})  # still running
    assert CAPACITY.stop_reason(KNOBS, state, ["flask"]) == ""
    assert [s.label for s in state.live["steps"]["flask"]] == ["step 1"]
    state.timeline.clear()  # what was judged stays judged
    assert CAPACITY.stop_reason(KNOBS, state, ["flask"]) == ""
    assert len(state.live["steps"]["flask"]) == 1 and not state.live["steps"]["flask"][0].slo_ok


def test_no_target_no_stop():
    assert CAPACITY.stop_reason(KNOBS, state_with({"flask": [False, False]}), []) == ""
