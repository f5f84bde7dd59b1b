"""The load-test building blocks that need no server and no locust: plans, payloads, checks,
the timeline and its analysis, the CPU budget, BentoML's batch metrics, run.json checks."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from pydantic import ValidationError

from loadtests import analysis, bento_metrics, checks, plans
from loadtests.budget import budget_for
from loadtests.metadata import MetadataError, require_complete
from loadtests.payloads import INVALID_KINDS, Pool, encode, invalid_body, load_pool, save_pool
from loadtests.timeline import Timeline, per_second, percentile, prefix, window
from shared.schema import SAMPLE_APPLICATION, CreditApplication

FIXTURES = Path(__file__).parent / "fixtures" / "load"

# --- plans ---------------------------------------------------------------------------------


def test_params_defaults_and_overrides():
    p = plans.params_for("steady", {"rate": "250", "duration": "", "batch_size": None})
    assert p.rate == 250.0
    assert p.duration == plans.DEFAULTS["steady"]["duration"]  # "" keeps the default
    assert plans.params_for("batch", {"batch_size": "4"}).batch_size == 4
    with pytest.raises(ValueError, match="unknown parameter"):
        plans.params_for("steady", {"rats": 1})
    with pytest.raises(ValueError, match="rate must be > 0"):
        plans.params_for("steady", {"rate": 0})
    with pytest.raises(ValueError, match="unknown scenario"):
        plans.params_for("soak")


def test_every_scenario_plan_is_consistent():
    for scenario in plans.SCENARIOS:
        p = plans.params_for(scenario)
        phases = plans.plan(scenario, p)
        assert phases and all(ph.duration > 0 and ph.users >= 1 for ph in phases)
        assert any(ph.measured for ph in phases)
        assert plans.max_seconds(scenario, p) == sum(ph.duration for ph in phases)
        assert plans.describe(scenario, p)


def test_capacity_steps_grow_geometrically_up_to_the_max():
    p = plans.params_for("capacity", {"rate": 100, "step_factor": 1.5, "max_rate": 500})
    assert plans.capacity_rates(p) == [100.0, 150.0, 224.0, 338.0]  # whole users of 2 req/s
    steps = [ph for ph in plans.plan("capacity", p) if ph.measured]
    assert [ph.rate for ph in steps] == [100.0, 150.0, 224.0, 338.0]


def test_spike_and_batch_plans():
    spike = plans.plan("spike", plans.params_for("spike", {"rate": 10, "duration": 40}))
    assert [ph.label for ph in spike] == ["warmup", "baseline", "spike", "recovery"]
    assert [ph.duration for ph in spike[1:]] == [10.0, 10.0, 20.0]
    assert spike[2].rate == 8 * spike[1].rate
    batch = plans.plan("batch", plans.params_for("batch", {"rate": 100, "batch_size": 4}))
    single, batched = (next(ph for ph in batch if ph.label == x) for x in ("single", "batch"))
    assert (single.kind, batched.kind) == (plans.CLASSIFY, plans.CLASSIFY_BATCH)
    # same applications/s on both paths (100 rounded to whole users of 2 req/s: 96)
    assert single.rate == 96 and batched.rate == 24 and batched.items_per_request == 4


def test_phase_at():
    phases = plans.plan("steady", plans.params_for("steady", {"duration": 10, "warmup": 2}))
    assert [plans.phase_at(phases, t) for t in (0, 1.9, 2, 11.9, 12)] == [0, 0, 1, 1, None]


def test_judge_names_every_broken_limit():
    p = plans.params_for("capacity")
    assert plans.judge(p, 100, 100, 50, 0.0).ok
    verdict = plans.judge(p, 100, 80, 150, 0.01)
    assert not verdict.ok and len(verdict.reasons) == 3
    assert not plans.judge(p, 100, 100, None, 0.0).ok


# --- payloads and checks -------------------------------------------------------------------


def test_pool_round_trip(tmp_path):
    pool = Pool([SAMPLE_APPLICATION], "real", "d" * 64, "test", 7)
    assert load_pool(save_pool(pool, tmp_path / "pool.json")) == pool
    with pytest.raises(ValueError):
        Pool([], "real", "x", "test", 7)


def test_test_split_applications_are_valid(test_rows):
    for record in test_rows:
        CreditApplication.model_validate(record)


@pytest.mark.parametrize("kind", INVALID_KINDS)
def test_every_invalid_kind_breaks_the_contract(kind, test_rows):
    rng = random.Random(3)
    for record in test_rows[:25]:
        body = invalid_body(kind, record, rng)
        if body.content_type != "application/json":
            continue  # not JSON at all (non_json): invalid by content type
        with pytest.raises((ValidationError, ValueError)):
            CreditApplication.model_validate(json.loads(body.data))


def test_invalid_bodies_are_what_they_say():
    rng = random.Random(1)
    assert invalid_body("empty_body", SAMPLE_APPLICATION, rng).data == b""
    assert invalid_body("non_json", SAMPLE_APPLICATION, rng).content_type == "text/plain"
    assert len(invalid_body("huge_body", SAMPLE_APPLICATION, rng).data) > 1 << 20
    assert json.loads(invalid_body("json_list", SAMPLE_APPLICATION, rng).data) == [
        SAMPLE_APPLICATION
    ]
    with pytest.raises(ValueError):
        invalid_body("nonsense", SAMPLE_APPLICATION, rng)
    assert json.loads(encode(SAMPLE_APPLICATION)) == SAMPLE_APPLICATION


def test_prediction_checks():
    good = {"status": "MAYBE", "default_probability": 0.3, "model_version": "v1"}
    assert checks.prediction_problem(good) is None
    assert checks.prediction_problem([good]) == "body is not a JSON object"
    assert checks.prediction_problem({**good, "status": "OK"}) == "unknown or missing status"
    assert "agree" in checks.prediction_problem({**good, "default_probability": 0.9})
    assert checks.prediction_problem({**good, "default_probability": True})
    assert checks.prediction_problem({**good, "default_probability": 1.5})
    assert checks.prediction_problem({**good, "model_version": ""})
    assert checks.batch_problem([good, good], 2) is None
    assert checks.batch_problem([good], 2) == "wrong number of predictions"
    assert checks.batch_problem([good, {**good, "model_version": "v2"}], 2)
    assert checks.header_problem("v1", "v1") is None
    assert checks.header_problem(None, "v1") and checks.header_problem("v2", "v1")


# --- timeline and analysis -----------------------------------------------------------------


def test_percentile_nearest_rank():
    assert percentile({}, 0.5) is None
    hist = {1: 50, 2: 45, 100: 5}
    assert [percentile(hist, q) for q in (0.5, 0.95, 0.96, 1.0)] == [1.0, 2.0, 100.0, 100.0]


def test_timeline_records_merges_and_windows():
    a, b = Timeline(), Timeline()
    a.record("flask classify", 100.2, 3.4, 200, False)
    a.record("flask classify", 100.9, 250.0, 500, True)
    b.record("flask classify", 101.5, 1234.0, 0, True)
    b.record("bento classify", 101.5, 5.0, 200, False)
    a.merge(b.drain())
    assert b.rows() == []
    rows = a.rows()
    assert {(r["t"], r["name"], r["n"], r["fail"]) for r in rows} == {
        (100, "flask classify", 2, 1),
        (101, "flask classify", 1, 1),
        (101, "bento classify", 1, 0),
    }
    w = window(rows, 99.5, 102.0, prefix("flask"))  # whole seconds 100 and 101
    assert (w.n, w.failures, w.seconds, w.rps) == (3, 2, 2, 1.5)
    assert w.codes == {200: 1, 500: 1, 0: 1} and w.hist == {3: 1, 250: 1, 1200: 1}
    assert window(rows, 100.5, 102.0, prefix("flask")).n == 1  # second 100 is not whole
    assert [x.n for x in per_second(rows, 99, 103, prefix("flask"))] == [0, 2, 1, 0]


def _steps(*oks: bool) -> list[dict]:
    return [{"offered_rps": 10.0 * (i + 1), "slo_ok": ok} for i, ok in enumerate(oks)]


def test_sustained_rate_ignores_an_isolated_failure_but_not_two():
    assert analysis.sustained_rate(_steps(True, True, False, False, True), 2) == 20.0
    assert analysis.sustained_rate(_steps(True, False, True, False), 2) == 30.0
    assert analysis.sustained_rate(_steps(False, False), 2) is None
    assert analysis.sustained_rate(_steps(True, False, True), 1) == 10.0
    assert analysis.consecutive_failures(_steps(True, False, False)) == 2


def test_recovery_time_counts_whole_seconds_after_the_spike():
    p = plans.params_for("spike")
    rows = []
    for t in range(20, 30):
        slow = t in (20, 21)  # the two seconds after the spike are still slow
        rows.append(
            {
                "t": t,
                "name": "flask classify",
                "n": 10,
                "fail": 0,
                "codes": {"200": 10},
                "rt": {"900" if slow else "5": 10},
            }  # fmt: skip
        )
    spike, recovery = {"end": 20.0}, {"end": 30.0}
    rec = analysis.recovery_time(rows, spike, recovery, "flask", 10.0, p)
    assert rec.seconds == 2.0 and rec.threshold_ms == 100.0
    assert analysis.recovery_time(rows[:4], spike, {"end": 24.0}, "flask", 10.0, p).seconds is None


def test_status_classes():
    assert analysis.status_classes({200: 3, 400: 2, 415: 1, 500: 4, 0: 1}) == {
        "4xx": 3,
        "5xx": 4,
        "200": 3,
        "other": 1,
    }


# --- CPU budget ----------------------------------------------------------------------------


def test_budget_on_two_cores():
    one = budget_for(1, cpus=[0, 1], taskset=True)
    assert (one.server_cpus, one.locust_cpus, one.shared) == ("0", "1", False)
    two = budget_for(2, cpus=[0, 1], taskset=True)
    assert (two.server_cpus, two.locust_cpus, two.shared) == ("0,1", "1", True)
    assert "SHARES" in two.statement


def test_budget_elsewhere():
    many = budget_for(2, locust_processes=2, cpus=list(range(8)), taskset=True)
    assert (many.server_cpus, many.locust_cpus, many.shared) == ("0,1", "6,7", False)
    none = budget_for(1, cpus=[0, 1], taskset=False)
    assert none.server_cpus is None and "NOT pinned" in none.statement


# --- BentoML metrics and run.json ----------------------------------------------------------

METRICS = """# HELP bentoml_service_adaptive_batch_size Service adaptive batch size
# TYPE bentoml_service_adaptive_batch_size histogram
bentoml_service_adaptive_batch_size_sum{method_name="classify_batch",worker_index="%(w)s"} %(sum)s
bentoml_service_adaptive_batch_size_count{method_name="classify_batch",worker_index="%(w)s"} %(n)s
bentoml_service_adaptive_batch_size_bucket{le="1.0",method_name="classify_batch",worker_index="%(w)s"} %(b1)s
bentoml_service_adaptive_batch_size_bucket{le="2.0",method_name="classify_batch",worker_index="%(w)s"} %(b2)s
bentoml_service_adaptive_batch_size_bucket{le="4.0",method_name="classify_batch",worker_index="%(w)s"} %(n)s
bentoml_service_adaptive_batch_size_bucket{le="+Inf",method_name="classify_batch",worker_index="%(w)s"} %(n)s
"""  # noqa: E501


def test_batch_sizes_from_two_scrapes():
    before = bento_metrics.batch_histogram(METRICS % {"w": 1, "sum": 2, "n": 2, "b1": 2, "b2": 2})
    after_text = METRICS % {"w": 1, "sum": 12, "n": 6, "b1": 3, "b2": 5}
    after_text += METRICS.split("\n", 2)[2] % {"w": 2, "sum": 4, "n": 1, "b1": 0, "b2": 0}
    after = bento_metrics.batch_histogram(after_text)
    assert after["count"] == 7 and after["sum"] == 16  # summed over both workers
    delta = bento_metrics.batch_delta(before, after)
    assert delta["batches"] == 5 and delta["applications"] == 14
    assert delta["mean_batch_size"] == pytest.approx(2.8)
    assert delta["size_buckets"] == {"1": 1, "2": 2, "3-4": 2, ">4": 0}
    assert isinstance(bento_metrics.batch_delta(before, before), str)  # no batches: said so


def test_require_complete_rejects_missing_and_blank():
    meta = json.loads((FIXTURES / "compare-steady-fixture/runs/flask-w1-r1/run.json").read_text())
    require_complete(meta)
    missing = {**meta, "git": {k: v for k, v in meta["git"].items() if k != "sha"}}
    with pytest.raises(MetadataError, match="missing git.sha"):
        require_complete(missing)
    blank = {**meta, "server": {**meta["server"], "cpus": ""}}
    with pytest.raises(MetadataError, match="blank server.cpus"):
        require_complete(blank)
    nothing = {**meta, "bento_batches": None}
    with pytest.raises(MetadataError, match="blank bento_batches"):
        require_complete(nothing)
