"""Rollout v1 -> v2 -> v1 under a steady locust load, on both real servers (scenario
"rollout" through loadtests.harness.runner.execute, as `make rollout` runs it).

Clients wait up to 60 s, longer than any worker start, so nothing may time out on either
stack. With the load tests' 10 s client timeout BentoML's restart stall can exceed the
timeout; that is a finding of `make rollout`, not asserted here.
"""

from __future__ import annotations

import json

import pytest

from loadtests import scenarios
from loadtests.core import profiles
from loadtests.core.phases import users_for
from loadtests.core.record import Budget
from loadtests.harness.pool import ensure_pool
from loadtests.harness.runner import RunSpec, execute
from loadtests.harness.servers import running
from loadtests.reporting.report import build_report
from loadtests.reporting.runs import load_run
from loadtests.scenarios.rollout import KEEPALIVE_RACE, SWITCH
from shared import artifact

pytestmark = [pytest.mark.servers, pytest.mark.slow]

# switches at 1/3 and 2/3 of the hold: far enough apart for a worker start on a busy CI core
KNOBS = {"rate": 20, "duration": 36, "warmup": 2, "client_timeout": 60}
NOT_PINNED = Budget(server_cpus=None, locust_cpus=None, shared=True, statement="tests: not pinned")


@pytest.mark.parametrize("target", ["flask", "bento"])
def test_rollout_under_load_loses_only_what_each_stack_allows(
    target, trained, imported, settings, tmp_path
):
    scenario = scenarios.get("rollout")
    knobs = scenario.knobs(KNOBS)
    before = artifact.current_version(settings.model_dir)
    root = tmp_path / "compare-rollout"
    out = root / "runs" / f"{target}-w1-r1"
    with running(
        profiles.get(target), workers=1, log_path=tmp_path / f"{target}.log", timeout=180
    ) as server:
        spec = RunSpec(
            scenario=scenario,
            profile=server.profile,
            knobs=knobs,
            requested_workers=1,
            budget=NOT_PINNED,
            out_dir=out,
            pool_file=ensure_pool(tmp_path / "pool.json"),
            title=f"rollout {target}",
        )
        record = execute(spec, server, server.url, echo=lambda _line: None)
    assert artifact.current_version(settings.model_dir) == before  # CURRENT restored

    run = load_run(out)
    s = run.summary
    v1, v2 = record.extras["v1"], record.extras["v2"]
    assert v1 == before and v2 != v1
    assert record.knobs["client_timeout"] == 60
    # both switches happened, in order, while the load ran
    switches = [e for e in record.events if e.action == SWITCH]
    assert [(e.phase, e.detail) for e in switches] == [("v2", v2), ("v1 again", v1)]
    assert record.start < switches[0].at < switches[1].at < record.end
    assert record.stop_reason == "plan complete"
    # What each stack guarantees. gunicorn (sync workers, a connection per request): nothing
    # is lost. BentoML: nothing times out and nothing fails before a switch, but the old
    # worker closes its keep-alive connections when it stops, and a request sent on one at
    # that moment gets no response: counted (and reported by `make rollout`), not hidden.
    assert s.failed_before_first_switch == 0
    if target == "flask":
        assert s.failed == 0, s.failed_by_kind
    else:
        assert set(s.failed_by_kind) <= {KEEPALIVE_RACE}, s.failed_by_kind
        # at most the one request in flight on each client's connection, per switch
        users = users_for(knobs.rate, knobs.user_rate)
        assert s.failed <= users * len(switches)
    assert s.failed == sum(sw.failed for sw in s.switches)  # only at the switches
    # every switch converged: from some second on only the new version answered
    assert [sw.to for sw in s.switches] == [v2, v1]
    assert [sw.rollback for sw in s.switches] == [False, True]
    for sw in s.switches:
        assert sw.seconds_to_new is not None, sw
    # responses came from exactly the two versions
    assert set(s.by_version) - {"none (failed)"} == {v1, v2}
    assert sum(s.by_version.values()) == s.requests

    # the report section and its chart
    (root / "comparison.json").write_text(json.dumps({"profiles": [target]}))
    text = build_report(root).read_text()
    assert f"| {server.profile.label} (1 worker(s)), repeat 1 | 1: → {v2} |" in text
    assert f"| 2: → {v1} (rollback) |" in text
    assert "![model versions answering over time](rollout.png)" in text
    assert (root / "rollout.png").stat().st_size > 10_000
