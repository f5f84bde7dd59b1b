"""loadtests/scenarios/crash.py: the plan, the kill, and stall/recovery from per-second data."""

from loadtests import scenarios
from loadtests.core.timeline import Timeline, per_second, prefix
from loadtests.scenarios import crash


def test_plan_runs_before_and_after_the_kill_at_one_and_two_workers():
    scenario = scenarios.get("crash")
    k = scenario.knobs({"rate": 40, "duration": 20, "warmup": 1})
    assert [(p.label, p.duration, p.rate) for p in scenario.phases(k)] == [
        ("warmup", 1, 40), ("before", 10, 40), ("after kill", 20, 40),
    ]  # fmt: skip
    assert scenario.worker_counts == (1, 2) and not scenario.in_all


def test_stall_and_recovery_from_seconds():
    tl = Timeline()
    # 10 req/s: seconds 0-1 fine, 2-4 nothing answered (3 failures each), 5 half, 6-8 fine
    plan = ["ok", "ok", "dead", "dead", "dead", "half", "ok", "ok", "ok"]
    for t, what in enumerate(plan):
        for i in range(10):
            failed = what == "dead" and i < 3
            if what == "dead" and not failed:
                continue  # clients blocked: nothing sent
            slow = what == "half" and i >= 5
            tl.record("x classify", 1000 + t + i / 20, 900 if slow else 5, 0 if failed else 200,
                      "no response (ConnectionResetError)" if failed else None)  # fmt: skip
    seconds = per_second(tl.rows(), 1000, 1009, prefix("x"))
    stall, healthy = crash.recovery(seconds, rate=10, threshold_ms=100)
    assert stall == 3  # seconds 2, 3 and 4 answered less than half the rate
    assert healthy == 6  # the first of three healthy seconds in a row
