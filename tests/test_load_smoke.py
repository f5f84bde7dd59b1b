"""Every scenario, headless, for a few seconds at a tiny rate, against both real servers.

locust runs in a subprocess (as `make load` runs it: loadtests.run.execute), never inside
pytest (gevent's monkey-patching); the assertions read its --json-file (stats.json), the
timeline and run.json. Valid traffic must have no failure at all; invalid traffic must be
classified as each server is known to answer it (README, "What the Flask baseline does with
bad input").
"""

from __future__ import annotations

import json

import pytest

from loadtests import plans
from loadtests.budget import Budget
from loadtests.results import bad_input_outcomes, load_run
from loadtests.run import RunSpec, ensure_pool, execute
from loadtests.servers import running

pytestmark = pytest.mark.servers

TINY = {  # seconds, not minutes: the plan of each scenario at a rate any server sustains
    "steady": {"rate": 10, "duration": 3, "warmup": 1},
    "capacity": {"rate": 10, "duration": 2, "step_factor": 1.5, "max_rate": 25, "warmup": 0},
    "spike": {"rate": 8, "duration": 6, "spike_factor": 3, "warmup": 0, "user_rate": 2},
    "bad_input": {"rate": 36, "duration": 4, "warmup": 1},
    "batch": {"rate": 10, "duration": 3, "warmup": 1, "batch_size": 2},
}
NOT_PINNED = Budget(None, None, True, "tests: not pinned")

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
    "bento": dict.fromkeys(
        (
            "missing_field",
            "wrong_type",
            "unknown_category",
            "negative_amount",
            "huge_body",
            "json_list",
            "malformed_json",
            "non_json",
            "empty_body",
        ),
        "4xx",
    ),
}


@pytest.fixture(scope="module")
def servers(trained, imported, tmp_path_factory):
    logs = tmp_path_factory.mktemp("load-server-logs")
    with (
        running("flask", workers=1, log_path=logs / "flask.log") as flask,
        running("bento", workers=1, log_path=logs / "bento.log", timeout=180) as bento,
    ):
        yield {"flask": flask, "bento": bento}


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    return ensure_pool(tmp_path_factory.mktemp("pool") / "pool.json")


def _run(scenario: str, target: str, servers, pool, tmp_path):
    server = servers[target]
    spec = RunSpec(
        scenario,
        target,
        plans.params_for(scenario, TINY[scenario]),
        1,
        NOT_PINNED,
        tmp_path / f"{scenario}-{target}",
        pool,
        context={"kind": "test", "repeat": 1, "repeats": 1},
    )
    execute(spec, server, server.url, echo=lambda _line: None)
    stats = json.loads((spec.out_dir / "stats.json").read_text())
    return spec.out_dir, {entry["name"]: entry for entry in stats}


@pytest.mark.parametrize("target", ["flask", "bento"])
@pytest.mark.parametrize("scenario", ["steady", "capacity", "spike", "batch"])
def test_valid_traffic_has_no_failures(scenario, target, servers, pool, tmp_path, trained):
    out, stats = _run(scenario, target, servers, pool, tmp_path)
    expected = {f"{target} classify"} | (
        {f"{target} classify_batch"} if scenario == "batch" else set()
    )
    assert set(stats) == expected  # named per target, nothing else sent
    for name, entry in stats.items():
        assert entry["num_requests"] > 0, name
        assert entry["num_failures"] == 0, name
    run = load_run(out)  # run.json complete, schedule closed
    assert run.meta["stop_reason"] == "plan complete"
    assert run.meta["model"]["version"] == trained[1]["version"]  # what the server says
    timeline = sum(r["n"] for r in run.rows)
    assert timeline == sum(e["num_requests"] for e in stats.values())
    if scenario == "batch" and target == "bento":
        batches = run.meta["bento_batches"]
        assert batches["batches"] > 0 and batches["applications"] >= batches["batches"]


@pytest.mark.parametrize("target", ["flask", "bento"])
def test_bad_input_is_classified_as_expected(target, servers, pool, tmp_path):
    out, stats = _run("bad_input", target, servers, pool, tmp_path)
    valid = stats.pop(f"{target} classify")
    assert valid["num_requests"] > 0 and valid["num_failures"] == 0
    outcomes = bad_input_outcomes(load_run(out))
    for kind, expected in EXPECTED_INVALID[target].items():
        entry = stats.get(f"{target} invalid {kind}")
        assert entry is not None, f"no {kind} request was sent"
        counts = outcomes[kind]
        assert counts[expected] == entry["num_requests"] > 0, (kind, counts)
        # locust's verdict: a 4xx is the right answer, a 200 or a 5xx a failure
        failures = 0 if expected == "4xx" else entry["num_requests"]
        assert entry["num_failures"] == failures, kind
