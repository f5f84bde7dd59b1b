"""A list API without a JSON schema built per request: BentoML 1.4.40's root models, cached.

An API whose input or output is a bare list (``/classify_batch``: ``list[CreditApplication]`` in,
``list[ClassifyResponse]`` out) is wrapped in an ``IORootModel``. For every request BentoML asks
that model for its JSON schema twice, only to read its ``type``: parsing the body
(``IORootModel.model_validate_json``) and choosing the response's media type
(``IOMixin.mime_type``). ``IORootModel.model_json_schema`` builds a new pydantic ``TypeAdapter``
and generates the whole schema each time: ~0.57 ms per call for our list of applications, over
1 ms of CPU per request, more than the rest of the batch path (docs/performance.md, section 4;
docs/upstream-bentoml-root-model-schema.md).

The fix memoizes the schema of a call without arguments per class (the only kind those two make;
a class's schema does not change) and hands out a deep copy, so a caller that edits it edits its
own. Calls with arguments (the OpenAPI document's) still go to BentoML.
"""

from __future__ import annotations

import copy
from typing import Any

_ORIGINAL: Any = None
_CACHE: dict[type, dict[str, Any]] = {}


def cache_root_schemas(enabled: bool) -> None:
    """Install (or remove) the memoized ``IORootModel.model_json_schema``."""
    global _ORIGINAL
    from _bentoml_sdk.io_models import IORootModel

    if _ORIGINAL is None:
        _ORIGINAL = IORootModel.__dict__["model_json_schema"]
    if not enabled:
        IORootModel.model_json_schema = _ORIGINAL
        return
    build = _ORIGINAL.__func__

    def model_json_schema(cls: type, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args or kwargs:
            return build(cls, *args, **kwargs)
        if cls not in _CACHE:
            _CACHE[cls] = build(cls)
        return copy.deepcopy(_CACHE[cls])

    IORootModel.model_json_schema = classmethod(model_json_schema)


def in_use() -> bool:
    from _bentoml_sdk.io_models import IORootModel

    return _ORIGINAL is not None and IORootModel.__dict__["model_json_schema"] is not _ORIGINAL
