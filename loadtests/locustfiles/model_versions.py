"""Listener: record which model version answered every request (for rollouts).

    locust -f ...,loadtests/locustfiles/model_versions.py --versions-file out.json

Writes one row per request: start time, request name, X-Model-Version (or null), ok, latency,
and for a failed request what failed (the user classes' failure text, e.g. "no response
(HTTPConnectionClosed)").
Records nothing unless --versions-file is given; local runs only (a rollout has one
load generator).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from locust import events
from locust.runners import MasterRunner, WorkerRunner


@events.init_command_line_parser.add_listener
def _add_arguments(parser: Any, **_: Any) -> None:
    parser.add_argument(
        "--versions-file",
        default="",
        include_in_web_ui=False,
        help="write the X-Model-Version of every response here (JSON)",
    )


@events.init.add_listener
def _on_init(environment: Any, **_: Any) -> None:
    path = getattr(environment.parsed_options, "versions_file", "")
    if not path:
        return
    if isinstance(environment.runner, MasterRunner | WorkerRunner):
        raise RuntimeError("--versions-file records in a single locust process only")
    rows: list[list[Any]] = []

    def on_request(name, start_time, response_time, response=None, exception=None, **_kw):
        headers = getattr(response, "headers", None) or {}
        version = headers.get("X-Model-Version") or headers.get("x-model-version")
        ok = exception is None
        rows.append(
            [
                round(start_time, 4),
                name,
                version,
                ok,
                round(response_time or 0, 2),
                None if ok else str(exception)[:120],
            ]
        )

    def on_test_start(**_kw: Any) -> None:
        rows.clear()

    def on_quitting(**_kw: Any) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(
            json.dumps({"columns": ["t", "name", "version", "ok", "ms", "error"], "rows": rows})
        )

    environment.events.request.add_listener(on_request)
    environment.events.test_start.add_listener(on_test_start)
    environment.events.quitting.add_listener(on_quitting)
