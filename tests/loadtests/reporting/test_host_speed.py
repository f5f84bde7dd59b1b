"""The host's speed through a set of runs (loadtests.reporting.report.host_speed): a run whose
probe before or after it was much slower than the others', or whose hypervisor took a share of
the CPU, is named in the report."""

from __future__ import annotations

from types import SimpleNamespace

from loadtests.harness import machine
from loadtests.reporting.report import host_speed


def run(run_id: str, probes: list[float], steal: float = 0.0) -> SimpleNamespace:
    host = SimpleNamespace(speed_probe_ms=probes, steal_percent=steal)
    return SimpleNamespace(run_id=run_id, host=host)


def test_a_steady_host_is_stated_with_its_probe_range():
    text = host_speed([run("a", [9.0, 9.5]), run("b", [10.0, 9.2]), run("c", [9.8, 10.4])])
    assert text.startswith("The host kept its speed") and "9.0–10.4" in text


def test_a_run_with_a_slow_probe_or_steal_is_named():
    runs = [run("a", [9.0, 9.5]), run("slow", [9.4, 14.0]), run("c", [9.8, 9.6])]
    runs.append(run("stolen", [9.5, 9.5], steal=12.0))
    text = host_speed(runs)
    assert text.startswith("**The host slowed")
    assert "slow (1.47× probe)" in text and "stolen (1.00× probe, steal 12 %)" in text
    assert "c (" not in text and "a (" not in text


def test_records_from_before_the_probe_say_so():
    assert "not probed" in host_speed([run("old", [])])


def test_the_probe_times_a_fixed_workload_on_the_given_core():
    took = machine.speed_probe("0")
    assert took is not None and 0.1 < took < 1000
    assert machine.speed_probe("no-such-core") is None  # taskset refuses: no number, no crash
