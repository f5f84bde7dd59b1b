"""steady: the plan, and the hold phase's numbers from the fixture runs."""

from __future__ import annotations

import fixtures
import pytest

from loadtests import scenarios
from loadtests.core.knobs import KnobError
from loadtests.reporting.runs import load_run
from loadtests.scenarios.steady import Steady, SteadySummary

STEADY = scenarios.get("steady")


def test_registered():
    assert isinstance(STEADY, Steady) and STEADY.in_all and STEADY.worker_counts == (1,)


def test_default_plan():
    k = STEADY.knobs()
    assert (k.rate, k.duration, k.warmup, k.user_rate) == (100, 20, 3, 2)
    phases = STEADY.phases(k)
    assert [(p.label, p.duration, p.rate, p.users, p.measured) for p in phases] == [
        ("warmup", 3, 100, 50, False),
        ("hold", 20, 100, 50, True),
    ]
    assert {p.traffic for p in phases} == {"classify"}
    assert STEADY.describe(k) == "100 req/s for 20 s"
    assert STEADY.planned_seconds(k) == 23


def test_overridden_plan():
    k = STEADY.knobs({"rate": "250", "duration": "", "warmup": 0, "user_rate": 5})
    assert k.duration == 20  # "" keeps the default
    assert [(p.label, p.duration, p.rate, p.users) for p in STEADY.phases(k)] == [
        ("hold", 20, 250, 50)
    ]
    assert STEADY.describe(k) == "250 req/s for 20 s"
    assert STEADY.planned_seconds(k) == 20


def test_knobs_it_does_not_have_are_refused():
    with pytest.raises(KnobError, match="unknown knob 'step_factor'"):
        STEADY.knobs({"step_factor": 2})
    with pytest.raises(KnobError, match="rate"):
        STEADY.knobs({"rate": 0})


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = fixtures.steady(tmp_path_factory.mktemp("steady"))
    return {p.name: load_run(p) for p in (root / "runs").iterdir()}


def test_summary_of_a_clean_run(runs):
    s = runs["flask-w1-r1"].summary
    assert isinstance(s, SteadySummary)
    assert (s.run_id, s.profile, s.workers, s.repeat) == ("flask-w1-r1", "flask", 1, 1)
    assert s.server_cpu_ms_per_request == 0.5
    assert (s.locust_cpu_percent, s.locust_cpu_warning, s.other_cpu_percent) == (30, False, 1)
    h = s.hold  # 5 measured seconds of 10 requests: 5x2, 4x3, 1x10 ms
    assert (h.label, h.seconds, h.requests, h.failures) == ("hold", 5, 50, 0)
    assert (h.offered_rps, h.achieved_rps, h.ok_rps) == (10, 10, 10)
    assert (h.p50_ms, h.p95_ms, h.p99_ms, h.max_ms) == (2, 10, 10, 10)
    assert h.slo_ok and h.slo_reasons == () and h.errors == {} and h.codes == {200: 50}


def test_summary_of_a_failing_run(runs):
    s = runs["bento-w1-r2"].summary
    h = s.hold  # one HTTP 500 per second
    assert (h.requests, h.failures, h.error_pct, h.ok_rps) == (50, 5, 10, 9)
    assert h.errors == {"HTTP 500": 5} and h.codes == {200: 45, 500: 5}
    assert (h.p50_ms, h.p99_ms) == (8, 50)
    assert not h.slo_ok and h.slo_reasons == ("errors 10.00 % > 0.1 %",)
    assert s.locust_cpu_warning and s.locust_cpu_percent == 96
    assert runs["flask-w1-r2"].summary.other_cpu_percent == 35


def test_console_lines(runs):
    (line,) = STEADY.console(runs["bento-w1-r2"])
    assert " ".join(line.split()) == (
        "hold offered 10/s sent 10/s, p50 8 ms p95 50 ms p99 50 ms, errors 10.00 % -> SLO broken"
    )
