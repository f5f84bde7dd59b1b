"""The service as written from the docs (bento_app/service_docs.py, the ladder's first step) as
a real server (one process per BentoML service: two in one process collide in Prometheus's
registry): the same contract as the landed service, and the debug-only delay make hung needs."""

import time

import httpx
import pytest

from loadtests.core import profiles
from loadtests.harness.servers import running
from shared.predictor import DEBUG_DELAY_HEADER
from shared.schema import SAMPLE_APPLICATION

pytestmark = pytest.mark.servers


@pytest.fixture(scope="module")
def url(trained, imported, tmp_path_factory):
    logs = tmp_path_factory.mktemp("docs-service")
    env = {"CREDIT_DEBUG_DELAY": "true"}
    with running(
        profiles.get("bento-docs"), workers=1, env=env, log_path=logs / "bento.log", timeout=180
    ) as server:
        yield server.url


def test_the_same_contract_as_the_landed_service(url, predictor, test_rows):
    with httpx.Client(base_url=url, timeout=10) as http:
        resp = http.post("/classify", json=SAMPLE_APPLICATION)
        assert resp.status_code == 200
        assert resp.headers["X-Model-Version"] == predictor.version
        assert resp.json() == predictor.predict_one(SAMPLE_APPLICATION).to_dict()
        batch = http.post("/classify_batch", json=test_rows[:5])
        assert batch.json() == [predictor.predict_one(r).to_dict() for r in test_rows[:5]]
        assert http.post("/classify", json={"seniority": 3}).status_code == 400
        assert http.get("/info").json()["serving"]["api_style"] == "def (thread pool)"


def test_the_debug_delay_is_applied_in_the_thread_pool_api(url):
    with httpx.Client(base_url=url, timeout=10) as http:
        start = time.perf_counter()
        resp = http.post("/classify", json=SAMPLE_APPLICATION, headers={DEBUG_DELAY_HEADER: "300"})
        assert resp.status_code == 200 and time.perf_counter() - start >= 0.3
