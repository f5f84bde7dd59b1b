"""The Flask app with BentoML's features added by hand (flask_app/features.py): off by default
(the baseline keeps its gaps, tests/test_flask_app.py), on for the profile that prices them."""

import pytest

from flask_app import create_app
from shared.schema import SAMPLE_APPLICATION
from shared.settings import get_settings


@pytest.fixture
def featured(predictor, monkeypatch, tmp_path):
    monkeypatch.setenv("CREDIT_FLASK_VALIDATION", "true")
    monkeypatch.setenv("CREDIT_FLASK_METRICS", "true")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    get_settings.cache_clear()
    try:
        yield create_app({"PREDICTOR": predictor}).test_client()
    finally:
        get_settings.cache_clear()


def test_valid_applications_score_as_without_the_features(featured, predictor, test_rows):
    resp = featured.post("/classify", json=SAMPLE_APPLICATION)
    assert resp.status_code == 200
    assert resp.get_json() == predictor.predict_one(SAMPLE_APPLICATION).to_dict()
    rows = test_rows[:10]
    batch = featured.post("/classify_batch", json=rows)
    assert batch.get_json() == [predictor.predict_one(r).to_dict() for r in rows]


@pytest.mark.parametrize(
    "body",
    [
        {"seniority": 3},  # missing fields
        {**SAMPLE_APPLICATION, "home": "castle"},  # unknown category
        {**SAMPLE_APPLICATION, "age": "26"},  # wrong type
        {**SAMPLE_APPLICATION, "incme": 1},  # misspelt field
        [SAMPLE_APPLICATION],  # a list where an object is expected
    ],
)
def test_invalid_applications_get_a_json_400_like_bentoml(featured, body):
    resp = featured.post("/classify", json=body)
    assert resp.status_code == 400
    data = resp.get_json()
    assert "validation error" in data["error"]
    assert isinstance(data["detail"], list) and data["detail"]
    assert {"type", "loc", "msg"} <= set(data["detail"][0])


def test_malformed_json_is_a_400_too(featured):
    resp = featured.post("/classify", data=b'{"seniority": 3', content_type="application/json")
    assert resp.status_code == 400 and resp.get_json()["detail"][0]["type"] == "json_invalid"


def test_metrics_count_requests_by_endpoint_and_status(featured):
    featured.post("/classify", json=SAMPLE_APPLICATION)
    featured.post("/classify", json={"seniority": 3})
    text = featured.get("/metrics").get_data(as_text=True)
    assert (
        'flask_request_total{endpoint="/classify",http_response_code="200",method="POST"}' in text
    )
    assert 'http_response_code="400"' in text
    assert "flask_request_duration_seconds_bucket" in text


def test_info_says_which_features_are_on(featured):
    serving = featured.get("/info").get_json()["serving"]
    assert serving["validation"].startswith("pydantic") and serving["metrics"] is True
