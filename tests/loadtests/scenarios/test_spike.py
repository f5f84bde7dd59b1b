"""spike: the plan, the burst's numbers and the recovery time from the fixture runs."""

from __future__ import annotations

import fixtures
import pytest

from loadtests import scenarios
from loadtests.core.phases import PhaseRun
from loadtests.core.timeline import Timeline
from loadtests.reporting.runs import LoadedRun, load_run
from loadtests.scenarios.spike import HEALTHY_SECONDS, SpikeSummary, recovery_time

SPIKE = scenarios.get("spike")


def test_default_plan():
    k = SPIKE.knobs()
    assert (k.rate, k.duration, k.spike_factor, k.user_rate, k.warmup) == (80, 32, 8, 1, 3)
    assert [(p.label, p.duration, p.rate, p.users, p.measured) for p in SPIKE.phases(k)] == [
        ("warmup", 3, 80, 80, False),
        ("baseline", 8, 80, 80, True),
        ("spike", 8, 640, 640, True),
        ("recovery", 16, 80, 80, True),
    ]
    assert SPIKE.describe(k) == "80 req/s, burst x8 for 8 s, 16 s recovery"
    assert SPIKE.planned_seconds(k) == 35


def test_overridden_plan():
    k = SPIKE.knobs({"rate": 10, "duration": 40, "spike_factor": 4, "warmup": 0, "user_rate": 2})
    assert [(p.label, p.duration, p.rate, p.users) for p in SPIKE.phases(k)] == [
        ("baseline", 10, 10, 5),
        ("spike", 10, 40, 20),
        ("recovery", 20, 10, 5),
    ]
    assert SPIKE.describe(k) == "10 req/s, burst x4 for 10 s, 20 s recovery"
    assert SPIKE.planned_seconds(k) == 40
    with pytest.raises(ValueError, match="spike_factor"):
        SPIKE.knobs({"spike_factor": 1})


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = fixtures.spike(tmp_path_factory.mktemp("spike"))
    return {p.name: load_run(p) for p in (root / "runs").iterdir()}


def test_burst_numbers(runs):
    flask, bento = runs["flask-w1-r1"].summary, runs["bento-w1-r1"].summary
    assert isinstance(flask, SpikeSummary)
    # 3 measured seconds of the burst: flask 30 at 50 ms + 10 at 900 ms a second
    assert (flask.spike.offered_rps, flask.spike.requests, flask.spike.ok_rps) == (40, 120, 40)
    assert (flask.spike.p50_ms, flask.spike.p99_ms, flask.spike.error_pct) == (50, 900, 0)
    # bento: 20 at 80 ms + 20 that got no response within the client's 10 s
    assert (bento.spike.requests, bento.spike.failures, bento.spike.ok_rps) == (120, 60, 20)
    assert (bento.spike.p50_ms, bento.spike.p99_ms, bento.spike.error_pct) == (80, 10_000, 50)
    assert bento.spike.errors == {fixtures.TIMEOUT: 60} and bento.spike.codes == {0: 60, 200: 60}
    assert not bento.spike.slo_ok and not flask.spike.slo_ok
    assert flask.baseline.p99_ms == bento.baseline.p99_ms == 5 and flask.baseline.slo_ok


def test_recovery_time(runs):
    flask, bento = runs["flask-w1-r1"].summary, runs["bento-w1-r1"].summary
    assert flask.recovery_threshold_ms == bento.recovery_threshold_ms == 100  # max(SLO, 2 x 5)
    assert flask.recovery_s == 2  # seconds 0 and 1 after the burst at 900 ms
    assert bento.recovery_s == 5  # a failing second, then four at 900 ms
    # the recovery phase's own numbers start after its settle second
    assert (bento.recovery.requests, bento.recovery.failures, bento.recovery.p99_ms) == (70, 0, 900)


def test_the_threshold_is_twice_the_baseline_p99_when_that_is_above_the_slo(runs):
    run = runs["flask-w1-r1"]
    record = run.record.model_copy(update={"knobs": {**run.record.knobs, "slo_p99_ms": 4.0}})
    strict = LoadedRun(run.path, record, run.rows, run.stats).summary
    assert strict.recovery_threshold_ms == 10  # 2 x baseline p99 5 ms
    assert strict.recovery_s == 2


def _entry(label: str, start: float, end: float) -> PhaseRun:
    return PhaseRun(index=0, label=label, duration=end - start, users=1, user_rate=1,
                    traffic="classify", measured=True, items_per_request=1, rate=1,
                    start=start, end=end)  # fmt: skip


def test_recovery_time_counts_whole_healthy_seconds_in_a_row():
    tl = Timeline()
    slow = {20, 21, 23}  # one healthy second between slow ones does not count
    for t in range(20, 30):
        fixtures.add(tl, t, "flask classify", {900 if t in slow else 5: 10})
    spike, recovery = _entry("spike", 10.0, 20.0), _entry("recovery", 20.0, 30.0)
    assert recovery_time(tl.rows(), spike, recovery, "flask", 100.0) == 4
    assert recovery_time(tl.rows(), spike, recovery, "flask", 1000.0) == 0
    assert recovery_time(tl.rows(), spike, recovery, "bento", 1000.0) is None  # nothing sent
    short = _entry("recovery", 20.0, 20.0 + 4 + HEALTHY_SECONDS - 1)
    assert recovery_time(tl.rows(), spike, short, "flask", 100.0) is None  # ran out of time
    # a spike that ended mid-second: the recovery starts at the next whole second
    late = _entry("spike", 10.0, 19.5)
    assert recovery_time(tl.rows(), late, recovery, "flask", 100.0) == 4


def test_a_second_without_requests_is_not_healthy():
    tl = Timeline()
    for t in (20, 21, 23, 24, 25):
        fixtures.add(tl, t, "flask classify", {5: 10})
    spike, recovery = _entry("spike", 10.0, 20.0), _entry("recovery", 20.0, 26.0)
    assert recovery_time(tl.rows(), spike, recovery, "flask", 100.0) == 3
