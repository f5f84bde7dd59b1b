"""One typed settings object, read from environment variables (prefix ``CREDIT_``).

Every command (training, both servers, the load tests) reads its knobs from here; the
Makefile's ``?=`` variables are exported as these variables.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# The course's dataset: gastonstat/CreditScoring on GitHub (see README "Where things live").
DATA_URL = "https://github.com/gastonstat/CreditScoring/raw/master/CreditScoring.csv"
DATA_SHA256 = "b42d4fb62b3c1e3428b295d1f152e71ec79e003f86cfa23d7ddb1fc7ea1f624f"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CREDIT_", extra="ignore", frozen=True)

    # --- data -----------------------------------------------------------------------------
    data: Path | None = Field(
        default=None, description="Use this CSV instead of the cached course dataset."
    )
    data_dir: Path = Field(default=PROJECT_ROOT / "data", description="Git-ignored data cache.")
    data_url: str = DATA_URL
    data_sha256: str = DATA_SHA256
    offline: bool = Field(default=False, description="Never try to download the dataset.")

    # --- model artifact -------------------------------------------------------------------
    model_dir: Path = Field(default=PROJECT_ROOT / "models", description="Artifacts by version.")
    model_name: str = "credit_risk_model"
    model_version: str | None = Field(
        default=None,
        description="Artifact version to serve; empty means the one recorded by the last "
        "`make train` in <model_dir>/CURRENT.",
    )

    # --- servers --------------------------------------------------------------------------
    host: str = "0.0.0.0"
    flask_port: int = 9696
    flask_workers: int = Field(default=2, ge=1)
    flask_timeout: int = Field(default=30, ge=1, description="gunicorn worker timeout (s)")
    flask_graceful_timeout: int = Field(default=30, ge=1)
    bento_port: int = 3000
    bento_workers: int = Field(default=2, ge=1)
    bento_timeout: int = Field(default=30, ge=1, description="request timeout (s) -> 504")
    bento_max_concurrency: int = Field(
        default=256, ge=1, description="in-flight requests per worker before 429"
    )
    # --- serving choices (the tuning ladder, docs/performance.md) ----------------------------
    bento_service: str = Field(
        default="bento_app.service:CreditRiskClassifier",
        description="the service `bentoml serve` runs (bento_app.service_docs: as from the docs)",
    )
    bento_loop: Literal["auto", "asyncio", "uvloop"] = Field(
        default="auto", description="uvicorn's event loop (auto: uvloop when installed)"
    )
    bento_http: Literal["auto", "h11", "httptools"] = Field(
        default="auto", description="uvicorn's HTTP parser (auto: httptools when installed)"
    )
    bento_timer_fix: bool = Field(
        default=True, description="cancel BentoML 1.4.40's per-request timeout timer"
    )
    bento_batch_max_size: int = Field(
        default=64, ge=1, description="adaptive batching: the most requests merged per call"
    )
    bento_batch_max_latency_ms: float = Field(
        default=50,
        gt=0,
        description="adaptive batching: BentoML's latency bound (it sheds a request predicted "
        "to wait longer); half the 100 ms p99 SLO; as landed 10 s, which never sheds",
    )
    bento_batch_wait_fix: bool = Field(
        default=True,
        description="adaptive batching: bound the wait BentoML 1.4.40 learns by half "
        "max_latency_ms (without it, an overload can leave it refusing ~all requests after)",
    )
    bento_root_schema_cache: bool = Field(
        default=True,
        description="list APIs: keep BentoML 1.4.40 from building the root model's JSON schema "
        "twice per request (~1 ms of CPU; bento_app.rootschema)",
    )
    bento_queue_deadline_ms: float = Field(
        default=0.0,
        ge=0,
        description="shed with 503 a request that waited longer in the worker's queue (0: never)",
    )
    bento_metrics: bool = Field(default=True, description="BentoML's Prometheus /metrics")
    bento_access_log: bool = Field(default=False, description="BentoML's per-request access log")
    bento_tracing: bool = Field(
        default=False,
        description="BentoML's OpenTelemetry span for every request (recorded even when none is "
        "exported: its sampler answers record-only at sample_rate 0); off: tracing.excluded_urls "
        "covers every path",
    )
    flask_validation: bool = Field(
        default=False, description="validate with shared.schema, JSON 400s (BentoML's contract)"
    )
    flask_metrics: bool = Field(default=False, description="Prometheus /metrics for Flask")
    flask_linger_fix: bool = Field(
        default=True,
        description="close each connection without waiting for the client's FIN (gunicorn >= 26 "
        "waits up to 2 s; flask_app.linger); off: gunicorn's own close, as landed",
    )
    model_cost_ms: float = Field(
        default=0.0,
        ge=0,
        description="a synthetic extra CPU cost per model call (ms): stands in for a heavier "
        "model in the batching experiments; 0 = the real model alone",
    )
    model_hot_swap: bool = Field(
        default=True,
        description="swap the model in place when models/CURRENT changes (no worker restart)",
    )
    model_swap_check_s: float = Field(
        default=1.0, gt=0, description="how often a worker looks at models/CURRENT (s)"
    )
    debug_delay: bool = Field(
        default=False,
        description="DEBUG ONLY: a /classify request with X-Debug-Delay-Ms burns that much CPU "
        "first (a hung request, for the resiliency tests); never on in production",
    )
    gc_freeze: bool = Field(
        default=True, description="gc.freeze() in each worker once the model is loaded"
    )
    gc_log_dir: Path | None = Field(
        default=None, description="diagnosis: each worker writes its GC pauses here"
    )

    @field_validator("model_version", "data", "gc_log_dir", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once, on first use, never at import time)."""
    return Settings()
