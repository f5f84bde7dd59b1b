"""loadtests/scenarios/crossover.py and the crossover report's arithmetic."""

from types import SimpleNamespace

from loadtests import scenarios
from loadtests.reporting.crossover import crossover_cost


def test_plan_sends_the_chosen_way():
    scenario = scenarios.get("crossover")
    batch = scenario.knobs({"path": "classify_batch", "batch_size": 8, "warmup": 0})
    phases = scenario.phases(batch)
    assert {p.traffic for p in phases} == {"classify_batch"}
    assert {p.items_per_request for p in phases} == {8}
    single = scenario.knobs({"warmup": 0})
    assert {p.traffic for p in scenario.phases(single)} == {"classify"}
    assert "one application per request" in scenario.describe(single)


def _runs(apps):
    return [SimpleNamespace(summary=SimpleNamespace(applications_per_s=a)) for a in apps]


def test_the_crossover_is_the_cost_from_which_batching_stays_ahead():
    points = {
        "bento-adaptive": {0: _runs([500]), 1: _runs([700]), 2: _runs([650]), 4: _runs([600])},
        "flask-single": {0: _runs([800]), 1: _runs([600]), 2: _runs([300]), 4: _runs([150])},
    }
    assert crossover_cost(points, "bento-adaptive", "flask-single") == 1
    assert crossover_cost(points, "bento-adaptive", "flask-single", 3.0) == 4
    assert crossover_cost(points, "flask-single", "bento-adaptive", 10.0) is None
