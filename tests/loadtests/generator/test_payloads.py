"""loadtests.generator.payloads: the payload pool and invalid variants of an application."""

from __future__ import annotations

import json
import random
import typing

import pytest
from pydantic import ValidationError

from loadtests.generator.payloads import (
    CATEGORICAL,
    FIELDS,
    HUGE_FIELD_BYTES,
    INVALID_KINDS,
    JSON,
    NUMERICAL,
    UNKNOWN_CATEGORIES,
    Pool,
    encode,
    invalid_body,
    load_pool,
    save_pool,
)
from shared.schema import SAMPLE_APPLICATION, CreditApplication


@pytest.fixture(scope="module")
def applications(test_rows) -> list[dict]:
    """The sample applicant and 40 applications of the test split (what the pool holds)."""
    return [SAMPLE_APPLICATION, *test_rows[:40]]


def test_the_fields_split_into_categories_and_numbers():
    assert tuple(CreditApplication.model_fields) == FIELDS and len(FIELDS) == 13
    assert set(CATEGORICAL) == {"home", "marital", "records", "job"}
    assert set(CATEGORICAL) | set(NUMERICAL) == set(FIELDS)
    assert not set(CATEGORICAL) & set(NUMERICAL)


def test_every_unknown_category_is_unknown_to_the_contract():
    assert set(UNKNOWN_CATEGORIES) == set(CATEGORICAL)
    for name, value in UNKNOWN_CATEGORIES.items():
        annotation = CreditApplication.model_fields[name].annotation
        assert value not in typing.get_args(annotation), name


def test_the_valid_applications_are_valid(applications):
    for record in applications:
        CreditApplication.model_validate_json(encode(record))


@pytest.mark.parametrize("kind", INVALID_KINDS)
def test_every_invalid_kind_breaks_the_contract(kind, applications):
    for seed in range(3):
        rng = random.Random(seed)
        for record in applications:
            body = invalid_body(kind, record, rng)
            with pytest.raises(ValidationError):
                CreditApplication.model_validate_json(body.data)


def test_every_field_can_go_missing_and_every_number_can_be_a_string():
    rng = random.Random(0)
    missing, strings = set(), set()
    for _ in range(300):
        missing |= set(FIELDS) - set(
            json.loads(invalid_body("missing_field", SAMPLE_APPLICATION, rng).data)
        )
        sent = json.loads(invalid_body("wrong_type", SAMPLE_APPLICATION, rng).data)
        strings |= {k for k, v in sent.items() if isinstance(v, str) and k in NUMERICAL}
    assert missing == set(FIELDS)
    assert strings == set(NUMERICAL)


def test_invalid_bodies_are_what_they_say():
    rng = random.Random(1)
    app = SAMPLE_APPLICATION

    def body(kind):
        return invalid_body(kind, app, rng)

    assert body("empty_body").data == b"" and body("empty_body").content_type == JSON
    non_json = body("non_json")
    assert non_json.content_type == "text/plain" and b"seniority=3" in non_json.data
    huge = json.loads(body("huge_body").data)
    assert len(huge.pop("comment")) == HUGE_FIELD_BYTES and huge == app
    assert json.loads(body("json_list").data) == [app]
    with pytest.raises(json.JSONDecodeError):
        json.loads(body("malformed_json").data)
    assert json.loads(body("negative_amount").data)["amount"] == -app["amount"]
    assert (
        json.loads(invalid_body("negative_amount", {**app, "amount": 0}, rng).data)["amount"] == -1
    )
    unknown = json.loads(body("unknown_category").data)
    changed = {k for k in app if unknown[k] != app[k]}
    assert len(changed) == 1 and unknown[changed.pop()] in UNKNOWN_CATEGORIES.values()
    assert app == SAMPLE_APPLICATION  # the valid record is never modified
    with pytest.raises(ValueError, match="unknown invalid kind 'nonsense'"):
        body("nonsense")


def test_encode_is_compact_json():
    assert encode({"a": 1, "b": [1, 2]}) == b'{"a":1,"b":[1,2]}'
    assert json.loads(encode(SAMPLE_APPLICATION)) == SAMPLE_APPLICATION


def test_pool_round_trip(tmp_path):
    pool = Pool(
        [SAMPLE_APPLICATION, {**SAMPLE_APPLICATION, "age": 40}], "real", "d" * 64, "test", 7
    )
    path = save_pool(pool, tmp_path / "sub" / "pool.json")
    assert load_pool(path) == pool
    assert pool.describe() == {
        "size": 2,
        "source": "real",
        "data_sha256": "d" * 64,
        "split": "test",
        "seed": 7,
    }
    assert json.loads(path.read_text())["size"] == 2


def test_an_empty_pool_is_refused(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        Pool([], "real", "x", "test", 7)
    path = tmp_path / "pool.json"
    path.write_text(
        json.dumps({"records": [], "source": "real", "data_sha256": "x", "split": "t", "seed": 1})
    )
    with pytest.raises(ValueError, match="empty"):
        load_pool(path)
