"""The baseline: the course's module-5 Flask app, done properly but NOT hardened.

Like the course's app it does not validate input: whatever JSON arrives goes to the model.
What that does with bad input is pinned down in tests/test_flask_app.py and counted by the
bad-input load scenario; it is the gap BentoML's typed API closes. Do not "fix" it here.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, jsonify, request

from flask_app import features
from shared import gcwatch
from shared.hotswap import LivePredictor
from shared.predictor import DEBUG_DELAY_HEADER, Predictor, debug_delay
from shared.settings import get_settings


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Application factory (flaskr style). ``test_config`` may carry a ready ``PREDICTOR``."""
    app = Flask(__name__)
    app.config.from_mapping(test_config or {})
    app.json.sort_keys = False  # same key order as the BentoML response model
    settings = get_settings()
    given: Predictor | None = app.config.get("PREDICTOR")
    if settings.model_hot_swap and settings.model_version is None:
        current = LivePredictor(settings, given).get  # a new CURRENT is swapped in, no restart
    else:
        fixed = given or Predictor.from_settings(settings)
        current = lambda: fixed  # noqa: E731
    tuning = gcwatch.apply(settings)  # gc.freeze() once the model is loaded, if asked
    tuning["model_hot_swap"] = settings.model_hot_swap and settings.model_version is None
    # Off by default (the course's baseline); on for the profile that prices them.
    if settings.flask_validation:
        read_one, read_many = features.parse_one, features.parse_many
    else:  # whatever JSON arrives goes to the model, like the course's app
        read_one = read_many = lambda: request.get_json()  # noqa: E731
    if settings.flask_validation:
        features.install_validation(app)
    if settings.flask_metrics:
        features.install_metrics(app)

    def predictor() -> Predictor:
        """This request's model: the same one for its body and its header."""
        if "predictor" not in g:
            g.predictor = current()
        return g.predictor

    @app.after_request
    def model_version_header(response):
        response.headers["X-Model-Version"] = predictor().version
        return response

    @app.post("/classify")
    def classify():
        if settings.debug_delay:
            debug_delay(request.headers.get(DEBUG_DELAY_HEADER))
        application = read_one()
        return jsonify(predictor().predict_one(application).to_dict())

    @app.post("/classify_batch")
    def classify_batch():
        applications = read_many()
        return jsonify([p.to_dict() for p in predictor().predict_many(applications)])

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok", model_version=predictor().version)

    @app.get("/info")
    def info():
        return jsonify({**predictor().info(), "serving": {**serving(), **tuning}})

    return app


def serving() -> dict[str, Any]:
    """How this server runs, from its own gunicorn configuration (published at GET /info)."""
    from flask_app import gunicorn_conf as conf
    from flask_app import linger

    settings = get_settings()
    return {
        "server": "gunicorn + Flask",
        "worker_class": conf.worker_class,
        "workers": conf.workers,
        "threads_per_worker": getattr(conf, "threads", 1) or 1,
        "timeout_s": conf.timeout,
        "keepalive_s": conf.keepalive,
        "access_log": bool(conf.accesslog),
        "validation": (
            "pydantic, strict, extra=forbid (shared.schema.CreditApplication)"
            if settings.flask_validation
            else "none (the course's baseline)"
        ),
        "metrics": settings.flask_metrics,
        "close": (
            "without waiting for the client (flask_app.linger)"
            if linger.in_use()
            else "gunicorn's: waits for the client's FIN, up to 2 s"
        ),
        "batching": "none: /classify_batch scores each request's list on its own",
    }
