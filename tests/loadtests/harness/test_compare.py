"""loadtests.harness.compare: the runs of a comparison, their order, and knobs per scenario.
(Nothing here starts a server or locust.)"""

from __future__ import annotations

import pytest

from loadtests import scenarios
from loadtests.core import profiles
from loadtests.core.profiles import ServerProfile
from loadtests.harness.compare import _applicable, compare, jobs_for, rotated


def _profile(name: str) -> ServerProfile:
    return ServerProfile(name=name, kind="bento", label=name, description=name)


A, B, C = _profile("a"), _profile("b"), _profile("c")


def test_rotated_moves_the_first_profile_to_the_end_each_repeat():
    assert rotated([A, B, C], 1) == [A, B, C]
    assert rotated([A, B, C], 2) == [B, C, A]
    assert rotated([A, B, C], 3) == [C, A, B]
    assert rotated([A, B, C], 4) == [A, B, C]
    assert rotated([A, B], 2) == [B, A]


def _summary(jobs) -> list[tuple]:
    return [(j.workers, j.scenario.name, j.repeat, j.profile.name) for j in jobs]


def test_one_scenario_at_one_worker_count():
    steady = scenarios.get("steady")
    assert steady.worker_counts == (1,)
    knobs = {"steady": steady.knobs({"rate": 10})}
    jobs = jobs_for([steady], knobs, [A, B, C], repeats=3)
    assert _summary(jobs) == [
        (1, "steady", 1, "a"), (1, "steady", 1, "b"), (1, "steady", 1, "c"),
        (1, "steady", 2, "b"), (1, "steady", 2, "c"), (1, "steady", 2, "a"),
        (1, "steady", 3, "c"), (1, "steady", 3, "a"), (1, "steady", 3, "b"),
    ]  # fmt: skip
    assert all(j.knobs is knobs["steady"] for j in jobs)


def test_runs_are_grouped_by_worker_count_one_server_start_each():
    steady, capacity = scenarios.get("steady"), scenarios.get("capacity")
    assert capacity.worker_counts == (1, 2)
    knobs = {s.name: s.knobs() for s in (steady, capacity)}
    jobs = jobs_for([capacity, steady], knobs, [A, B], repeats=2)
    assert _summary(jobs) == [
        (1, "capacity", 1, "a"), (1, "capacity", 1, "b"),
        (1, "capacity", 2, "b"), (1, "capacity", 2, "a"),
        (1, "steady", 1, "a"), (1, "steady", 1, "b"),
        (1, "steady", 2, "b"), (1, "steady", 2, "a"),
        (2, "capacity", 1, "a"), (2, "capacity", 1, "b"),
        (2, "capacity", 2, "b"), (2, "capacity", 2, "a"),
    ]  # fmt: skip
    workers = [j.workers for j in jobs]
    assert workers == sorted(workers)  # each worker count once: one server start per count
    assert {j.knobs for j in jobs if j.scenario is capacity} == {knobs["capacity"]}


def test_every_scenario_profile_and_repeat_runs_once():
    chosen = scenarios.all_scenarios()
    knobs = {s.name: s.knobs() for s in chosen}
    jobs = jobs_for(chosen, knobs, [A, B, C], repeats=2)
    expected = {
        (w, s.name, r, p) for s in chosen for w in s.worker_counts for r in (1, 2) for p in "abc"
    }
    assert sorted(_summary(jobs)) == sorted(expected)


def test_a_knob_only_some_scenarios_have_applies_to_those():
    steady, spike = scenarios.get("steady"), scenarios.get("spike")
    overrides = {"rate": "10", "spike_factor": "4", "bogus": "1"}
    assert _applicable(steady, overrides, [steady, spike]) == {"rate": "10", "bogus": "1"}
    assert _applicable(spike, overrides, [steady, spike]) == overrides
    # one scenario: everything applies, so a knob it lacks is an error
    assert _applicable(steady, overrides, [steady]) == overrides


def test_a_comparison_needs_two_profiles(tmp_path):
    with pytest.raises(SystemExit, match="at least two profiles"):
        compare([scenarios.get("steady")], [profiles.get("flask")], 1, {}, root=tmp_path)
    assert list(tmp_path.iterdir()) == []
