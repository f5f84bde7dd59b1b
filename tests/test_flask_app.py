"""The Flask baseline, in process. Its bad-input behaviour is pinned down ON PURPOSE:
these are the gaps the bad-input load scenario counts. If one of these tests starts
failing because the baseline got safer, the comparison changed: update README and report.
"""

import pytest

from flask_app import create_app
from shared.schema import SAMPLE_APPLICATION


@pytest.fixture(scope="module")
def client(predictor):
    app = create_app({"PREDICTOR": predictor})  # not TESTING: errors become 500s as in production
    return app.test_client()


def test_classify_the_course_sample(client, predictor):
    resp = client.post("/classify", json=SAMPLE_APPLICATION)
    assert resp.status_code == 200
    assert resp.headers["X-Model-Version"] == predictor.version
    assert resp.get_json() == predictor.predict_one(SAMPLE_APPLICATION).to_dict()
    assert list(resp.get_json()) == ["status", "default_probability", "model_version"]


def test_batch_equals_single_calls(client, predictor, test_rows):
    rows = test_rows[:25]
    resp = client.post("/classify_batch", json=rows)
    assert resp.status_code == 200
    assert resp.get_json() == [predictor.predict_one(r).to_dict() for r in rows]


def test_health_and_info(client, predictor):
    health = client.get("/healthz")
    assert health.get_json() == {"status": "ok", "model_version": predictor.version}
    info = client.get("/info").get_json()
    assert info["version"] == predictor.version
    assert info["data"]["source"] == predictor.data_source
    assert health.headers["X-Model-Version"] == predictor.version


def test_factory_loads_the_current_artifact_from_settings(trained):
    app = create_app()
    resp = app.test_client().post("/classify", json=SAMPLE_APPLICATION)
    assert resp.get_json()["model_version"] == trained[1]["version"]


# --- the baseline's documented gaps --------------------------------------------------------

GARBAGE_SCORED_200 = {
    "missing-fields": {"seniority": 3},
    "empty-object": {},
    "wrong-types": {**SAMPLE_APPLICATION, "income": "lots", "age": "twenty"},
    "unknown-category": {**SAMPLE_APPLICATION, "home": "castle"},
    "negative-amount": {**SAMPLE_APPLICATION, "amount": -800},
    "typo-field": {**{k: v for k, v in SAMPLE_APPLICATION.items() if k != "income"}, "incme": 0.0},
}


@pytest.mark.parametrize("name", GARBAGE_SCORED_200)
def test_invalid_applications_get_a_200_and_a_score(client, name):
    resp = client.post("/classify", json=GARBAGE_SCORED_200[name])
    assert resp.status_code == 200
    assert resp.get_json()["status"] in {"APPROVED", "MAYBE", "DECLINED"}


def test_a_list_at_classify_is_a_500(client):
    assert client.post("/classify", json=[SAMPLE_APPLICATION]).status_code == 500


def test_list_values_that_dictvectorizer_cannot_take_are_a_500(client):
    assert client.post("/classify", json={"income": [1, 2]}).status_code == 500


def test_non_json_content_type_is_a_415(client):
    resp = client.post("/classify", data="seniority=3", content_type="text/plain")
    assert resp.status_code == 415


def test_malformed_json_is_a_400_html_page(client):
    resp = client.post("/classify", data="{not json", content_type="application/json")
    assert resp.status_code == 400
    assert resp.mimetype == "text/html"  # not the JSON contract


def test_empty_body_is_a_400(client):
    resp = client.post("/classify", data="", content_type="application/json")
    assert resp.status_code == 400


def test_json_null_is_a_500(client):
    resp = client.post("/classify", data="null", content_type="application/json")
    assert resp.status_code == 500
