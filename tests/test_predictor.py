import math

import numpy as np
import pytest
import xgboost as xgb

from shared.decision import decide
from shared.schema import SAMPLE_APPLICATION


def course_way(predictor, records):
    """The course's app: dv.transform + DMatrix + predict."""
    dv = predictor.vectorizer
    x = dv.transform(records)
    return predictor.booster.predict(xgb.DMatrix(x, feature_names=list(dv.feature_names_)))


def test_predictor_equals_the_plain_model_on_the_test_split(predictor, test_rows):
    expected = course_way(predictor, test_rows)
    ours = np.array([p.default_probability for p in predictor.predict_many(test_rows)])
    assert np.abs(ours - expected).max() < 1e-6
    singles = np.array([predictor.predict_one(r).default_probability for r in test_rows[:200]])
    assert np.abs(singles - expected[:200]).max() < 1e-6


def test_prediction_carries_decision_and_version(predictor):
    p = predictor.predict_one(SAMPLE_APPLICATION)
    assert 0 <= p.default_probability <= 1
    assert p.status == decide(p.default_probability)
    assert p.model_version == predictor.version
    assert p.to_dict() == {
        "status": p.status,
        "default_probability": p.default_probability,
        "model_version": predictor.version,
    }


@pytest.mark.parametrize(
    ("probability", "status"),
    [
        (0.0, "APPROVED"),
        (0.25, "APPROVED"),
        (0.2501, "MAYBE"),
        (0.5, "MAYBE"),
        (0.5001, "DECLINED"),
        (1.0, "DECLINED"),
    ],
)
def test_course_thresholds(probability, status):
    assert decide(probability) == status


@pytest.mark.parametrize(
    "record",
    [
        {},
        {"home": "castle", "job": "astronaut"},
        {"income": "abc", "age": "26"},
        {"income": None},
        {"income": ["a", "b"]},
        {**SAMPLE_APPLICATION, "amount": -5000},
        {**SAMPLE_APPLICATION, "records": True},
        {**SAMPLE_APPLICATION, "extra": 3},
    ],
    ids=[
        "empty",
        "unknown-categories",
        "strings-for-numbers",
        "null",
        "list-of-str",
        "negative",
        "bool",
        "extra-field",
    ],
)
def test_garbage_is_scored_exactly_like_the_course_app(predictor, record):
    """No validation here: whatever the course's dv.transform does, the Predictor does."""
    ours = predictor.predict_one(record).default_probability
    theirs = float(course_way(predictor, [record])[0])
    assert math.isclose(ours, theirs, abs_tol=1e-6) or (math.isnan(ours) and math.isnan(theirs))


def test_unsupported_values_raise_like_the_course_app(predictor):
    with pytest.raises(TypeError):
        course_way(predictor, [{"income": [1, 2]}])
    with pytest.raises(TypeError):
        predictor.predict_one({"income": [1, 2]})
    with pytest.raises(TypeError, match="JSON object"):
        predictor.predict_one([1, 2, 3])


def test_directional_behaviour(predictor, data_source):
    """Behavioural checks (Made-With-ML style): known risk factors move the score the right way.
    They hold for the course's data; the offline synthetic stand-in need not learn them."""
    if data_source != "real":
        pytest.skip("directional checks are for the course's data; this run used " + data_source)
    base = predictor.predict_one(SAMPLE_APPLICATION).default_probability
    with_records = predictor.predict_one({**SAMPLE_APPLICATION, "records": "yes"})
    richer = predictor.predict_one({**SAMPLE_APPLICATION, "income": 300.0})
    assert with_records.default_probability > base
    assert richer.default_probability < base


def test_empty_batch(predictor):
    assert predictor.predict_many([]) == []


def test_single_thread(predictor):
    assert '"nthread":"1"' in predictor.booster.save_config().replace(" ", "")


def test_a_synthetic_call_cost_burns_cpu_per_call_and_changes_nothing_else(trained, test_rows):
    import time

    from shared.predictor import Predictor

    plain, slow = Predictor.from_artifact(trained[0]), Predictor.from_artifact(trained[0], 5.0)
    rows = test_rows[:20]
    start = time.thread_time()
    slow_one, slow_many = slow.predict_one(rows[0]), slow.predict_many(rows)
    spent = time.thread_time() - start
    assert spent >= 0.010  # two calls, 5 ms each, whatever the number of rows
    assert slow_one == plain.predict_one(rows[0])
    assert slow_many == plain.predict_many(rows)
