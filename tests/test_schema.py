import pytest
from pydantic import ValidationError

from shared.schema import SAMPLE_APPLICATION, ClassifyResponse, CreditApplication


def test_the_course_sample_is_valid():
    app = CreditApplication.model_validate(SAMPLE_APPLICATION)
    assert app.model_dump() == SAMPLE_APPLICATION


def test_every_real_test_row_is_valid(test_rows):
    for row in test_rows:
        CreditApplication.model_validate(row)


@pytest.mark.parametrize(
    ("change", "error_type"),
    [
        ({"home": "castle"}, "literal_error"),
        ({"job": "astronaut"}, "literal_error"),
        ({"age": "26"}, "int_type"),
        ({"income": "abc"}, "float_type"),
        ({"records": True}, "literal_error"),
        ({"seniority": True}, "int_type"),
        ({"amount": -800}, "greater_than"),
        ({"age": 7}, "greater_than_equal"),
        ({"assets": 1e12}, "less_than_equal"),
        ({"incom": 100.0}, "extra_forbidden"),
        ({"price": None}, "float_type"),
    ],
)
def test_bad_fields_are_rejected(change, error_type):
    with pytest.raises(ValidationError) as info:
        CreditApplication.model_validate({**SAMPLE_APPLICATION, **change})
    assert error_type in {e["type"] for e in info.value.errors()}


def test_missing_fields_are_listed():
    partial = {k: v for k, v in SAMPLE_APPLICATION.items() if k not in ("age", "job")}
    with pytest.raises(ValidationError) as info:
        CreditApplication.model_validate(partial)
    assert {e["loc"][0] for e in info.value.errors() if e["type"] == "missing"} == {"age", "job"}


def test_response_model_bounds():
    ClassifyResponse(status="MAYBE", default_probability=0.3, model_version="abc")
    with pytest.raises(ValidationError):
        ClassifyResponse(status="OK", default_probability=0.3, model_version="abc")
