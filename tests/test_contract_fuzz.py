"""The published contract, fuzzed (schemathesis, from the dev lock) against the real BentoML
server: every case generated from its own /docs.json, valid and invalid, must get no server
error, a response that conforms to the document, and a valid application must be accepted.
The same generated cases then go to the Flask baseline, which publishes no contract: its
server errors and the invalid applications it scored are counted, not failed on (they are the
baseline's known gaps, docs/resiliency.md)."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from loadtests.core import profiles
from loadtests.harness.servers import running

pytestmark = [pytest.mark.servers, pytest.mark.slow]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    positive_data_acceptance,
    negative_data_rejection,
]
FLASK_SEEN: dict[str, int] = {"cases": 0, "5xx": 0, "invalid scored": 0}


@pytest.fixture(scope="module")
def servers(trained, imported, tmp_path_factory):
    logs = tmp_path_factory.mktemp("fuzz-logs")
    with (
        running(profiles.get("bento"), workers=1, log_path=logs / "bento.log", timeout=180) as b,
        running(profiles.get("flask"), workers=1, log_path=logs / "flask.log") as f,
    ):
        yield {"bento": b.url, "flask": f.url}


@pytest.fixture(scope="module")
def contract(servers):
    # loading validates the document: an invalid OpenAPI 3.0 document fails here
    loaded = schemathesis.openapi.from_url(f"{servers['bento']}/docs.json")
    return loaded.include(path_regex=r"^/classify")


schema = schemathesis.pytest.from_fixture("contract")


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_bento_keeps_its_published_contract(case, servers):
    case.call_and_validate(base_url=servers["bento"], checks=CHECKS)
    # the same case against the baseline: counted, not failed on
    flask = case.call(base_url=servers["flask"])
    FLASK_SEEN["cases"] += 1
    FLASK_SEEN["5xx"] += flask.status_code >= 500
    bento = httpx.request(
        case.method, servers["bento"] + case.formatted_path, json=case.body, timeout=10
    )
    FLASK_SEEN["invalid scored"] += flask.status_code == 200 and bento.status_code == 400


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
