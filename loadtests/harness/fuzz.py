"""Contract fuzzing (make fuzz; tests/test_contract_fuzz.py runs a short version): cases drawn
by schemathesis from BentoML's own /docs.json, valid ("positive") and invalid ("negative"),
sent to the BentoML server, every response checked against the document; the same cases sent
to the Flask baseline, which publishes no contract, and counted: its server errors, and the
invalid applications it scored with a 200.

schemathesis' pytest integration reads a private pytest attribute that pytest 9 no longer has,
so the cases are drawn here with hypothesis directly.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from loadtests.harness.machine import machine_info, now_iso, versions

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    positive_data_acceptance,
    negative_data_rejection,
]
PATHS = r"^/classify"


def fuzz(bento_url: str, flask_url: str, examples: int = 100) -> dict[str, Any]:
    """Outcomes per server; BentoML's failures by kind (with a curl to reproduce a few)."""
    schema = schemathesis.openapi.from_url(f"{bento_url}/docs.json").include(path_regex=PATHS)
    operations = [result.ok() for result in schema.get_all_operations()]
    bento: Counter = Counter()
    flask: Counter = Counter()
    examples_of: dict[str, str] = {}

    def send(mode: GenerationMode):
        def one(case) -> None:
            bento[f"{mode.value} cases"] += 1
            response = case.call(base_url=bento_url)
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as group:
                for failure in group.exceptions:
                    kind = type(failure).__name__
                    bento[kind] += 1
                    examples_of.setdefault(kind, case.as_curl_command())
            other = case.call(base_url=flask_url)
            flask[f"{mode.value} cases"] += 1
            flask["5xx"] += other.status_code >= 500
            if mode == GenerationMode.NEGATIVE and response.status_code == 400:
                flask["invalid scored (200)"] += other.status_code == 200

        return one

    options = settings(
        max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck),
        database=None,
    )  # fmt: skip
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)
            options(given(case=strategy)(send(mode)))()
    kinds = sorted(k for k in bento if not k.endswith(" cases"))
    return {
        "operations": sorted(op.label for op in operations),
        "examples_per_operation_and_mode": examples,
        "bento": dict(bento),
        "bento_failures": {k: bento[k] for k in kinds},
        "bento_failure_examples": examples_of,
        "flask": dict(flask),
    }


def write_report(result: dict[str, Any], out: Path) -> Path:
    """report.md (a table per server, the failing kinds with a curl each) and summary.json."""
    out.mkdir(parents=True, exist_ok=True)
    facts = {"machine": machine_info().model_dump(), "versions": versions(), "when": now_iso()}
    (out / "summary.json").write_text(json.dumps({**result, **facts}, indent=2) + "\n")
    bento, flask = result["bento"], result["flask"]
    lines = [
        "# Contract fuzzing: BentoML's published document vs the Flask baseline",
        "",
        f"{facts['when']}; schemathesis {facts['versions'].get('schemathesis', '?')}, "
        f"bentoml {facts['versions'].get('bentoml', '?')}; operations "
        f"{', '.join(result['operations'])}; up to {result['examples_per_operation_and_mode']}"
        " cases per operation and mode (positive: valid by the document; negative: invalid).",
        "",
        "| | positive cases | negative cases | failures / counted gaps |",
        "|---|---:|---:|---|",
        f"| BentoML (checked against its /docs.json) | {bento.get('positive cases', 0)} | "
        f"{bento.get('negative cases', 0)} | "
        + (", ".join(f"{k}: {v}" for k, v in result["bento_failures"].items()) or "none")
        + " |",
        f"| Flask (no document; same cases) | {flask.get('positive cases', 0)} | "
        f"{flask.get('negative cases', 0)} | server errors: {flask.get('5xx', 0)}, invalid "
        f"applications scored with a 200: {flask.get('invalid scored (200)', 0)} |",
        "",
    ]
    for kind, curl in result["bento_failure_examples"].items():
        lines += [f"`{kind}`, reproduce with:", "", "```", curl, "```", ""]
    (out / "report.md").write_text("\n".join(lines))
    return out / "report.md"
