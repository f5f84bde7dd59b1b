"""Where BentoML 1.4.40 breaks the contract it publishes, and the workarounds
(docs/upstream-bentoml-openapi.md); found by fuzzing the real server (tests/test_contract_fuzz.py).

Malformed JSON sent to an API whose input is a list (``/classify_batch``) is answered 500: the
root-model path parses the body with ``json.loads`` and lets its JSONDecodeError (or the
UnicodeDecodeError of a non-UTF-8 body) escape. ``install()`` turns it into the same
validation error (``json_invalid``) an object input gets, so the client gets the documented 400.

The OpenAPI document (GET /docs.json) is not valid OpenAPI 3.0 and does not match the server.
Three fixes, applied to the document the server publishes, never to what it accepts:

- It labels the document OpenAPI 3.0.2 but copies pydantic's JSON Schema 2020-12 bounds, where
  ``gt=0`` becomes ``"exclusiveMinimum": 0``; OpenAPI 3.0 wants ``"minimum": 0,
  "exclusiveMinimum": true``. A 3.0 client or fuzzer rejects the whole document.
- Its 400 response (``InvalidArgument``) documents ``detail`` as a string; a validation error
  sends a list of objects (type, loc, msg).
- A JSON request body is not marked ``required``, yet an empty body is answered 400.

It also drops the non-standard ``root_input`` keyword BentoML leaves in a schema.
"""

from __future__ import annotations

from typing import Any

DETAIL = {
    "title": "Error Detail",
    "anyOf": [
        {"type": "string"},
        {"type": "array", "items": {"type": "object"}},
    ],
}


def _fix_schema(node: Any) -> None:
    if isinstance(node, dict):
        for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            value = node.get(bound)
            if isinstance(value, int | float) and not isinstance(value, bool):
                node[plain] = value
                node[bound] = True
        node.pop("root_input", None)
        for child in node.values():
            _fix_schema(child)
    elif isinstance(node, list):
        for child in node:
            _fix_schema(child)


def fix(spec: dict[str, Any]) -> dict[str, Any]:
    """The published document, made valid OpenAPI 3.0 and true to what the server does."""
    _fix_schema(spec)
    invalid = spec.get("components", {}).get("schemas", {}).get("InvalidArgument")
    if invalid and "detail" in invalid.get("properties", {}):
        invalid["properties"]["detail"] = DETAIL
    for path in spec.get("paths", {}).values():
        for operation in path.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if body and "application/json" in body.get("content", {}):
                body["required"] = True
    return spec


def install() -> None:
    """Serve the fixed document at /docs.json (and the Swagger UI that reads it), and answer
    malformed JSON for a list input with a 400."""
    from _bentoml_impl.server.app import ServiceAppFactory
    from starlette.responses import JSONResponse

    if getattr(ServiceAppFactory, "_credit_openapi_fixed", False):
        return
    _fix_root_model_json()
    original = ServiceAppFactory.openapi_spec_view

    async def openapi_spec_view(self, req):
        response = await original(self, req)
        if response.status_code != 200:
            return response
        return JSONResponse(fix(self.service.openapi_spec.asdict()))

    ServiceAppFactory.openapi_spec_view = openapi_spec_view
    ServiceAppFactory._credit_openapi_fixed = True


_ORIGINAL_ROOT_VALIDATE: Any = None


def _list_model() -> Any:
    """A BentoML root (list) input model, like /classify_batch's (for the upstream check)."""
    from _bentoml_sdk.io_models import IORootModel

    return IORootModel[list[int]]


def _fix_root_model_json() -> None:
    import json

    from _bentoml_sdk.io_models import IORootModel
    from pydantic import ValidationError

    global _ORIGINAL_ROOT_VALIDATE
    original = _ORIGINAL_ROOT_VALIDATE = IORootModel.model_validate_json.__func__

    def model_validate_json(cls, json_data, **kwargs):
        try:
            return original(cls, json_data, **kwargs)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValidationError.from_exception_data(
                cls.__name__,
                [{"type": "json_invalid", "loc": (), "input": "", "ctx": {"error": str(exc)}}],
            ) from None

    IORootModel.model_validate_json = classmethod(model_validate_json)
