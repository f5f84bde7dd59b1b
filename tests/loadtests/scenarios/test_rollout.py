"""rollout: the plan, the operator's actions (with a fake server and a fake promote), and
the per-switch numbers from the fixture runs: failures by kind, seconds until only the new
version answers, the latency bump and the longest pause in sending."""

from __future__ import annotations

import signal

import fixtures
import pytest

from loadtests import scenarios
from loadtests.core.timeline import Timeline
from loadtests.harness.operator import Operator
from loadtests.reporting.runs import load_run
from loadtests.scenarios.rollout import (
    KEEPALIVE_RACE,
    SWITCH,
    RolloutSummary,
    Switch,
    analyse_switch,
)

ROLLOUT = scenarios.get("rollout")
V1, V2 = fixtures.V1, fixtures.V2


def test_default_plan():
    k = ROLLOUT.knobs()
    assert (k.rate, k.duration, k.warmup) == (50, 60, 3)
    assert [(p.label, p.duration, p.rate, p.measured) for p in ROLLOUT.phases(k)] == [
        ("warmup", 3, 50, False),
        ("v1", 20, 50, True),
        ("v2", 20, 50, True),
        ("v1 again", 20, 50, True),
    ]
    assert ROLLOUT.describe(k) == (
        "50 req/s for 60 s: v1, switch to v2 at 1/3, back to v1 at 2/3 "
        "(promote; SIGHUP unless the server swaps in place)"
    )
    assert ROLLOUT.planned_seconds(k) == 63
    assert not ROLLOUT.in_all  # its own make target


def test_overridden_plan():
    k = ROLLOUT.knobs({"rate": 20, "duration": 36, "warmup": 2, "client_timeout": 60})
    assert [(p.label, p.duration, p.rate, p.users) for p in ROLLOUT.phases(k)] == [
        ("warmup", 2, 20, 10),
        ("v1", 12, 20, 10),
        ("v2", 12, 20, 10),
        ("v1 again", 12, 20, 10),
    ]
    assert ROLLOUT.planned_seconds(k) == 38
    assert k.client_timeout == 60


# --- the operator ------------------------------------------------------------------------------


class FakeServer:
    def __init__(self) -> None:
        self.signals: list[int] = []

    def signal(self, signum: int) -> None:
        self.signals.append(signum)


@pytest.fixture
def promoted(monkeypatch):
    """Records artifact.promote / set_current instead of touching a model directory."""
    from shared import artifact

    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(artifact, "promote", lambda _settings, v: calls.append(("promote", v)))
    monkeypatch.setattr(artifact, "set_current", lambda _dir, v: calls.append(("current", v)))
    return calls


def test_act_switches_at_the_two_switch_phases(promoted, tmp_path):
    server = FakeServer()
    op = Operator(fixtures.FLASK, tmp_path, server)  # type: ignore[arg-type]
    op.extras.update(v1=V1, v2=V2)
    assert ROLLOUT.act("warmup", op) == [] and ROLLOUT.act("v1", op) == []
    (to_v2,) = ROLLOUT.act("v2", op)
    (back,) = ROLLOUT.act("v1 again", op)
    assert (to_v2.phase, to_v2.action, to_v2.detail) == ("v2", SWITCH, V2)
    assert (back.phase, back.action, back.detail) == ("v1 again", SWITCH, V1)
    assert to_v2.at <= back.at
    assert promoted == [("promote", V2), ("promote", V1)]
    assert server.signals == [signal.SIGHUP, signal.SIGHUP]  # promote first, then SIGHUP


def test_act_needs_a_server_it_started(promoted, tmp_path):
    op = Operator(fixtures.FLASK, tmp_path, None)
    op.extras.update(v1=V1, v2=V2)
    with pytest.raises(RuntimeError, match="needs one the run starts"):
        ROLLOUT.act("v2", op)


def test_finish_restores_the_current_version(promoted, tmp_path):
    op = Operator(fixtures.FLASK, tmp_path, None)
    ROLLOUT.finish(op)
    assert promoted == []  # nothing saved: nothing to restore
    op.saved["current"] = "v0"
    ROLLOUT.finish(op)
    assert promoted == [("current", "v0")]


