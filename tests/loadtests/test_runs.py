"""Run directories read back (loadtests.reporting.runs): a comparison is refused unless every
run is complete and the runs are like for like, and its profiles keep the order asked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import fixtures
import pytest

from loadtests.reporting.runs import COMPARISON_FILE, ReportError, load_comparison, load_run


def _edit(run_json: Path, change) -> None:
    data = json.loads(run_json.read_text())
    change(data)
    run_json.write_text(json.dumps(data))


@pytest.fixture
def steady(tmp_path) -> Path:
    return fixtures.steady(tmp_path)


@pytest.fixture
def capacity(tmp_path) -> Path:
    return fixtures.capacity(tmp_path)


def test_a_fixture_comparison_loads(steady):
    cmp = load_comparison(steady)
    assert cmp.scenario.name == "steady"
    assert [p.name for p in cmp.profiles] == ["flask", "bento"]
    assert cmp.baseline.name == "flask" and cmp.worker_counts == [1]
    assert [r.record.repeat for r in cmp.runs_of("bento")] == [1, 2]
    assert [r.record.run_id for r in cmp.runs_of(fixtures.FLASK, 1)] == [
        "flask-w1-r1",
        "flask-w1-r2",
    ]
    assert cmp.knobs.rate == 10 and cmp.knobs.duration == 6 and cmp.knobs.warmup == 2
    assert cmp.first.model.version == fixtures.MODEL


def test_a_run_reads_back_with_totals_equal_to_locust_stats(steady):
    run = load_run(steady / "runs" / "bento-w1-r2")
    assert run.target == "bento" and run.scenario.name == "steady"
    timeline = (sum(r["n"] for r in run.rows), sum(r["fail"] for r in run.rows))
    assert run.locust_totals() == timeline == (80, 8)
    assert run.record.requests == 80
    assert run.summary.hold.requests == 50 and run.summary.hold.failures == 5


def test_capacity_worker_counts_and_baseline(capacity):
    cmp = load_comparison(capacity)
    assert cmp.worker_counts == [1, 2]
    assert [r.record.workers for r in cmp.runs_of("flask", 2)] == [2]
    assert cmp.runs_of("bento", 3) == []


# --- refused: an incomplete run ----------------------------------------------------------------


def test_a_missing_field_is_refused(steady):
    _edit(steady / "runs" / "flask-w1-r2" / "run.json", lambda m: m["server"].pop("workers"))
    with pytest.raises(ReportError, match=r"flask-w1-r2/run.json: server\.workers: Field required"):
        load_comparison(steady)


@pytest.mark.parametrize(
    ("where", "key", "value", "message"),
    [
        ("machine", "cpu_model", "", r"machine\.cpu_model: String should have at least 1"),
        ("model", "version", "", r"model\.version"),
        ("code", "sha", "not-a-sha", r"code\.sha: String should match pattern"),
        ("pool", "size", 0, r"pool\.size: Input should be greater than 0"),
        (None, "knobs", None, r"knobs: Input should be an object"),
        (None, "schedule", [], r"schedule: List should have at least 1 item"),
        (None, "unknown_field", 1, r"unknown_field: Extra inputs are not permitted"),
    ],
)
def test_a_blank_or_wrong_value_is_refused(steady, where, key, value, message):
    def change(m):
        (m[where] if where else m)[key] = value

    _edit(steady / "runs" / "bento-w1-r1" / "run.json", change)
    with pytest.raises(ReportError, match=message):
        load_comparison(steady)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m["knobs"].update(rate=None), "blank knobs: rate"),
        (lambda m: m["knobs"].update(rate="", warmup=None), "blank knobs: rate, warmup"),
        (lambda m: m["knobs"].update(step_factor=2.0), "unknown knob 'step_factor'"),
        (lambda m: m["knobs"].update(rate=0), r"rate: Input should be greater than 0"),
        (lambda m: m.update(scenario="nosuch"), "unknown scenario 'nosuch'"),
    ],
)
def test_knobs_the_scenario_cannot_read_are_refused(steady, change, message):
    """A blank knob would otherwise be read as the scenario's default: a wrong rate in every
    header and table, silently."""
    _edit(steady / "runs" / "flask-w1-r1" / "run.json", change)
    with pytest.raises(ReportError, match=message):
        load_run(steady / "runs" / "flask-w1-r1")
    with pytest.raises(ReportError, match="flask-w1-r1/run.json"):
        load_comparison(steady)


def test_a_knob_whose_default_is_blank_may_be_recorded_blank(steady):
    """crash's ``container`` is blank unless make compose-crash names one: a real crash run
    records it so, and must load (CI caught this)."""
    run_dir = steady / "runs" / "flask-w1-r1"
    _edit(
        run_dir / "run.json",
        lambda m: (m.update(scenario="crash"), m["knobs"].update(container="")),
    )
    assert load_run(run_dir).knobs.container == ""
    _edit(run_dir / "run.json", lambda m: m["knobs"].update(container=None, rate=None))
    with pytest.raises(ReportError, match=r"blank knobs: rate$"):
        load_run(run_dir)


def test_a_phase_that_never_ended_is_refused(steady):
    run_json = steady / "runs" / "bento-w1-r1" / "run.json"
    _edit(run_json, lambda m: m["schedule"][-1].update(end=None))
    with pytest.raises(ReportError, match="a phase in the schedule never ended"):
        load_comparison(steady)


def test_a_run_json_that_is_not_json_is_refused(steady):
    (steady / "runs" / "flask-w1-r1" / "run.json").write_text("{not json")
    with pytest.raises(ReportError, match="flask-w1-r1/run.json"):
        load_comparison(steady)


@pytest.mark.parametrize("missing", ["timeline.json", "stats.json"])
def test_a_run_without_its_timeline_or_stats_is_refused(steady, missing):
    (steady / "runs" / "flask-w1-r1" / missing).unlink()
    with pytest.raises(ReportError, match=f"flask-w1-r1.*{missing}"):
        load_comparison(steady)


def test_a_directory_without_runs_is_refused(tmp_path):
    with pytest.raises(ReportError, match=r"no runs/\*/run.json"):
        load_comparison(tmp_path)


# --- refused: runs that are not like for like -------------------------------------------------


@pytest.mark.parametrize(
    ("change", "what"),
    [
        (lambda m: m["model"].update(version="another"), "model version"),
        (lambda m: m["knobs"].update(rate=20.0), "knobs"),
        (lambda m: m["pool"].update(seed=8), "payload pool"),
        (lambda m: m["code"].update(server_code_sha256="a" * 64), "server code"),
        (lambda m: m["code"].update(load_code_sha256="a" * 64), "load code"),
        (lambda m: m["machine"].update(cpu_model="Another CPU"), "CPU model"),
        (lambda m: m["versions"].update(bentoml="1.4.41"), "package versions"),
    ],
)
def test_runs_that_are_not_like_for_like_are_refused(steady, change, what):
    _edit(steady / "runs" / "bento-w1-r2" / "run.json", change)
    with pytest.raises(ReportError, match=f"runs differ in {what}: not like for like"):
        load_comparison(steady)


def test_another_commit_with_the_same_code_is_like_for_like(steady):
    _edit(steady / "runs" / "bento-w1-r2" / "run.json", lambda m: m["code"].update(sha="1" * 40))
    assert len(load_comparison(steady).runs) == 4


def test_different_cpu_budgets_at_one_worker_count_are_refused(steady):
    change = lambda m: m["budget"].update(statement="another budget")  # noqa: E731
    _edit(steady / "runs" / "bento-w1-r1" / "run.json", change)
    with pytest.raises(ReportError, match=r"different CPU budgets at 1 worker\(s\)"):
        load_comparison(steady)


def test_external_servers_at_different_addresses_are_one_budget(steady):
    """make compose-crash: each container is an external server with its own URL; the budget
    statement names no address, so the runs compare (the CI failure of 2026-11-25)."""
    from loadtests.harness.budget import external

    for i, run_json in enumerate(sorted((steady / "runs").glob("*/run.json"))):
        port = 3000 + i
        _edit(run_json, lambda m: m.update(budget=external().model_dump()))
        _edit(
            run_json,
            lambda m, port=port: m["server"].update(
                url=f"http://127.0.0.1:{port}", started_by_run=False, workers=None
            ),
        )
    cmp = load_comparison(steady)
    assert len({r.record.server.url for r in cmp.runs}) == 4
    assert len({r.record.budget.statement for r in cmp.runs}) == 1


def test_two_scenarios_in_one_comparison_are_refused(steady, tmp_path):
    other = fixtures.spike(tmp_path / "other")
    shutil.copytree(other / "runs" / "flask-w1-r1", steady / "runs" / "flask-w1-r9")
    with pytest.raises(ReportError, match=r"several scenarios in one comparison: \['spike', "):
        load_comparison(steady)


# --- refused: a missing profile ------------------------------------------------------------


def test_a_profile_without_runs_is_refused(steady):
    for run in (steady / "runs").glob("bento-*"):
        shutil.rmtree(run)
    with pytest.raises(ReportError, match="no runs of bento"):
        load_comparison(steady)


def test_a_profile_missing_at_one_worker_count_is_refused(capacity):
    shutil.rmtree(capacity / "runs" / "bento-w2-r1")
    with pytest.raises(ReportError, match=r"2 worker\(s\) lacks runs of bento"):
        load_comparison(capacity)


# --- profile order ---------------------------------------------------------------------------


def _list_profiles(root: Path, names: list[str]) -> None:
    path = root / COMPARISON_FILE
    data = json.loads(path.read_text())
    data["profiles"] = names
    path.write_text(json.dumps(data))


def test_profile_order_comes_from_comparison_json(steady):
    _list_profiles(steady, ["bento", "flask"])
    cmp = load_comparison(steady)
    assert [p.name for p in cmp.profiles] == ["bento", "flask"]
    assert cmp.baseline.name == "bento"


def test_without_comparison_json_the_default_profiles_come_first(tmp_path):
    root = fixtures.three(tmp_path)
    (root / COMPARISON_FILE).unlink()
    assert [p.name for p in load_comparison(root).profiles] == ["flask", "bento", "bento-c8"]
    listed = fixtures.three(tmp_path / "listed")
    _list_profiles(listed, ["bento-c8", "flask", "bento"])
    assert [p.name for p in load_comparison(listed).profiles] == [
        "bento-c8",
        "flask",
        "bento",
    ]


def test_a_profile_known_only_from_its_records(tmp_path):
    """A profile needs no TOML file to be reported: every record embeds its profile."""
    cmp = load_comparison(fixtures.three(tmp_path))
    third = cmp.profiles[2]
    assert third == fixtures.BENTO_C8 and third.settings == {"bento_max_concurrency": 8}
    assert [r.record.run_id for r in cmp.runs_of("bento-c8")] == ["bento-c8-w1-r1"]


def test_a_knob_naming_each_runs_own_target_may_differ(steady):
    """make compose-crash kills a different container per server: the crash scenario's
    ``container`` knob is per target, every other knob must still agree."""

    def crash(container):
        return lambda m: (m.update(scenario="crash"), m["knobs"].update(container=container))

    for run in ("flask-w1-r1", "flask-w1-r2", "bento-w1-r1", "bento-w1-r2"):
        _edit(steady / "runs" / run / "run.json", crash(f"id-{run.split('-')[0]}"))
    assert len(load_comparison(steady).runs) == 4
    _edit(steady / "runs" / "bento-w1-r2" / "run.json", lambda m: m["knobs"].update(rate=20.0))
    with pytest.raises(ReportError, match="runs differ in knobs: not like for like"):
        load_comparison(steady)
