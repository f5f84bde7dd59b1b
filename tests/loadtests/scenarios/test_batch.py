"""batch: the plan (the same applications/s on both paths), the paths' numbers and the
adaptive batches from the fixture runs."""

from __future__ import annotations

import fixtures
import pytest

from loadtests import scenarios
from loadtests.reporting.runs import load_run
from loadtests.scenarios.batch import BatchSummary

BATCH = scenarios.get("batch")


def _plan(k):
    return [(p.label, p.duration, p.rate, p.traffic, p.items_per_request, p.measured)
            for p in BATCH.phases(k)]  # fmt: skip


def test_default_plan():
    k = BATCH.knobs()
    assert (k.rate, k.duration, k.batch_size, k.warmup) == (250, 12, 1, 3)
    assert _plan(k) == [
        ("warmup", 3, 250, "classify", 1, False),
        ("single", 12, 250, "classify", 1, True),
        ("warmup batch", 3, 250, "classify_batch", 1, False),
        ("batch", 12, 250, "classify_batch", 1, True),
    ]
    assert BATCH.describe(k) == (
        "250 applications/s for 12 s on /classify, then on /classify_batch in lists of 1"
    )
    assert BATCH.planned_seconds(k) == 30
    assert BATCH.scrape_batches


def test_overridden_plan_keeps_the_application_rate_equal():
    # 100 applications/s in lists of 4: 25 req/s, 12 whole users of 2 req/s: 24 req/s, and
    # the single path at the same 96 applications/s
    k = BATCH.knobs({"rate": 100, "batch_size": 4, "warmup": 0, "duration": 5})
    assert _plan(k) == [
        ("single", 5, 96, "classify", 1, True),
        ("batch", 5, 24, "classify_batch", 4, True),
    ]
    assert BATCH.describe(k) == (
        "100 applications/s for 5 s on /classify, then on /classify_batch in lists of 4"
    )
    assert BATCH.planned_seconds(k) == 10
    with pytest.raises(ValueError, match="batch_size"):
        BATCH.knobs({"batch_size": 0})


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = fixtures.batch(tmp_path_factory.mktemp("batch"))
    return {p.name: load_run(p) for p in (root / "runs").iterdir()}


def test_paths(runs):
    flask, bento = runs["flask-w1-r1"].summary, runs["bento-w1-r1"].summary
    assert isinstance(flask, BatchSummary) and flask.batch_size == bento.batch_size == 4
    # 3 measured seconds each: 40 single requests a second, 10 lists of 4
    assert (flask.single.requests, flask.single.achieved_rps, flask.single.p99_ms) == (120, 40, 3)
    assert (flask.batch.requests, flask.batch.achieved_rps, flask.batch.p99_ms) == (30, 10, 8)
    assert (bento.single.p50_ms, bento.batch.p50_ms) == (6, 12)
    assert flask.single.offered_rps == 40 and flask.batch.offered_rps == 10
    assert flask.single.slo_ok and flask.batch.slo_ok


def test_adaptive_batches(runs):
    flask, bento = runs["flask-w1-r1"].summary, runs["bento-w1-r1"].summary
    assert flask.adaptive is None
    assert bento.adaptive == fixtures.BENTO_BATCHES
    # BentoML counts requests per model call: x the requests' size = applications per call
    assert bento.adaptive.requests / bento.adaptive.batches == 2.5
    assert bento.adaptive.mean_requests_per_batch * bento.batch_size == 10


def test_console_lines(runs):
    assert BATCH.console(runs["flask-w1-r1"])[-1] == "  adaptive batches: none"
    assert BATCH.console(runs["bento-w1-r1"])[-1] == (
        "  adaptive batches: 20 model calls for 50 requests, mean 2.50 requests of 4 application(s)"
    )
