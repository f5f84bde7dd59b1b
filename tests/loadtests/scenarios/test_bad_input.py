"""bad_input: the plan, and what each server answered to each kind of request (fixture)."""

from __future__ import annotations

import fixtures
import pytest

from loadtests import scenarios
from loadtests.generator.payloads import INVALID_KINDS
from loadtests.reporting.runs import load_run
from loadtests.scenarios.bad_input import (
    OUTCOMES,
    BadInputSummary,
    invalid_counts,
    outcome,
    outcomes,
    totals,
)

BAD_INPUT = scenarios.get("bad_input")


def test_default_plan():
    k = BAD_INPUT.knobs()
    assert (k.rate, k.duration, k.invalid_share, k.warmup) == (40, 20, 0.5, 3)
    assert [(p.label, p.duration, p.rate, p.traffic, p.measured) for p in BAD_INPUT.phases(k)] == [
        ("warmup", 3, 40, "bad_input", False),
        ("hold", 20, 40, "bad_input", True),
    ]
    assert BAD_INPUT.describe(k) == "40 req/s for 20 s, 50% invalid"
    assert BAD_INPUT.planned_seconds(k) == 23


def test_overridden_plan():
    k = BAD_INPUT.knobs({"rate": 20, "duration": 4, "warmup": 0, "invalid_share": 0.25})
    assert [(p.label, p.duration, p.rate) for p in BAD_INPUT.phases(k)] == [("hold", 4, 20)]
    assert BAD_INPUT.describe(k) == "20 req/s for 4 s, 25% invalid"
    assert BAD_INPUT.planned_seconds(k) == 4
    with pytest.raises(ValueError, match="invalid_share"):
        BAD_INPUT.knobs({"invalid_share": 1.5})


def test_outcome_classes():
    assert [outcome(c) for c in (200, 400, 415, 422, 500, 503, 0, 302)] == [
        "200", "4xx", "4xx", "4xx", "5xx", "5xx", "other", "other",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = fixtures.bad_input(tmp_path_factory.mktemp("bad_input"))
    return {p.name: load_run(p) for p in (root / "runs").iterdir()}


def test_outcomes_per_kind(runs):
    flask, bento = runs["flask-w1-r1"].summary, runs["bento-w1-r1"].summary
    assert isinstance(flask, BadInputSummary)
    assert set(flask.outcomes) == {"valid", *INVALID_KINDS}
    expected = {200: "200", 400: "4xx", 415: "4xx", 500: "5xx"}
    for kind, code in fixtures.BAD_CODES["flask"].items():
        counts = dict.fromkeys(OUTCOMES, 0) | {expected[code]: 5}
        assert flask.outcomes[kind] == counts, kind  # 5 seconds, one request a second
    assert flask.outcomes["valid"] == {"4xx": 0, "5xx": 0, "200": 50, "other": 0}
    for kind in INVALID_KINDS:
        assert bento.outcomes[kind] == {"4xx": 5, "5xx": 0, "200": 0, "other": 0}
    # (invalid requests, scored with 200, answered 5xx)
    assert invalid_counts([flask]) == (45, 25, 5)
    assert invalid_counts([bento]) == (45, 0, 0)
    assert invalid_counts([flask, flask]) == (90, 50, 10)
    assert totals([flask, flask])["json_list"] == {"4xx": 0, "5xx": 10, "200": 0, "other": 0}


def test_hold_and_valid_numbers(runs):
    flask = runs["flask-w1-r1"].summary
    # hold: 3 measured seconds of 10 valid + 9 invalid requests; flask fails 5 scored + 1 500
    assert (flask.hold.requests, flask.hold.failures) == (57, 18)
    assert flask.hold.errors == {
        "200: scored an invalid application": 15,
        "HTTP 500: server error on invalid input": 3,
    }
    assert (flask.valid.requests, flask.valid.failures, flask.valid.ok_rps) == (30, 0, 10)
    assert flask.valid.p50_ms == 4
    bento = runs["bento-w1-r1"].summary
    assert (bento.hold.requests, bento.hold.failures) == (57, 0)


def test_an_unexpected_request_name_is_an_error():
    rows = [{"t": 1, "name": "flask classify_batch", "codes": {"200": 1}}]
    with pytest.raises(ValueError, match="unexpected request name 'flask classify_batch'"):
        outcomes(rows, "flask")
    assert outcomes(rows, "bento") == {}  # another target's rows are not counted


def test_console_lists_outcomes(runs):
    lines = BAD_INPUT.console(runs["flask-w1-r1"])
    assert lines[0].strip().startswith("hold ")
    assert "  json_list         5xx 5" in lines
    assert "  valid             200 50" in lines
