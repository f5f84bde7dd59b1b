"""Every scenario, headless, for a few seconds at a tiny rate, against both real servers.

locust runs in a subprocess, as `make load` runs it (loadtests.harness.runner.execute), never
inside pytest (gevent's monkey-patching); the assertions read its --json-file (stats.json),
the timeline and run.json. Valid traffic must have no failure at all; invalid traffic must be
classified as each server is known to answer it (docs/loadtests.md: what the Flask baseline
does with bad input).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from loadtests import scenarios
from loadtests.core import profiles
from loadtests.core.record import Budget, RunRecord
from loadtests.core.timeline import START_SLACK_S
from loadtests.generator.payloads import INVALID_KINDS
from loadtests.harness.pool import ensure_pool
from loadtests.harness.runner import RunSpec, execute
from loadtests.harness.servers import Server, running
from loadtests.reporting.runs import LoadedRun, load_run

pytestmark = pytest.mark.servers

TARGETS = ("flask", "bento")
TINY = {  # seconds, not minutes: the plan of each scenario at a rate any server sustains
    "steady": {"rate": 10, "duration": 3, "warmup": 1},
    "capacity": {"rate": 10, "duration": 2, "step_factor": 1.5, "max_rate": 25, "warmup": 0},
    "spike": {"rate": 8, "duration": 6, "spike_factor": 3, "warmup": 0, "user_rate": 2},
    "bad_input": {"rate": 36, "duration": 4, "warmup": 1},
    "batch": {"rate": 10, "duration": 3, "warmup": 1, "batch_size": 2},
}
VALID = ("steady", "capacity", "spike", "batch")
NOT_PINNED = Budget(server_cpus=None, locust_cpus=None, shared=True, statement="tests: not pinned")
STOPS = {"plan complete", "SLO broken in 2 consecutive step(s)"}  # capacity may stop early

# What each server answers to each invalid kind: "4xx" is a clear rejection, "200" means the
# application was scored anyway, "5xx" a crash.
EXPECTED_INVALID = {
    "flask": {
        "missing_field": "200",
        "wrong_type": "200",
        "unknown_category": "200",
        "negative_amount": "200",
        "huge_body": "200",
        "json_list": "5xx",
        "malformed_json": "4xx",
        "non_json": "4xx",
        "empty_body": "4xx",
    },
    "bento": dict.fromkeys(INVALID_KINDS, "4xx"),
}


def test_the_expected_table_names_every_invalid_kind():
    for target in TARGETS:
        assert set(EXPECTED_INVALID[target]) == set(INVALID_KINDS), target


@pytest.fixture(scope="module")
def servers(trained, imported, tmp_path_factory):
    logs = tmp_path_factory.mktemp("load-server-logs")
    with (
        running(profiles.get("flask"), workers=1, log_path=logs / "flask.log") as flask,
        running(
            profiles.get("bento"), workers=1, log_path=logs / "bento.log", timeout=180
        ) as bento,
    ):
        yield {"flask": flask, "bento": bento}


@pytest.fixture(scope="module")
def run(servers, tmp_path_factory) -> Callable[[str, str], LoadedRun]:
    """run(scenario, target): one headless run, made once per module and read back."""
    root = tmp_path_factory.mktemp("load-runs")
    pool = ensure_pool(root / "pool.json")
    done: dict[tuple[str, str], LoadedRun] = {}

    def make(name: str, target: str) -> LoadedRun:
        if (name, target) not in done:
            server: Server = servers[target]
            scenario = scenarios.get(name)
            spec = RunSpec(
                scenario=scenario,
                profile=server.profile,
                knobs=scenario.knobs(TINY[name]),
                requested_workers=1,
                budget=NOT_PINNED,
                out_dir=root / f"{name}-{target}",
                pool_file=pool,
                title=f"smoke {name} {target}",
            )
            execute(spec, server, server.url, echo=lambda _line: None)
            done[(name, target)] = load_run(spec.out_dir)
        return done[(name, target)]

    return make


def _stats(run: LoadedRun) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in run.stats}


def _timeline_totals(run: LoadedRun) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for row in run.rows:
        n, fail = out.get(row["name"], (0, 0))
        out[row["name"]] = (n + row["n"], fail + row["fail"])
    return out


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("scenario", VALID)
def test_valid_traffic_has_no_failure(scenario, target, run, trained):
    loaded = run(scenario, target)
    stats = _stats(loaded)
    expected = {f"{target} classify"} | (
        {f"{target} classify_batch"} if scenario == "batch" else set()
    )
    assert set(stats) == expected  # named per target, nothing else sent
    for name, entry in stats.items():
        assert entry["num_requests"] > 0, name
        assert entry["num_failures"] == 0, (name, loaded.rows)
    # the timeline and locust agree, request name by request name
    timeline = _timeline_totals(loaded)
    assert timeline == {n: (e["num_requests"], 0) for n, e in stats.items()}
    assert all(not row["errors"] for row in loaded.rows)
    assert loaded.record.requests == sum(e["num_requests"] for e in stats.values())
    assert loaded.record.load_generator.exit_code == 0
    # every response came from the model the server says it serves
    version = trained[1]["version"]
    answered = sum(sum(row["versions"].values()) for row in loaded.rows)
    assert {v for row in loaded.rows for v in row["versions"]} == {version}
    assert answered == sum(n for n, _ in timeline.values())


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("scenario", [*VALID, "bad_input"])
def test_run_json_is_a_complete_record(scenario, target, run, servers, trained):
    loaded = run(scenario, target)
    record = RunRecord.read(loaded.path / "run.json")  # validates
    server = servers[target]
    info = server.info()
    assert record.scenario == scenario and record.profile == profiles.get(target)
    assert record.server.reported == info["serving"]  # the server's own description
    assert record.server.reported["workers"] == record.server.workers == 1
    assert record.server.url == server.url and record.server.started_by_run
    assert record.model.version == info["version"] == trained[1]["version"]
    assert record.knobs == scenarios.get(scenario).knobs(TINY[scenario]).model_dump()
    assert record.plan == scenarios.get(scenario).describe(loaded.knobs)
    assert record.budget == NOT_PINNED
    assert record.server_cpu is not None and record.server_cpu.seconds > 0
    assert record.code.server_code_sha256 and record.code.load_code_sha256
    labels = [p.label for p in scenarios.get(scenario).phases(loaded.knobs)]
    assert [e.label for e in record.schedule] == labels[: len(record.schedule)]
    assert all(e.end is not None and e.end >= e.start for e in record.schedule)
    # each phase begins on its planned whole second, not up to a tick late (generator.shape)
    origin = math.floor(record.schedule[0].start)
    planned = itertools.accumulate((e.duration for e in record.schedule), initial=0.0)
    for e, at in zip(record.schedule, planned, strict=False):
        assert 0 <= e.start - (origin + at) < START_SLACK_S, (e.label, e.start - origin)
    if scenario == "capacity":
        assert record.stop_reason in STOPS
    else:
        assert record.stop_reason == "plan complete"
        assert len(record.schedule) == len(labels)


@pytest.mark.parametrize("target", TARGETS)
def test_bad_input_is_classified_as_each_server_answers(target, run):
    loaded = run("bad_input", target)
    stats = _stats(loaded)
    valid = stats.pop(f"{target} classify")
    assert valid["num_requests"] > 0 and valid["num_failures"] == 0
    outcomes = loaded.summary.outcomes
    assert outcomes["valid"]["200"] == valid["num_requests"]
    for kind, expected in EXPECTED_INVALID[target].items():
        entry = stats.pop(f"{target} invalid {kind}", None)
        assert entry is not None, f"no {kind} request was sent"
        counts = outcomes[kind]
        assert counts[expected] == entry["num_requests"] > 0, (kind, counts)
        # locust's verdict: a 4xx is the right answer, a 200 or a 5xx a failure
        failures = 0 if expected == "4xx" else entry["num_requests"]
        assert entry["num_failures"] == failures, kind
    assert stats == {}  # nothing else was sent
    timeline = _timeline_totals(loaded)
    assert sum(n for n, _ in timeline.values()) == sum(e["num_requests"] for e in loaded.stats)
    assert sum(f for _, f in timeline.values()) == sum(e["num_failures"] for e in loaded.stats)


def test_batch_records_adaptive_batches_for_bento_only(run):
    bento = run("batch", "bento").record.adaptive_batches
    assert bento is not None, "BentoML formed no adaptive batch"
    assert bento.batches > 0 and bento.requests >= bento.batches
    assert bento.mean_requests_per_batch == pytest.approx(bento.requests / bento.batches)
    assert sum(bento.size_buckets.values()) == bento.batches
    assert run("batch", "flask").record.adaptive_batches is None  # no /metrics batch histogram
    summary = run("batch", "bento").summary
    assert summary.batch_size == 2 and summary.batch.requests > 0


@pytest.mark.parametrize("target", TARGETS)
def test_capacity_stops_by_plan_or_slo(target, run):
    loaded = run("capacity", target)
    summary = loaded.summary
    record = loaded.record
    assert [s.offered_rps for s in summary.steps] == [10, 16, 22][: len(summary.steps)]
    if record.stop_reason == "plan complete":
        assert len(summary.steps) == 3
    else:  # the live rule stopped it: its last two steps broke the SLO
        assert not any(s.slo_ok for s in summary.steps[-2:])
    assert summary.sustained_rps in (None, *(s.offered_rps for s in summary.steps))


def test_a_run_reads_back_into_a_report(run, tmp_path):
    """The smoke runs of one scenario make a comparison the reports accept."""
    from loadtests.reporting.report import build_report

    root = tmp_path / "compare-steady-smoke"
    for target in TARGETS:
        src = run("steady", target).path
        dst = root / "runs" / f"{target}-w1-r1"
        dst.mkdir(parents=True)
        for name in ("run.json", "timeline.json", "stats.json"):
            (dst / name).write_bytes((src / name).read_bytes())
    (root / "comparison.json").write_text(json.dumps({"profiles": list(TARGETS)}))
    text = build_report(root).read_text()
    assert text.startswith("# steady: Flask + gunicorn vs BentoML")
    assert Path(root / "timeseries-w1.png").stat().st_size > 10_000
