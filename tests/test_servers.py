"""Real servers: gunicorn and `bentoml serve` as subprocesses on free ports, as `make flask`
and `make bento` start them. One contract: same answers, same headers, to 1e-6."""

import httpx
import pytest

from loadtests.core import profiles
from loadtests.harness.servers import running
from shared.schema import SAMPLE_APPLICATION

pytestmark = pytest.mark.servers


@pytest.fixture(scope="module")
def servers(trained, imported, tmp_path_factory):
    logs = tmp_path_factory.mktemp("server-logs") / "not-yet"  # start() makes the folder
    with (
        running(profiles.get("flask"), workers=2, log_path=logs / "flask.log") as flask,
        running(
            profiles.get("bento"), workers=2, log_path=logs / "bento.log", timeout=180
        ) as bento,
    ):
        yield {"flask": flask.url, "bento": bento.url}


@pytest.fixture(scope="module")
def http():
    with httpx.Client(timeout=10) as client:
        yield client


def test_course_sample_same_answer_on_both(servers, http, predictor):
    answers = {}
    for name, url in servers.items():
        resp = http.post(f"{url}/classify", json=SAMPLE_APPLICATION)
        assert resp.status_code == 200, name
        assert resp.headers["x-model-version"] == predictor.version
        assert resp.headers["content-type"].startswith("application/json")
        answers[name] = resp.json()
    assert (
        answers["flask"] == answers["bento"] == predictor.predict_one(SAMPLE_APPLICATION).to_dict()
    )


def test_200_real_test_rows_identical(servers, http, test_rows):
    rows = test_rows[:200]
    got = {
        name: [http.post(f"{url}/classify", json=r).json() for r in rows]
        for name, url in servers.items()
    }
    for a, b in zip(got["flask"], got["bento"], strict=True):
        assert abs(a["default_probability"] - b["default_probability"]) < 1e-6
        assert a["status"] == b["status"]
        assert a["model_version"] == b["model_version"]


def test_batch_endpoints_agree_with_single_calls(servers, http, test_rows):
    rows = test_rows[200:260]
    for url in servers.values():
        batch = http.post(f"{url}/classify_batch", json=rows)
        assert batch.status_code == 200
        singles = [http.post(f"{url}/classify", json=r).json() for r in rows]
        assert len(batch.json()) == len(rows)
        for a, b in zip(batch.json(), singles, strict=True):
            assert abs(a["default_probability"] - b["default_probability"]) < 1e-6
            assert a["status"] == b["status"]


def test_health_and_info_endpoints(servers, http, predictor, data_source):
    assert http.get(f"{servers['flask']}/healthz").status_code == 200
    assert http.get(f"{servers['bento']}/readyz").status_code == 200
    assert http.get(f"{servers['bento']}/livez").status_code == 200
    for url in servers.values():
        info = http.get(f"{url}/info").json()
        assert info["version"] == predictor.version
        assert info["data"]["source"] == data_source
        # each server describes how it runs; the load tests record this with every run
        assert info["serving"]["workers"] == 2
        assert info["serving"]["access_log"] is False
    flask = http.get(f"{servers['flask']}/info").json()["serving"]
    bento = http.get(f"{servers['bento']}/info").json()["serving"]
    assert (flask["worker_class"], flask["validation"]) == ("sync", "none (the course's baseline)")
    assert bento["batching"].startswith("adaptive on /classify_batch: max_batch_size=64")
    assert bento["api_style"].startswith("async def")
    # BentoML's span per request (tracing on in this profile) is what its request id is
    resp = http.post(f"{servers['bento']}/classify", json=SAMPLE_APPLICATION)
    assert len(resp.headers["x-bentoml-request-id"]) >= 8 and bento["tracing"] is True
    # the "bento" profile pins the as-landed serving stack, and the worker really runs it
    assert (bento["event_loop_in_use"], bento["http_protocol_in_use"]) == ("asyncio", "H11Protocol")


def test_bento_metrics_count_requests(servers, http):
    http.post(f"{servers['bento']}/classify", json=SAMPLE_APPLICATION)
    metrics = http.get(f"{servers['bento']}/metrics")
    assert metrics.status_code == 200
    assert "bentoml_service_request_total" in metrics.text
    assert 'endpoint="/classify"' in metrics.text


BAD = {
    "missing-fields": {"seniority": 3},
    "wrong-type": {**SAMPLE_APPLICATION, "income": "lots"},
    "unknown-category": {**SAMPLE_APPLICATION, "home": "castle"},
    "negative-amount": {**SAMPLE_APPLICATION, "amount": -800},
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_bento_400_flask_200(servers, http, case):
    bento = http.post(f"{servers['bento']}/classify", json=BAD[case])
    assert bento.status_code == 400
    assert bento.json()["detail"]
    flask = http.post(f"{servers['flask']}/classify", json=BAD[case])
    assert flask.status_code == 200  # the baseline scores an invalid application
    assert flask.json()["status"] in {"APPROVED", "MAYBE", "DECLINED"}


def test_non_json_and_lists(servers, http):
    flask, bento = f"{servers['flask']}/classify", f"{servers['bento']}/classify"
    text = {"Content-Type": "text/plain"}
    assert http.post(flask, content="x", headers=text).status_code == 415
    assert http.post(bento, content="x", headers=text).status_code == 400
    assert http.post(flask, json=[SAMPLE_APPLICATION]).status_code == 500
    assert http.post(bento, json=[SAMPLE_APPLICATION]).status_code == 400
