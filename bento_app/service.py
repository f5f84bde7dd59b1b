"""BentoML 1.4 service: the same artifact, the same Predictor, the same contract as Flask.

    bentoml serve bento_app.service:CreditRiskClassifier     (or: make bento)

Production settings, each with its reason:
- ``workers`` (default 2, from CREDIT_BENTO_WORKERS via bento_app.serve): one process per core,
  like gunicorn's; each loads the model.
- ``async def`` APIs: a prediction is ~0.2 ms of CPU, cheaper than handing it to a thread; the
  event loop stays free for I/O otherwise. (Sync APIs run in a 1-thread limiter by default.)
- ``traffic.timeout``: a request still running after this gets 504, not an open socket forever.
- ``traffic.max_concurrency``: beyond this many in-flight requests per worker, answer 429 at
  once (load shedding) instead of queueing into timeouts.
- access log off: per-request logging costs more than the prediction (gunicorn's is off too).
- classify_batch is an adaptive-batching API: concurrent requests are merged into one
  ``inplace_predict`` call (one fixed cost per batch instead of per row).
"""

from __future__ import annotations

from pathlib import Path

import bentoml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bento_app.model_ref import artifact_file, model_tag
from shared.predictor import Predictor
from shared.schema import ClassifyResponse, CreditApplication

MODEL_VERSION_HEADER = "X-Model-Version"


async def _info(request: Request) -> JSONResponse:
    service = bentoml.get_current_service()
    return JSONResponse({**service.predictor.info(), "serving": serving()})


def serving() -> dict:
    """How this server runs (published at GET /info), from its settings and its own config."""
    from shared.settings import get_settings

    settings = get_settings()
    batch = CreditRiskClassifier.apis["classify_batch"]
    return {
        "server": "bentoml serve (uvicorn)",
        "workers": settings.bento_workers,
        "api_style": "async def (event loop, no thread pool)",
        "traffic_timeout_s": settings.bento_timeout,
        "max_concurrency": settings.bento_max_concurrency,
        "access_log": CreditRiskClassifier.config["logging"]["access"]["enabled"],
        "validation": "pydantic, strict, extra=forbid (shared.schema.CreditApplication)",
        "batching": f"adaptive on /classify_batch: max_batch_size={batch.max_batch_size}, "
        f"max_latency_ms={batch.max_latency_ms}; /classify not batched",
    }


# GET /info beside the generated routes (BentoML APIs are POST-only). BentoML mounts apps
# "passively": this one only answers paths its own routes match.
info_app = Starlette(routes=[Route("/info", _info, methods=["GET"])])


class ModelVersionHeader:
    """ASGI middleware: every HTTP response says which model version answered."""

    def __init__(self, app, version: str) -> None:
        self.app = app
        self.header = (MODEL_VERSION_HEADER.lower().encode(), version.encode())

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_header(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), self.header]}
            await send(message)

        return await self.app(scope, receive, send_with_header)


@bentoml.asgi_app(info_app, path="/", name="info")
@bentoml.service(
    name="credit_risk_classifier",
    workers=2,
    traffic={"timeout": 30, "max_concurrency": 256},
    logging={"access": {"enabled": False}},
)
class CreditRiskClassifier:
    """Credit-risk scoring (ML Zoomcamp CreditScoring, DictVectorizer + XGBoost)."""

    model = bentoml.models.BentoModel(model_tag())

    def __init__(self) -> None:
        path = Path(self.model.path_of(artifact_file(self.model.tag)))
        self.predictor = Predictor.from_artifact(path)  # verifies the sha256 before unpickling
        if self.predictor.version != self.model.tag.version:
            raise RuntimeError(
                f"store model {self.model.tag} holds artifact version {self.predictor.version}"
            )

    @bentoml.api(route="/classify")
    async def classify(self, application: CreditApplication, /) -> ClassifyResponse:
        """Score one application (the course's flat JSON body)."""
        prediction = self.predictor.predict_one(application.model_dump())
        return ClassifyResponse(**prediction.to_dict())

    @bentoml.api(route="/classify_batch", batchable=True, max_batch_size=64, max_latency_ms=10_000)
    async def classify_batch(
        self, applications: list[CreditApplication], /
    ) -> list[ClassifyResponse]:
        """Score a JSON list of applications; concurrent calls are merged (adaptive batching)."""
        predictions = self.predictor.predict_many(a.model_dump() for a in applications)
        return [ClassifyResponse(**p.to_dict()) for p in predictions]


CreditRiskClassifier.add_asgi_middleware(
    ModelVersionHeader, version=CreditRiskClassifier.inner.model.tag.version
)
