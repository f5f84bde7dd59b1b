"""BentoML 1.4.40 publishes an OpenAPI document (GET /docs.json) that its own server does not
honour, and that is not valid OpenAPI 3.0 (docs/upstream-bentoml-openapi.md). Three fixes,
applied to the document the server publishes, never to what it accepts:

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
    """Serve the fixed document at /docs.json (and the Swagger UI that reads it)."""
    from _bentoml_impl.server.app import ServiceAppFactory
    from starlette.responses import JSONResponse

    if getattr(ServiceAppFactory, "_credit_openapi_fixed", False):
        return
    original = ServiceAppFactory.openapi_spec_view

    async def openapi_spec_view(self, req):
        response = await original(self, req)
        if response.status_code != 200:
            return response
        return JSONResponse(fix(self.service.openapi_spec.asdict()))

    ServiceAppFactory.openapi_spec_view = openapi_spec_view
    ServiceAppFactory._credit_openapi_fixed = True
