"""The published contract, fuzzed (schemathesis, from the dev lock) against the real BentoML
server: every case generated from its own /docs.json, valid and invalid, must get no server
error, a response that conforms to the document, and a valid application must be accepted.
The same generated cases then go to the Flask baseline, which publishes no contract: its
server errors and the invalid applications it scored are counted, not failed on (they are the
baseline's known gaps, docs/resiliency.md)."""

from __future__ import annotations

import httpx
import pytest

from loadtests.core import profiles
from loadtests.harness.fuzz import fuzz
from loadtests.harness.servers import running

pytestmark = [pytest.mark.servers, pytest.mark.slow]


@pytest.fixture(scope="module")
def servers(trained, imported, tmp_path_factory):
    logs = tmp_path_factory.mktemp("fuzz-logs")
    with (
        running(profiles.get("bento"), workers=1, log_path=logs / "bento.log", timeout=180) as b,
        running(profiles.get("flask"), workers=1, log_path=logs / "flask.log") as f,
    ):
        yield {"bento": b.url, "flask": f.url}


def test_bento_keeps_its_published_contract_and_flask_is_counted(servers):
    result = fuzz(servers["bento"], servers["flask"], examples=30)
    assert result["operations"] == ["POST /classify", "POST /classify_batch"]
    assert result["bento"]["positive cases"] >= 30 and result["bento"]["negative cases"] >= 30
    # no server error, every response as documented, no valid application rejected, no
    # invalid one accepted
    assert result["bento_failures"] == {}, result["bento_failure_examples"]
    # the baseline's known gaps (docs/resiliency.md): it scores invalid applications
    assert result["flask"]["invalid scored (200)"] > 0


def test_the_document_is_valid_openapi_and_honest(servers):
    doc = httpx.get(f"{servers['bento']}/docs.json", timeout=10).json()
    body = doc["paths"]["/classify"]["post"]["requestBody"]
    amount = body["content"]["application/json"]["schema"]["properties"]["amount"]
    assert amount["exclusiveMinimum"] is True and amount["minimum"] == 0  # the 3.0 form
    assert body["required"] is True
    resp = httpx.post(f"{servers['bento']}/classify", json={"seniority": 3}, timeout=10)
    assert resp.status_code == 400 and isinstance(resp.json()["detail"], list)
    detail = doc["components"]["schemas"]["InvalidArgument"]["properties"]["detail"]
    assert {"type": "array", "items": {"type": "object"}} in detail["anyOf"]
