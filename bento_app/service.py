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
- the serving choices BentoML has no setting for (event loop, HTTP parser, the timeout-timer
  fix, gc.freeze after the model is loaded) come from shared.settings: bento_app.tuning,
  shared.gcwatch. bento_app.service_docs is the same service as a student writes it from the
  docs (sync def, defaults), the first step of the tuning ladder (docs/performance.md).
"""

from __future__ import annotations

import bentoml

from bento_app.common import (
    MODEL_VERSION_HEADER,
    ModelVersionHeader,
    info_app,
    load_predictor,
    worker_setup,
)
from bento_app.model_ref import model_tag
from shared.predictor import DEBUG_DELAY_HEADER, debug_delay
from shared.schema import ClassifyResponse, CreditApplication
from shared.settings import get_settings

# In each `bentoml serve` worker, before it builds its uvicorn server (bento_app.tuning).
TUNING = worker_setup()
# The adaptive batching bounds are arguments of the API's decorator: read when the class is.
BATCHING = get_settings()  # (and the debug-only delay switch)


@bentoml.asgi_app(info_app(lambda: CreditRiskClassifier), path="/", name="info")
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
        # verifies the sha256 before unpickling; then gc.freeze() if the settings say so
        self.current, gc_facts = load_predictor(self.model)  # current(): this request's model
        self.tuning = {**TUNING, **gc_facts}

    @bentoml.api(route="/classify")
    async def classify(
        self, application: CreditApplication, /, ctx: bentoml.Context
    ) -> ClassifyResponse:
        """Score one application (the course's flat JSON body)."""
        if BATCHING.debug_delay:
            debug_delay(ctx.request.headers.get(DEBUG_DELAY_HEADER))
        predictor = self.current()
        ctx.response.headers[MODEL_VERSION_HEADER] = predictor.version
        return ClassifyResponse(**predictor.predict_one(application.model_dump()).to_dict())

    @bentoml.api(
        route="/classify_batch",
        batchable=True,
        max_batch_size=BATCHING.bento_batch_max_size,
        max_latency_ms=BATCHING.bento_batch_max_latency_ms,
    )
    async def classify_batch(
        self, applications: list[CreditApplication], /
    ) -> list[ClassifyResponse]:
        """Score a JSON list of applications; concurrent calls are merged (adaptive batching)."""
        predictions = self.current().predict_many(a.model_dump() for a in applications)
        return [ClassifyResponse(**p.to_dict()) for p in predictions]


CreditRiskClassifier.add_asgi_middleware(
    ModelVersionHeader, version=CreditRiskClassifier.inner.model.tag.version
)
