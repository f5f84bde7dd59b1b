"""The scenario knobs as locust command-line arguments (also editable in the web UI).

Every knob of loadtests.plans.Params becomes ``--<name>`` (``--rate``, ``--duration``,
``--user-rate``, ...), default empty = the scenario's default. Output files are arguments too,
hidden from the web UI. No locust import here: ``add_arguments`` gets locust's parser.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from loadtests.plans import KNOBS, Params

HELP = {
    "rate": "requests/s per target (capacity: first step; spike: baseline; batch: applications/s)",
    "duration": "seconds: steady/bad_input hold, capacity step, spike total, batch per path",
    "user_rate": "requests/s of each simulated user (users = rate / user_rate)",
    "warmup": "unmeasured seconds at the first rate",
    "settle": "seconds at the start of each measured phase that are not counted",
    "max_rate": "capacity: highest step (req/s)",
    "step_factor": "capacity: rate multiplier between steps",
    "stop_after": "capacity: stop after this many consecutive steps break the SLO",
    "spike_factor": "spike: burst rate = factor x rate",
    "batch_size": "batch: applications per /classify_batch request",
    "invalid_share": "bad_input: share of invalid requests (0..1)",
    "slo_p99_ms": "SLO: p99 latency limit (ms)",
    "slo_error_pct": "SLO: error limit (%)",
    "min_achieved": "a rate is sustained only if this share of it was really sent",
}
FILES = {
    "timeline_file": "write the per-second timeline (JSON) here at the end",
    "meta_file": "write the run's schedule, parameters and CPU warnings (JSON) here at the end",
    "pool_file": "payload pool (JSON) written by loadtests.run; built from the data if empty",
}


def add_arguments(parser: Any) -> None:
    defaults = {f.name: f.default for f in fields(Params)}
    for name in KNOBS:
        default = defaults.get(name)
        shown = "" if default is None or not isinstance(default, int | float) else default
        parser.add_argument(
            "--" + name.replace("_", "-"),
            default="",
            help=HELP[name] + (f" [base default {shown}]" if shown != "" else ""),
        )
    for name, text in FILES.items():
        parser.add_argument(
            "--" + name.replace("_", "-"), default="", help=text, include_in_web_ui=False
        )


def knob_values(parsed_options: Any) -> dict[str, Any]:
    """The knobs that were set (command line or web UI form), unconverted."""
    values = {}
    for name in KNOBS:
        value = getattr(parsed_options, name, None) if parsed_options is not None else None
        if value not in (None, ""):
            values[name] = value
    return values


def file_option(parsed_options: Any, name: str) -> str:
    if name not in FILES:
        raise ValueError(f"unknown file option {name!r}")
    return str(getattr(parsed_options, name, "") or "") if parsed_options is not None else ""
