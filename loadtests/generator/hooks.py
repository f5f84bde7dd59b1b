"""Locust event listeners: the options, the timeline, the run's metadata (imported by the
locustfile; importing registers the listeners on locust's global ``events``).

On ``init``: locust's history is sampled every second; the payload pool is read
(``--pool-file``); a Timeline records every request, and locust workers ship theirs to the
master with each report, so distributed runs work too. At the end (``quitting``) the
master/local process writes ``--timeline-file`` and ``--meta-file``: the shape's real
schedule, the knobs, why it stopped, CPU warnings and samples.
"""

from __future__ import annotations

import json
import logging
import resource
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import locust.stats
from locust import events
from locust.runners import MasterRunner, WorkerRunner

from loadtests.core.knobs import Knobs
from loadtests.core.phases import PhaseRun
from loadtests.core.timeline import Timeline
from loadtests.generator import options
from loadtests.generator.payloads import Pool, load_pool
from shared.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

LOCUST_TUNING = {
    "history_interval_s": 1,
    "current_percentile_window_s": 2,
    "percentiles_to_chart": [0.5, 0.95, 0.99],
}
VERSION_HEADER = "X-Model-Version"


@dataclass
class RunState:
    """What one locust process knows about the run (attached to the Environment)."""

    pool: Pool
    knobs: Knobs = field(default_factory=Knobs)
    timeline: Timeline = field(default_factory=Timeline)
    scenario: str = ""
    schedule: list[PhaseRun] = field(default_factory=list)
    live: dict[str, Any] = field(default_factory=dict)  # a scenario's live bookkeeping
    stop_reason: str = ""
    cpu_samples: list[float] = field(default_factory=list)
    load_code_sha256: str = ""
    cpu_at_test_start: float = 0.0
    worker_cpu_s: dict[str, float] = field(default_factory=dict)  # per worker, since test start

    def cpu_since_test_start(self) -> float:
        return _own_cpu_seconds() - self.cpu_at_test_start

    def meta(self, runner: Any) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "knobs": self.knobs.model_dump(),
            "schedule": [e.model_dump() for e in self.schedule],
            "stop_reason": self.stop_reason,
            "pool": self.pool.describe(),
            "load_code_sha256": self.load_code_sha256,
            "locust_tuning": LOCUST_TUNING,
            "runner": type(runner).__name__ if runner else "",
            "cpu_warning": bool(
                runner and (runner.cpu_warning_emitted or runner.worker_cpu_warning_emitted)
            ),
            "cpu_samples_percent": self.cpu_samples,
            "cpu_seconds_since_test_start": round(
                self.cpu_since_test_start() + sum(self.worker_cpu_s.values()), 3
            ),
        }


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def state(environment: Any) -> RunState:
    return environment.credit_run


def _tune_locust_stats() -> None:
    locust.stats.HISTORY_STATS_INTERVAL_SEC = LOCUST_TUNING["history_interval_s"]
    locust.stats.CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW = LOCUST_TUNING[
        "current_percentile_window_s"
    ]
    locust.stats.PERCENTILES_TO_CHART[:] = LOCUST_TUNING["percentiles_to_chart"]


def loaded_code_fingerprint() -> str:
    """sha256 of every project module loaded in this process (the locustfile included)."""
    from loadtests.harness.fingerprint import files_fingerprint

    files = []
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path and Path(path).resolve().is_relative_to(PROJECT_ROOT):
            files.append(Path(path).resolve())
    return files_fingerprint(files)


def _load_pool(parsed_options: Any) -> Pool:
    path = options.file_option(parsed_options, "pool_file")
    if not path:
        raise SystemExit(
            "--pool-file is required: `python -m loadtests` writes it (make load, make locust-*)"
        )
    return load_pool(Path(path))


@events.init_command_line_parser.add_listener
def _add_arguments(parser: Any, **_: Any) -> None:
    options.add_arguments(parser)


@events.init.add_listener
def _on_init(environment: Any, **_: Any) -> None:
    _tune_locust_stats()
    if environment.host:
        log.warning("--host %s overrides the targets of every user class", environment.host)
    run = environment.credit_run = RunState(pool=_load_pool(environment.parsed_options))
    run.load_code_sha256 = loaded_code_fingerprint()
    is_worker = isinstance(environment.runner, WorkerRunner)

    def on_request(name, start_time, response_time, response=None, exception=None, **_kw):
        status = getattr(response, "status_code", 0) or 0
        headers = getattr(response, "headers", None) or {}
        run.timeline.record(
            name,
            start_time,
            response_time or 0.0,
            status,
            None if exception is None else str(exception)[:120],
            # the version that answered, for correct answers only (a failure is counted as such)
            headers.get(VERSION_HEADER) if status == 200 and exception is None else None,
        )

    def on_report_to_master(client_id: str, data: dict[str, Any], **_kw: Any) -> None:
        data["credit_timeline"] = run.timeline.drain()
        data["credit_cpu_s"] = run.cpu_since_test_start()

    def on_worker_report(client_id: str, data: dict[str, Any], **_kw: Any) -> None:
        run.timeline.merge(data.get("credit_timeline", []))
        if "credit_cpu_s" in data:
            run.worker_cpu_s[client_id] = data["credit_cpu_s"]

    def on_test_start(environment: Any, **_kw: Any) -> None:
        run.timeline.clear()  # the schedule belongs to the shape, which resets it itself
        run.cpu_samples.clear()
        run.worker_cpu_s.clear()
        run.cpu_at_test_start = _own_cpu_seconds()

    def on_usage(environment: Any, cpu_usage: float, **_kw: Any) -> None:
        run.cpu_samples.append(round(cpu_usage, 1))

    def on_quitting(environment: Any, **_kw: Any) -> None:
        if is_worker:
            return
        parsed = environment.parsed_options
        if path := options.file_option(parsed, "timeline_file"):
            run.timeline.write(Path(path))
        if path := options.file_option(parsed, "meta_file"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(json.dumps(run.meta(environment.runner), indent=2))

    environment.events.request.add_listener(on_request)
    environment.events.test_start.add_listener(on_test_start)
    environment.events.usage_monitor.add_listener(on_usage)
    environment.events.quitting.add_listener(on_quitting)
    if is_worker:
        environment.events.report_to_master.add_listener(on_report_to_master)
    else:
        environment.events.worker_report.add_listener(on_worker_report)


def is_master(environment: Any) -> bool:
    return isinstance(environment.runner, MasterRunner)