# --- the numbers -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = fixtures.rollout(tmp_path_factory.mktemp("rollout"))
    return {p.name: load_run(p) for p in (root / "runs").iterdir()}


def test_flask_loses_nothing(runs):
    run = runs["flask-w1-r1"]
    s = run.summary
    assert isinstance(s, RolloutSummary)
    assert (s.v1, s.v2, s.requests, s.failed, s.failed_by_kind) == (V1, V2, 320, 0, {})
    assert s.failed_before_first_switch == 0
    assert s.by_version == {V1: 224, V2: 96}
    at = run.record.start + fixtures.SWITCH_AT[0], run.record.start + fixtures.SWITCH_AT[1]
    assert s.switches == (
        Switch(to=V2, rollback=False, at=at[0], requests=100, failed=0, failed_by_kind={},
               old_version_responses=9, seconds_to_new=1.5, p99_steady_ms=5, p99_during_ms=400,
               max_during_ms=400, longest_pause_s=0),
        Switch(to=V1, rollback=True, at=at[1], requests=100, failed=0, failed_by_kind={},
               old_version_responses=5, seconds_to_new=0.5, p99_steady_ms=5, p99_during_ms=5,
               max_during_ms=5, longest_pause_s=0),
    )  # fmt: skip


def test_bento_loses_the_keepalive_race_at_one_switch_and_pauses_at_the_other(runs):
    s = runs["bento-w1-r1"].summary
    assert (s.requests, s.failed, s.failed_by_kind) == (293, 3, {KEEPALIVE_RACE: 3})
    assert s.failed_before_first_switch == 0
    assert s.by_version == {V1: 220, V2: 70, "none (failed)": 3}
    first, second = s.switches
    # to v2: 10 + 3 requests, two seconds without any, then v2 only from second 14
    assert (first.requests, first.failed, first.old_version_responses) == (73, 0, 8)
    assert (first.seconds_to_new, first.longest_pause_s) == (1.5, 2)
    assert (first.p99_during_ms, first.max_during_ms) == (1500, 1500)
    # back to v1: the keep-alive race, v1 only from the next second
    assert (second.requests, second.failed, second.failed_by_kind) == (
        100, 3, {KEEPALIVE_RACE: 3},
    )  # fmt: skip
    assert (second.to, second.rollback, second.seconds_to_new) == (V1, True, 0.5)
    assert (second.old_version_responses, second.longest_pause_s) == (5, 0)


def test_a_switch_that_never_converged():
    tl = Timeline()
    for t in range(10, 20):  # the old version keeps answering
        fixtures.add(tl, t, "flask classify", {5: 10}, version="v1")
    out = analyse_switch(tl.rows(), "flask", 10.5, 20.0, "v2", 5.0)
    assert out["seconds_to_new"] is None
    assert out["old_version_responses"] == 100 and out["failed"] == 0
    # the new version only, but a failure in the last second: not converged either
    tl = Timeline()
    for t in range(10, 20):
        fixtures.add(tl, t, "flask classify", {5: 10}, version="v2")
    fixtures.add(tl, 19, "flask classify", {1: 1}, status=0, error=KEEPALIVE_RACE)
    out = analyse_switch(tl.rows(), "flask", 10.5, 20.0, "v2", 5.0)
    assert out["seconds_to_new"] is None
    assert (out["failed"], out["failed_by_kind"]) == (1, {KEEPALIVE_RACE: 1})


def test_console_lines(runs):
    lines = ROLLOUT.console(runs["bento-w1-r1"])
    assert lines[0] == f"  293 requests, 3 (3× {KEEPALIVE_RACE})"
    assert lines[1].startswith(f"  -> {V2}: 0, only {V2} after 1.5 s, p99 1500 ms (steady 5 ms)")
    assert lines[1].endswith("longest pause 2 s")
    assert lines[2].startswith(f"  -> {V1}: 3 (3× {KEEPALIVE_RACE}), only {V1} after 0.5 s")


def test_a_run_without_switches(tmp_path):
    root = fixtures.rollout(tmp_path)
    run = load_run(root / "runs" / "flask-w1-r1")
    quiet = run.record.model_copy(update={"events": []})
    s = type(run)(run.path, quiet, run.rows, run.stats).summary
    assert s.switches == () and s.requests == 320
    assert s.failed_before_first_switch == 0
