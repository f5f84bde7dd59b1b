"""The locust command-line options of the load tests (also the web UI's "Custom parameters").

``--scenario`` picks the plan; every knob any scenario declares becomes ``--<knob>`` (empty =
the scenario's default); output files are options too, hidden from the web UI. Derived from
the knob declarations, never written out by hand. No locust import: ``add_arguments`` gets
locust's parser.
"""

from __future__ import annotations

from typing import Any

from loadtests import scenarios
from loadtests.core.knobs import declarations

FILES = {
    "timeline_file": "write the per-second timeline (JSON) here at the end",
    "meta_file": "write the run's schedule, knobs and CPU use (JSON) here at the end",
    "pool_file": "the payload pool (JSON) the harness wrote",
    "phase_file": "append a line here when a phase starts (the harness acts on it)",
}


def knob_names() -> list[str]:
    return list(declarations(s.Knobs for s in scenarios.all_scenarios()))


def add_arguments(parser: Any) -> None:
    parser.add_argument(
        "--scenario",
        default="steady",
        choices=scenarios.names(),
        help="the plan to play (its knobs below; empty = its default)",
    )
    for name, (_kind, text) in declarations(s.Knobs for s in scenarios.all_scenarios()).items():
        parser.add_argument("--" + name.replace("_", "-"), default="", help=text)
    for name, text in FILES.items():
        parser.add_argument(
            "--" + name.replace("_", "-"), default="", help=text, include_in_web_ui=False
        )


def knob_values(parsed_options: Any) -> dict[str, Any]:
    """The knobs that were set (command line or web UI form), unconverted."""
    values = {}
    for name in knob_names():
        value = getattr(parsed_options, name, None) if parsed_options is not None else None
        if value not in (None, ""):
            values[name] = value
    return values


def file_option(parsed_options: Any, name: str) -> str:
    if name not in FILES:
        raise ValueError(f"unknown file option {name!r}")
    return str(getattr(parsed_options, name, "") or "") if parsed_options is not None else ""
