"""run.json must be complete: a report with a blank parameter is an error, not a table cell.

``require_complete`` checks that every required key is present and that no value anywhere is
None, an empty string or an empty mapping (lists may be empty only where listed below).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REQUIRED = (
    "run_id",
    "scenario",
    "target",
    "date",
    "wall_seconds",
    "git.sha",
    "git.dirty",
    "git.server_code_sha256",
    "git.load_code_sha256",
    "machine.cpu_model",
    "machine.cpu_count",
    "machine.python",
    "versions.locust",
    "versions.bentoml",
    "versions.flask",
    "versions.gunicorn",
    "model.version",
    "server.target",
    "server.url",
    "server.started_by_run",
    "budget.statement",
    "scenario_params.rate",
    "scenario_params.duration",
    "scenario_params.user_rate",
    "plan",
    "schedule",
    "stop_reason",
    "pool.source",
    "pool.size",
    "load_generator.cpus",
    "load_generator.processes",
    "load_generator.cpu_warning",
    "load_generator.cpu_percent_of_one_core",
    "host.load_average_before",
    "host.other_processes_cpu_percent_of_one_core",
    "server_cpu",
    "bento_batches",
    "requests",
)
REQUIRED_WHEN_STARTED = ("server.workers", "server.cpus", "server.batching", "server.validation")
MAY_BE_EMPTY_LISTS = {"load_generator.cpu_samples_percent"}


class MetadataError(ValueError):
    """A run's metadata is missing something a report would have to leave blank."""


def _get(data: Mapping[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(dotted)
        node = node[part]
    return node


def _blanks(node: Any, path: str) -> list[str]:
    if node is None or (isinstance(node, str) and not node.strip()):
        return [path]
    if isinstance(node, Mapping):
        if not node:
            return [path]
        return [b for k, v in node.items() for b in _blanks(v, f"{path}.{k}" if path else k)]
    if isinstance(node, list):
        if not node and path not in MAY_BE_EMPTY_LISTS:
            return [path]
        return [b for i, v in enumerate(node) for b in _blanks(v, f"{path}[{i}]")]
    return []


def require_complete(run: Mapping[str, Any], source: str = "run.json") -> None:
    required = list(REQUIRED)
    try:
        if _get(run, "server.started_by_run") is True:
            required += REQUIRED_WHEN_STARTED
    except KeyError:
        pass
    missing = []
    for key in required:
        try:
            _get(run, key)
        except KeyError:
            missing.append(key)
    blank = _blanks(run, "")
    if missing or blank:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if blank:
            parts.append("blank " + ", ".join(blank))
        raise MetadataError(f"{source}: " + "; ".join(parts))
