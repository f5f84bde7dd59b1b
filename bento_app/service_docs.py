"""The same service as a student writes it from BentoML's docs: the first step of the tuning
ladder (docs/performance.md), kept to measure what each later step buys.

    CREDIT_BENTO_SERVICE=bento_app.service_docs:CreditRiskClassifier make bento
    (the profile loadtests/profiles/bento-docs.toml)

Differences from bento_app.service: plain ``def`` APIs (BentoML runs them in a thread pool of
``threads`` = 1 per worker), and the decorator's defaults (access log on, batching defaults).
Like the other service it honours the debug-only setting debug_delay (make hung), so a hung
request can be measured on a thread-pool API too.
The contract is the same: the course's flat JSON body, the same response, /info and the
X-Model-Version header, so one client and one set of scenarios drive both.
"""

from __future__ import annotations

import bentoml

from bento_app.common import ModelVersionHeader, info_app, load_predictor, worker_setup
from bento_app.model_ref import model_tag
from shared.predictor import DEBUG_DELAY_HEADER, debug_delay
from shared.schema import ClassifyResponse, CreditApplication
from shared.settings import get_settings

TUNING = worker_setup()


@bentoml.asgi_app(info_app(lambda: CreditRiskClassifier), path="/", name="info")
@bentoml.service(name="credit_risk_classifier")
class CreditRiskClassifier:
    model = bentoml.models.BentoModel(model_tag())

    def __init__(self) -> None:
        self.current, gc_facts = load_predictor(self.model)  # current(): this request's model
        self.tuning = {**TUNING, **gc_facts}
        self.debug_delay = get_settings().debug_delay  # make hung only; never in production

    @bentoml.api(route="/classify")
    def classify(self, application: CreditApplication, /, ctx: bentoml.Context) -> ClassifyResponse:
        if self.debug_delay:
            debug_delay(ctx.request.headers.get(DEBUG_DELAY_HEADER))
        return ClassifyResponse(**self.current().predict_one(application.model_dump()).to_dict())

    @bentoml.api(route="/classify_batch", batchable=True)
    def classify_batch(self, applications: list[CreditApplication], /) -> list[ClassifyResponse]:
        predictions = self.current().predict_many(a.model_dump() for a in applications)
        return [ClassifyResponse(**p.to_dict()) for p in predictions]


CreditRiskClassifier.add_asgi_middleware(
    ModelVersionHeader, version=CreditRiskClassifier.inner.model.tag.version
)
