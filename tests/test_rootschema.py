"""bento_app/rootschema.py: BentoML 1.4.40 builds a list API's JSON schema twice per request;
the workaround builds it once per class. The upstream test fails when BentoML stops doing it."""

import pytest
from _bentoml_sdk import io_models
from _bentoml_sdk.io_models import IORootModel

from bento_app import rootschema
from shared.schema import CreditApplication


class CountingAdapter(io_models.TypeAdapter):
    built = 0

    def json_schema(self, *args, **kwargs):
        CountingAdapter.built += 1
        return super().json_schema(*args, **kwargs)


@pytest.fixture
def builds(monkeypatch):
    """How many schemas BentoML's IORootModel generated (it makes a TypeAdapter per call)."""
    monkeypatch.setattr(io_models, "TypeAdapter", CountingAdapter)
    CountingAdapter.built = 0
    yield lambda: CountingAdapter.built
    rootschema.cache_root_schemas(True)  # the service's default, as the other tests expect


def test_upstream_builds_the_schema_on_every_request(builds):
    """When this fails, BentoML caches the schema itself and rootschema can go."""
    rootschema.cache_root_schemas(False)
    model = IORootModel[list[int]]
    for _ in range(3):
        model.model_validate_json(b"[1, 2]")
        assert model.mime_type() == "application/json"
    assert builds() == 6  # twice per request
    assert not rootschema.in_use()


def test_the_cache_builds_it_once_per_class_and_hands_out_copies(builds):
    rootschema.cache_root_schemas(False)
    model = IORootModel[list[CreditApplication]]
    expected = model.model_json_schema()
    rootschema.cache_root_schemas(True)
    start = builds()
    for _ in range(3):
        assert model.model_validate_json(b"[]").root == []
        assert model.mime_type() == "application/json"
    assert builds() - start == 1
    assert rootschema.in_use()
    first = model.model_json_schema()
    assert first == expected
    first["$defs"].clear()  # a caller that edits its copy does not edit the next one
    assert model.model_json_schema() == expected
    # calls with arguments (the OpenAPI document's) are BentoML's own, built each time
    before = builds()
    model.model_json_schema(ref_template="#/components/schemas/{model}")
    assert builds() == before + 1
