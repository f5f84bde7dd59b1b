"""loadtests.generator.checks: what counts as a correct answer."""

from __future__ import annotations

import typing

import pytest

from loadtests.generator.checks import (
    STATUSES,
    VERSION_HEADER,
    batch_problem,
    header_problem,
    prediction_problem,
)
from shared.decision import DECLINE_ABOVE, MAYBE_ABOVE, decide
from shared.schema import ClassifyResponse

GOOD = {"status": "MAYBE", "default_probability": 0.3, "model_version": "v1"}


@pytest.mark.parametrize(
    ("probability", "status"),
    [(0.0, "APPROVED"), (MAYBE_ABOVE, "APPROVED"), (0.3, "MAYBE"), (DECLINE_ABOVE, "MAYBE"),
     (0.9, "DECLINED"), (1.0, "DECLINED"), (1, "DECLINED"), (0, "APPROVED")],
)  # fmt: skip
def test_a_prediction_of_the_contract_is_correct(probability, status):
    body = {"status": status, "default_probability": probability, "model_version": "v1"}
    assert prediction_problem(body) is None
    ClassifyResponse.model_validate(body)  # the same body is what the contract describes


def test_statuses_are_the_contracts():
    assert set(STATUSES) == set(typing.get_args(ClassifyResponse.model_fields["status"].annotation))
    assert {decide(p) for p in (0.0, 0.3, 0.9)} == set(STATUSES)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ([GOOD], "body is not a JSON object"),
        (None, "body is not a JSON object"),
        ({**GOOD, "status": "OK"}, "unknown or missing status"),
        ({k: v for k, v in GOOD.items() if k != "status"}, "unknown or missing status"),
        ({**GOOD, "default_probability": "0.3"}, "default_probability is not a number"),
        ({**GOOD, "default_probability": True}, "default_probability is not a number"),
        ({**GOOD, "default_probability": None}, "default_probability is not a number"),
        ({**GOOD, "default_probability": 1.5}, "default_probability outside [0, 1]"),
        ({**GOOD, "default_probability": -0.1}, "default_probability outside [0, 1]"),
        ({**GOOD, "default_probability": 0.9}, "status disagrees with default_probability"),
        ({**GOOD, "default_probability": 0.1}, "status disagrees with default_probability"),
        ({**GOOD, "model_version": ""}, "missing model_version"),
        ({**GOOD, "model_version": 1}, "missing model_version"),
        ({k: v for k, v in GOOD.items() if k != "model_version"}, "missing model_version"),
    ],
)
def test_prediction_problems(body, problem):
    assert prediction_problem(body) == problem


def test_batch_problems():
    assert batch_problem([GOOD, GOOD], 2) is None
    assert batch_problem([], 0) is None
    assert batch_problem(GOOD, 1) == "body is not a JSON list"
    assert batch_problem([GOOD], 2) == "wrong number of predictions"
    assert batch_problem([GOOD, GOOD, GOOD], 2) == "wrong number of predictions"
    assert batch_problem([GOOD, {**GOOD, "status": "OK"}], 2) == "unknown or missing status"
    assert batch_problem([GOOD, "x"], 2) == "body is not a JSON object"
    assert batch_problem([GOOD, {**GOOD, "model_version": "v2"}], 2) == (
        "mixed model versions in one batch"
    )


def test_header_problems():
    assert header_problem("v1", "v1") is None
    assert header_problem(None, "v1") == f"no {VERSION_HEADER} header"
    assert header_problem("", "v1") == f"no {VERSION_HEADER} header"
    assert (
        header_problem("v2", "v1")
        == f"{VERSION_HEADER} header differs from the body's model_version"
    )


def test_a_wrapped_error_is_named_with_what_it_wraps():
    """geventhttpclient gives up with RetriesExceeded whatever happened; a 10 s timeout inside it
    must count as a client timeout, not as a connection error."""
    from geventhttpclient.useragent import RetriesExceeded

    from loadtests.generator import checks
    from loadtests.scenarios.overload import failure_kind

    timed_out = RetriesExceeded("http://x/classify", 1, original=TimeoutError("timed out"))
    reset = RetriesExceeded("http://x/classify", 1, original=ConnectionResetError())
    assert checks.error_name(timed_out) == "RetriesExceeded: TimeoutError"
    assert failure_kind(f"no response ({checks.error_name(timed_out)})") == "client timeout"
    assert failure_kind(f"no response ({checks.error_name(reset)})") == "connection error"
    assert checks.error_name(ConnectionResetError()) == "ConnectionResetError"
    assert checks.error_name(None) == "connection failed"
