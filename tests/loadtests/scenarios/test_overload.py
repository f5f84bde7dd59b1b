"""loadtests/scenarios/overload.py: the plan and how failures are told apart."""

from loadtests import scenarios
from loadtests.scenarios.overload import failure_kind


def test_plan_multiplies_the_capacity():
    scenario = scenarios.get("overload")
    k = scenario.knobs({"capacity_rps": 200, "duration": 20, "warmup": 0})
    assert [(p.label, p.rate) for p in scenario.phases(k)] == [
        ("normal", 100), ("1.5x", 300), ("after 1.5x", 100), ("3x", 600), ("after 3x", 100),
    ]  # fmt: skip
    assert k.user_rate == 1.0 and not scenario.in_all


def test_failures_are_told_apart():
    assert failure_kind("HTTP 503") == "503"
    assert failure_kind("HTTP 429") == "429"
    assert failure_kind("HTTP 504") == "504"
    assert failure_kind("HTTP 500") == "other HTTP"
    assert failure_kind("no response (ConnectionTimeout)") == "client timeout"
    assert failure_kind("no response (timeout)") == "client timeout"
    assert failure_kind("no response (ConnectionResetError)") == "connection error"
    assert failure_kind("200 but unknown or missing status") == "wrong answer"
