"""What BentoML gives for free, added to the Flask app by hand (settings ``flask_validation``,
``flask_metrics``; the profile loadtests/profiles/flask-features.toml). Off by default: the
baseline stays the course's app, weaknesses included; this module exists to price the
features on the Flask side too (docs/performance.md).

- validation: the request body parsed and checked by ``shared.schema.CreditApplication`` (the
  BentoML service's own model), answering 400 with a JSON body of the same shape as BentoML's
  (``error`` and ``detail``), before the model sees anything.
- metrics: Prometheus request count, duration histogram and in-progress gauge per endpoint,
  in prometheus_client's multiprocess mode (one file set per gunicorn worker, as BentoML does
  for its workers), served at GET /metrics.
"""

from __future__ import annotations

import os
import time
from functools import cache
from typing import Any

from flask import Flask, Response, g, jsonify, request
from pydantic import TypeAdapter, ValidationError

from shared.schema import CreditApplication

_MANY = TypeAdapter(list[CreditApplication])


class Invalid(Exception):
    def __init__(self, exc: ValidationError) -> None:
        self.exc = exc


def parse_one() -> dict[str, Any]:
    try:
        return CreditApplication.model_validate_json(request.get_data()).model_dump()
    except ValidationError as exc:
        raise Invalid(exc) from None


def parse_many() -> list[dict[str, Any]]:
    try:
        return [a.model_dump() for a in _MANY.validate_json(request.get_data())]
    except ValidationError as exc:
        raise Invalid(exc) from None


def install_validation(app: Flask) -> None:
    @app.errorhandler(Invalid)
    def _invalid(err: Invalid):
        exc = err.exc
        detail = exc.errors(include_url=False, include_context=False, include_input=False)
        return jsonify(error=f"{exc.error_count()} validation errors", detail=detail), 400


def prepare_multiprocess_dir() -> str:
    """Called by gunicorn's master (flask_app/gunicorn_conf.py) before it forks workers."""
    import tempfile

    return os.environ.setdefault(
        "PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="credit-flask-metrics-")
    )


@cache
def _metrics() -> tuple[Any, Any, Any]:
    """The metric objects, made once per process (prometheus_client registers them globally)."""
    from prometheus_client import Counter, Gauge, Histogram

    labels = ("endpoint", "method", "http_response_code")
    return (
        Counter("flask_request_total", "requests", labels),
        Histogram("flask_request_duration_seconds", "request duration", labels),
        Gauge(
            "flask_request_in_progress", "requests in progress", ("endpoint", "method"),
            multiprocess_mode="livesum",
        ),
    )  # fmt: skip


def install_metrics(app: Flask) -> None:
    from prometheus_client import CollectorRegistry, generate_latest, multiprocess

    total, duration, in_progress = _metrics()

    @app.before_request
    def _start() -> None:
        g.metrics_start = time.perf_counter()
        in_progress.labels(request.path, request.method).inc()

    @app.after_request
    def _record(response: Response) -> Response:
        if "metrics_start" in g:
            key = (request.path, request.method, str(response.status_code))
            total.labels(*key).inc()
            duration.labels(*key).observe(time.perf_counter() - g.metrics_start)
            in_progress.labels(request.path, request.method).dec()
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        registry = CollectorRegistry()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            multiprocess.MultiProcessCollector(registry)
            return Response(generate_latest(registry), mimetype="text/plain")
        from prometheus_client import REGISTRY

        return Response(generate_latest(REGISTRY), mimetype="text/plain")
