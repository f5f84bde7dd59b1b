"""The resiliency scenarios for real, short: a worker killed under load, a soak, a rollout by
hot swap, on both real servers (locust in a subprocess, as everywhere)."""

from __future__ import annotations

import pytest

from loadtests import scenarios
from loadtests.core import profiles
from loadtests.core.record import Budget
from loadtests.harness.pool import ensure_pool
from loadtests.harness.runner import RunSpec, execute
from loadtests.harness.servers import running
from loadtests.reporting.runs import load_run
from loadtests.scenarios.rollout import SWAP
from shared import artifact

pytestmark = [pytest.mark.servers, pytest.mark.slow]

NOT_PINNED = Budget(server_cpus=None, locust_cpus=None, shared=True, statement="tests: not pinned")


def _run(scenario: str, profile: str, knobs: dict, tmp_path, workers: int = 1):
    spec = RunSpec(
        scenario=scenarios.get(scenario),
        profile=profiles.get(profile),
        knobs=scenarios.get(scenario).knobs(knobs),
        requested_workers=workers,
        budget=NOT_PINNED,
        out_dir=tmp_path / f"{scenario}-{profile}",
        pool_file=ensure_pool(tmp_path / "pool.json"),
    )
    with running(profiles.get(profile), workers=workers, log_path=tmp_path / "server.log",
                 timeout=180) as server:  # fmt: skip
        execute(spec, server, server.url)
    return load_run(spec.out_dir)


@pytest.mark.parametrize("profile", ["flask", "bento"])
def test_a_killed_worker_is_replaced_and_the_service_recovers(profile, trained, imported, tmp_path):
    run = _run("crash", profile, {"rate": 20, "duration": 25, "warmup": 1}, tmp_path)
    (kill,) = [e for e in run.record.events if e.action == "SIGKILL a worker"]
    workers = {key for _at, mb in run.record.server_rss for key in mb if key.endswith("worker")}
    assert len(workers) >= 2  # the killed worker, and the one that replaced it
    s = run.summary
    assert s.before.failures == 0
    assert s.recovery_s is not None and s.recovery_s < 25  # healthy again before the end
    assert s.stall_s >= 1  # one worker: nothing answered while the new one started
    assert str(kill.detail).startswith("pid ")


@pytest.mark.parametrize("profile", ["flask", "bento"])
def test_a_short_soak_reports_memory_and_latency(profile, trained, imported, tmp_path):
    run = _run("soak", profile, {"rate": 20, "soak_minutes": 0.4, "warmup": 1}, tmp_path)
    s = run.summary
    assert s.hold.failures == 0 and s.hold.requests > 400
    assert len(s.p99_by_minute) == 3 and all(v is not None for v in s.p99_by_minute)
    assert s.rss_start_mb and s.rss_end_mb and s.rss_growth_pct is not None
    assert all(40 < mb < 2000 for mb in s.rss_end_mb.values())


@pytest.mark.parametrize("profile", ["flask-swap", "bento-swap"])
def test_a_rollout_by_hot_swap_loses_nothing(profile, trained, imported, settings, tmp_path):
    before = artifact.current_version(settings.model_dir)
    run = _run("rollout", profile, {"rate": 20, "duration": 24, "warmup": 2}, tmp_path)
    s = run.summary
    assert [e.action for e in run.record.events] == [SWAP, SWAP]
    assert s.failed == 0, s.failed_by_kind
    assert set(s.by_version) == {s.v1, s.v2}
    assert all(sw.seconds_to_new is not None and sw.seconds_to_new < 4 for sw in s.switches)
    assert all(sw.longest_pause_s == 0 for sw in s.switches)  # no second without requests
    assert artifact.current_version(settings.model_dir) == before
