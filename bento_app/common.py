"""What the BentoML services share: loading the model, GET /info, the version header, and the
serving choices applied in each worker (bento_app.tuning, shared.gcwatch)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bentoml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bento_app import batching, contract, tuning
from bento_app.model_ref import artifact_file
from shared import gcwatch
from shared.hotswap import LivePredictor
from shared.predictor import Predictor
from shared.settings import get_settings

MODEL_VERSION_HEADER = "X-Model-Version"


def worker_setup() -> dict[str, Any]:
    """The serving choices BentoML has no setting for (see bento_app.tuning), and the
    workarounds that keep BentoML to its published contract (bento_app.contract)."""
    contract.install()
    return tuning.apply(get_settings())


def load_predictor(model: bentoml.Model) -> tuple[Callable[[], Predictor], dict[str, Any]]:
    """The Predictor from the store's copy of the artifact (checksum verified), then the
    garbage-collection choices, once the model is in memory. Returns a callable giving the
    Predictor for a request (with ``model_hot_swap``, the version models/CURRENT names, swapped
    in place: shared.hotswap) and facts for /info."""
    settings = get_settings()
    path = Path(model.path_of(artifact_file(model.tag)))
    predictor = Predictor.from_artifact(path, settings.model_cost_ms)
    if predictor.version != model.tag.version:
        raise RuntimeError(f"store model {model.tag} holds artifact version {predictor.version}")
    swap = settings.model_hot_swap and settings.model_version is None
    current = LivePredictor(settings, predictor).get if swap else (lambda: predictor)
    return current, {**gcwatch.apply(settings), "model_hot_swap": swap}


def serving(service: Any, instance: Any) -> dict[str, Any]:
    """How this server runs (published at GET /info), from its settings and its own code."""
    settings = get_settings()
    batch = service.apis["classify_batch"]
    is_async = inspect.iscoroutinefunction(service.apis["classify"].func)
    return {
        "server": "bentoml serve (uvicorn)",
        "service": settings.bento_service,
        "workers": settings.bento_workers,
        "api_style": "async def (event loop)" if is_async else "def (thread pool)",
        "traffic_timeout_s": settings.bento_timeout,
        "max_concurrency": settings.bento_max_concurrency,
        "access_log": settings.bento_access_log,
        "metrics": settings.bento_metrics,
        "tracing": settings.bento_tracing,
        "validation": "pydantic, strict, extra=forbid (shared.schema.CreditApplication)",
        "batching": f"adaptive on /classify_batch: max_batch_size={batch.max_batch_size}, "
        f"max_latency_ms={batch.max_latency_ms}; /classify not batched",
        **getattr(instance, "tuning", {}),
        **tuning.in_use(),
    }


def info_app(service: Callable[[], Any]) -> Starlette:
    """GET /info beside the generated routes (BentoML APIs are POST-only). BentoML mounts apps
    "passively": this one only answers paths its own routes match."""

    async def _info(request: Request) -> JSONResponse:
        instance = bentoml.get_current_service()
        return JSONResponse(
            {
                **instance.current().info(),
                "serving": serving(service(), instance),
                "batching_optimizers": batching.learned(),
            }
        )

    return Starlette(routes=[Route("/info", _info, methods=["GET"])])


class ModelVersionHeader:
    """ASGI middleware: every HTTP response says which model version answered."""

    NAME = MODEL_VERSION_HEADER.lower().encode()

    def __init__(self, app, version: str) -> None:
        self.app = app
        self.version = version  # the model the worker started with

    def current(self) -> bytes:
        """The version answering now (a hot swap may have replaced the start-up one)."""
        try:
            return bentoml.get_current_service().current().version.encode()
        except Exception:  # no service instance yet (start-up, health probes)
            return self.version.encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_header(message):
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                # an API response names the version that answered (set by the API itself)
                if not any(name.lower() == self.NAME for name, _ in headers):
                    message = {**message, "headers": [*headers, (self.NAME, self.current())]}
            await send(message)

        return await self.app(scope, receive, send_with_header)
