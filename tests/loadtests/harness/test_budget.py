"""loadtests.harness.budget: which cores the server and locust may use."""

from __future__ import annotations

import pytest

from loadtests.harness import budget
from loadtests.harness.budget import budget_for, external, usable_cpus


def _cpus(b) -> tuple:
    return (b.server_cpus, b.locust_cpus, b.shared)


def test_two_cores():
    one = budget_for(1, cpus=[0, 1], taskset=True)
    assert _cpus(one) == ("0", "1", False)
    assert one.statement == "server (1 worker(s)) pinned to CPU 0, locust to CPU 1 with taskset."
    two = budget_for(2, cpus=[0, 1], taskset=True)
    assert _cpus(two) == ("0,1", "1", True)
    assert "SHARES CPU 1 with locust" in two.statement


@pytest.mark.parametrize(
    ("workers", "processes", "cpus", "expected"),
    [
        (2, 2, list(range(8)), ("0,1", "6,7", False)),
        (3, 1, [0, 1, 2, 3], ("0,1,2", "3", False)),
        (4, 1, [0, 1, 2, 3], ("0,1,2,3", "3", True)),
        (1, 0, [0, 1], ("0", "1", False)),  # no --processes: one locust process
        (1, 2, [0, 1], ("0", "1", False)),  # more processes than spare cores: the last core
        (2, 1, [2, 5, 7], ("2,5", "7", False)),  # the usable CPUs, not 0..n
    ],
)
def test_locust_gets_the_last_cores_and_the_server_the_first(workers, processes, cpus, expected):
    b = budget_for(workers, processes, cpus=cpus, taskset=True)
    assert _cpus(b) == expected
    assert ("SHARES" in b.statement) == b.shared


def test_the_same_worker_count_gets_the_same_cores():
    assert budget_for(2, cpus=[0, 1, 2, 3], taskset=True) == budget_for(
        2, cpus=[0, 1, 2, 3], taskset=True
    )


def test_not_pinned_without_taskset_or_a_second_cpu():
    none = budget_for(1, cpus=[0, 1, 2], taskset=False)
    assert _cpus(none) == (None, None, True)
    assert none.statement.startswith("NOT pinned (taskset is not available)")
    single = budget_for(1, cpus=[0], taskset=True)
    assert _cpus(single) == (None, None, True)
    assert "only 1 CPU is usable" in single.statement


def test_defaults_come_from_this_machine(monkeypatch):
    monkeypatch.setattr(budget, "usable_cpus", lambda: [0, 1, 2])
    monkeypatch.setattr(budget.shutil, "which", lambda name: "/usr/bin/taskset")
    assert _cpus(budget_for(1)) == ("0", "2", False)
    monkeypatch.setattr(budget.shutil, "which", lambda name: None)
    assert _cpus(budget_for(1)) == (None, None, True)


def test_usable_cpus_are_this_process_affinity():
    cpus = usable_cpus()
    assert cpus == sorted(cpus) and len(cpus) >= 1


def test_an_external_server_pins_only_locust(monkeypatch):
    monkeypatch.setattr(budget, "usable_cpus", lambda: [0, 1, 2, 3])
    monkeypatch.setattr(budget.shutil, "which", lambda name: "/usr/bin/taskset")
    b = external(locust_processes=2)
    assert _cpus(b) == (None, "2,3", False)
    assert b.statement == (
        "external server (not started or pinned by this run); "
        "locust pinned to CPU 2,3 with taskset."
    )
