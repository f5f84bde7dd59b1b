"""The production-readiness scorecard (make scorecard): the course's six properties × the Flask
baseline and BentoML, every cell a measured figure read from a published report's summary.json
(docs/results/<name>/, `python -m loadtests publish`) or a fact checked here against the
project's files, each with a link to its evidence. A missing report is an error naming the make
target that produces it, never an empty cell.

Writes docs/results/scorecard.md and the README's table between its scorecard markers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtests.reporting import markdown
from shared.settings import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "docs" / "results"
README = PROJECT_ROOT / "README.md"
START, END = "<!-- scorecard:start -->", "<!-- scorecard:end -->"

# evidence name -> (the report file in docs/results/<name>/, the make target that makes it)
SOURCES = {
    "ladder": ("report.md", "make ladder"),
    "profile": ("report.md", "make profile"),
    "crossover": ("crossover.md", "make crossover"),
    "steady": ("report.md", "make compare-all"),
    "bad_input": ("report.md", "make compare-all"),
    "rollout": ("report.md", "make rollout-compare"),
    "overload": ("report.md", "make overload"),
    "crash": ("report.md", "make crash"),
    "hung": ("report.md", "make hung"),
    "soak": ("report.md", "make soak"),
    "fuzz": ("report.md", "make fuzz"),
}


class MissingEvidence(RuntimeError):
    pass


class Evidence:
    """The published summaries, and links to them relative to where the table is written."""

    def __init__(self, results: Path = RESULTS, root: Path = PROJECT_ROOT) -> None:
        self.results = results
        self.root = root
        self._cache: dict[str, dict[str, Any]] = {}
        self.used: list[str] = []

    def summary(self, name: str) -> dict[str, Any]:
        if name not in self._cache:
            path = self.results / name / "summary.json"
            if not path.exists():
                target = SOURCES[name][1]
                raise MissingEvidence(
                    f"docs/results/{name}/summary.json is missing: run `{target}`, then "
                    f"`python -m loadtests publish reports/<its dir> {name}`"
                )
            self._cache[name] = json.loads(path.read_text())
        if name not in self.used:
            self.used.append(name)
        return self._cache[name]

    def m(self, name: str, profile: str, key: str, workers: int = 1) -> float | None:
        """The median of one number of one profile in a comparison's summary."""
        medians = self.summary(name)["medians"]
        row = medians.get(f"{profile}-w{workers}")
        if row is None:
            raise MissingEvidence(
                f"docs/results/{name}: no runs of {profile} at {workers} worker(s)"
            )
        return row.get(key)

    def total(self, name: str, profile: str, prefix: str, workers: int = 1) -> float:
        """The sum of every number under ``prefix`` (e.g. failures by kind)."""
        row = self.summary(name)["medians"].get(f"{profile}-w{workers}", {})
        return sum(v for k, v in row.items() if k.startswith(prefix))

    def link(self, name: str, base: Path) -> str:
        target = self.results / name / SOURCES[name][0]
        return f"[{name}]({_relative(target, base)})"


def _relative(target: Path, base: Path) -> str:
    import os

    return os.path.relpath(target, base).replace(os.sep, "/")


def n(value: float | None, digits: int = 0, unit: str = "") -> str:
    if value is None:
        return "none"
    return f"{value:,.{digits}f}{unit}"


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a and b else "–"


# --- checked facts -----------------------------------------------------------------------------


def pinned_packages(lock: Path) -> int:
    """Packages in a lock file, each checked to carry at least one sha256 hash."""
    text = lock.read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
    count = 0
    for block in blocks:
        head = block.split(" ", 1)[0]
        if "==" not in head:
            continue
        if "--hash=sha256:" not in block:
            raise AssertionError(f"{lock.name}: {head} has no hash")
        count += 1
    return count


def code_lines(paths: list[Path]) -> int:
    """Lines holding code: not blank, not only a comment, not part of a docstring."""
    import ast
    import io
    import tokenize

    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENDMARKER, tokenize.ENCODING}  # fmt: skip
    total = 0
    for path in paths:
        source = path.read_text()
        docs: set[int] = set()
        for node in ast.walk(ast.parse(source)):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
                value = body[0].value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    docs.update(range(body[0].lineno, (body[0].end_lineno or 0) + 1))
        lines: set[int] = set()
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type not in skip:
                lines.update(range(tok.start[0], tok.end[0] + 1))
        total += len(lines - docs)
    return total


def has_test(path: str, name: str, root: Path = PROJECT_ROOT) -> str:
    """A link-able reference to a test, checked to exist."""
    text = (root / path).read_text()
    if f"def {name}(" not in text:
        raise AssertionError(f"{path}: no test {name}")
    return f"{path}::{name}"


# --- the rows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    prop: str
    measure: str
    flask: Callable[[Evidence], str]
    bento: Callable[[Evidence], str]
    sources: tuple[str, ...]  # evidence names; or files/tests for checked facts
    headline: bool = False  # also in the README's table


def _capacity(ev: Evidence, profile: str) -> str:
    locust = ev.m("ladder", profile, "sustained_rps")
    k6 = ev.m("ladder", profile, "k6_sustained_rps")
    if not locust:  # the first step broke the SLO in most repeats (k6 then has nothing to check)
        return "the SLO broken from the first step"
    return f"{n(locust)} (k6 {n(k6) if k6 else 'none'})"


def _gc(ev: Evidence, profile: str) -> str:
    worst = ev.m("profile", profile, "gc_full_max_ms")
    over = ev.m("profile", profile, "gc_pauses_over_50ms")
    return f"{n(worst, 0, ' ms')} longest, {n(over)} over 50 ms"


def _overload(ev: Evidence, profile: str) -> str:
    share = ev.m("overload", profile, "overloads.3x.goodput_share")
    unanswered = sum(  # a client timeout, or a connection given up on (RetriesExceeded)
        ev.m("overload", profile, f"overloads.3x.failed_by_kind.{kind}") or 0
        for kind in ("client timeout", "connection error")
    )
    refused = sum(
        ev.m("overload", profile, f"overloads.3x.failed_by_kind.{code}") or 0
        for code in ("429", "503")
    )
    p99 = ev.m("overload", profile, "overloads.3x.p99_refused_ms")
    return (
        f"{n(100 * share if share is not None else None, 0, ' %')} goodput, "
        f"{n(refused)} refused (p99 {n(p99, 0, ' ms')}), {n(unanswered)} without an answer"
    )


def _crash(ev: Evidence, profile: str) -> str:
    failed = ev.total("crash", profile, "failed_by_kind.", workers=2)
    sent = ev.m("crash", profile, "after.requests", workers=2) or 0
    recovery = ev.m("crash", profile, "recovery_s", workers=2)
    pct = 100 * failed / sent if sent else None
    return f"{n(failed)} failed ({n(pct, 2, ' %')}), healthy after {n(recovery, 1, ' s')}"


def _rollout(ev: Evidence, profile: str) -> str:
    failed = ev.m("rollout", profile, "failed")
    bumps = []
    for i in range(2):
        during = ev.m("rollout", profile, f"switches.{i}.p99_during_ms")
        steady = ev.m("rollout", profile, f"switches.{i}.p99_steady_ms")
        if during and steady:
            bumps.append(during / steady)
    bump = f"p99 ×{max(bumps):.1f} of steady" if bumps else "p99 bump not measured"
    return f"{n(failed)} failed, {bump}"


def _invalid_scored(ev: Evidence, profile: str) -> str:
    from loadtests.generator.payloads import INVALID_KINDS

    scored = sum(ev.m("bad_input", profile, f"outcomes.{k}.200") or 0 for k in INVALID_KINDS)
    crashed = sum(ev.m("bad_input", profile, f"outcomes.{k}.5xx") or 0 for k in INVALID_KINDS)
    sent = sum(
        ev.total("bad_input", profile, f"outcomes.{k}.") for k in INVALID_KINDS
    )  # every outcome of every invalid kind
    return f"{n(scored)} of {n(sent)} invalid scored with a 200, {n(crashed)} answered 5xx"


def _fuzz_flask(ev: Evidence) -> str:
    f = ev.summary("fuzz")["flask"]
    return (
        f"no document; of the same cases, {f.get('invalid scored (200)', 0)} invalid scored, "
        f"{f.get('5xx', 0)} server errors"
    )


def _fuzz_bento(ev: Evidence) -> str:
    s = ev.summary("fuzz")
    cases = s["bento"].get("positive cases", 0) + s["bento"].get("negative cases", 0)
    failures = sum(s["bento_failures"].values())
    return f"OpenAPI at /docs.json; {cases} fuzzed cases, {failures} failures"


def _heavy(ev: Evidence, single: str, batched: str) -> str:
    h = ev.summary("crossover")["heavy"]
    return f"{n(h.get(single))} one per request, {n(h.get(batched))} batched"


def _soak(ev: Evidence, profile: str) -> str:
    growth = ev.m("soak", profile, "rss_growth_pct")
    ends = [v for k, v in ev.summary("soak")["medians"][f"{profile}-w1"].items()
            if k.startswith("rss_end_mb.")]  # fmt: skip
    mb = max(ends) if ends else None
    return f"{n(mb, 0, ' MB')} per worker, {n(growth, 1, ' %')} growth"


def _serving_code(kind: str) -> str:
    if kind == "flask":
        fix = PROJECT_ROOT / "flask_app" / "linger.py"
        files = [f for f in sorted((PROJECT_ROOT / "flask_app").glob("*.py")) if f != fix]
        return (
            f"{code_lines(files)} lines (app + gunicorn config + optional features) + "
            f"{code_lines([fix])} of workaround (gunicorn's close)"
        )
    app = PROJECT_ROOT / "bento_app"
    service = [app / "service.py", app / "common.py", app / "serve.py", app / "model_ref.py"]
    store = [app / "import_model.py", app / "build.py"]
    fixes = [
        app / f
        for f in (
            "tuning.py",
            "accept.py",
            "batching.py",
            "rootschema.py",
            "contract.py",
            "serve_cli.py",
        )
    ]
    return (
        f"{code_lines(service)} lines of service + {code_lines(store)} of model store and bento "
        f"build + {code_lines(fixes)} of workarounds (tuning, shedding, batching, list schemas, "
        "contract, metrics directory)"
    )


def _pins(_ev: Evidence) -> str:
    runtime = pinned_packages(PROJECT_ROOT / "requirements.lock")
    dev = pinned_packages(PROJECT_ROOT / "requirements-dev.lock")
    return f"{runtime} packages to serve ({dev} with the test and load tools), all sha256-pinned"


ROWS: tuple[Row, ...] = (
    Row("Scalability", "capacity at the SLO, 1 worker on its own core (req/s; k6 in brackets)",
        lambda ev: f"{_capacity(ev, 'flask')}; with BentoML's features "
                   f"{_capacity(ev, 'flask-features')}",
        lambda ev: f"{_capacity(ev, 'bento-docs')} as written from the docs → "
                   f"{_capacity(ev, 'bento-notrace')} as `make bento` serves it",
        ("ladder",), headline=True),
    Row("Scalability", "capacity with 2 workers (req/s; the generator shares the cores)",
        lambda ev: _capacity(ev, "flask-2w"), lambda ev: _capacity(ev, "bento-tuned-2w"),
        ("ladder",)),
    Row("Scalability", "the real heavy model, applications/s",
        lambda ev: _heavy(ev, "flask-single", "flask-client-batch") + " (client lists of 8)",
        lambda ev: _heavy(ev, "bento-single", "bento-adaptive") + " (adaptive, server-side)",
        ("crossover",), headline=True),
    Row("Operational efficiency", "server CPU per request at the ladder's fixed rate (ms)",
        lambda ev: f"{n(ev.m('ladder', 'flask', 'cpu_ms_fixed'), 2)}; with features "
                   f"{n(ev.m('ladder', 'flask-features', 'cpu_ms_fixed'), 2)}",
        lambda ev: f"{n(ev.m('ladder', 'bento-docs', 'cpu_ms_fixed'), 2)} → "
                   f"{n(ev.m('ladder', 'bento-notrace', 'cpu_ms_fixed'), 2)} as served",
        ("ladder",), headline=True),
    Row("Operational efficiency", "p99 at the ladder's fixed rate (ms)",
        lambda ev: n(ev.m("ladder", "flask", "fixed.p99_ms")),
        lambda ev: f"{n(ev.m('ladder', 'bento-docs', 'fixed.p99_ms'))} → "
                   f"{n(ev.m('ladder', 'bento-notrace', 'fixed.p99_ms'))} as served",
        ("ladder",)),
    Row("Operational efficiency", "steady 100 req/s: p50 / p99 (ms)",
        lambda ev: _steady(ev, "flask"),
        lambda ev: f"{_steady(ev, 'bento')} as landed → {_steady(ev, 'bento-notrace')} as served",
        ("steady",), headline=True),
    Row("Operational efficiency", "garbage collection under load (gen-2 pauses)",
        lambda ev: _gc(ev, "flask"),
        lambda ev: f"{_gc(ev, 'bento')} → {_gc(ev, 'bento-tuned')} tuned",
        ("profile",)),
    Row("Operational efficiency", "memory per worker after the soak",
        lambda ev: _soak(ev, "flask-tuned"), lambda ev: _soak(ev, "bento-tuned"),
        ("soak",)),
    Row("Repeatability", "dependencies",
        _pins, lambda ev: _pins(ev) + "; the bento carries the same pins",
        ("requirements.lock", "docs/pinning.md"), headline=True),
    Row("Repeatability", "from a fresh clone to serving (both at once, tested)",
        lambda ev: "`make flask`: venv, pinned install, data, training",
        lambda ev: "`make bento`: the same, plus the model store import",
        (has_test("tests/test_setup.py",
                  "test_make_flask_and_make_bento_started_together_on_a_fresh_clone"),)),
    Row("Flexibility", "the API contract, fuzzed from BentoML's own document",
        _fuzz_flask, _fuzz_bento, ("fuzz",), headline=True),
    Row("Flexibility", "change the model under load (v1 → v2 → v1, in-place swap)",
        lambda ev: _rollout(ev, "flask-swap"), lambda ev: _rollout(ev, "bento-swap"),
        ("rollout",)),
    Row("Resiliency", "3× overload for 30 s (course model + 2 ms; the same offered rate)",
        lambda ev: _overload(ev, "flask-tuned"),
        lambda ev: f"{_overload(ev, 'bento-tuned')}; with a queue deadline "
                   f"{_overload(ev, 'bento-shed')}",
        ("overload",), headline=True),
    Row("Resiliency", "SIGKILL of one of 2 workers at half load",
        lambda ev: _crash(ev, "flask-tuned"), lambda ev: _crash(ev, "bento-tuned"),
        ("crash",)),
    Row("Resiliency", "rollout by SIGHUP (worker restart)",
        lambda ev: _rollout(ev, "flask"), lambda ev: _rollout(ev, "bento"), ("rollout",)),
    Row("Resiliency", "a request slower than the timeout",
        lambda ev: _hung(ev, "flask-tuned"), lambda ev: _hung(ev, "bento-tuned"), ("hung",)),
    Row("Resiliency", "invalid applications (bad_input scenario)",
        lambda ev: _invalid_scored(ev, "flask"), lambda ev: _invalid_scored(ev, "bento-notrace"),
        ("bad_input",)),
    Row("Ease of use", "serving code in this repository",
        lambda ev: _serving_code("flask"), lambda ev: _serving_code("bento"),
        ("flask_app/", "bento_app/"), headline=True),
)  # fmt: skip


def _steady(ev: Evidence, profile: str) -> str:
    p50, p99 = (ev.m("steady", profile, f"hold.{q}_ms") for q in ("p50", "p99"))
    return f"{n(p50)} / {n(p99)}"


def _hung(ev: Evidence, profile: str) -> str:
    status = ev.m("hung", profile, "hung_status")
    seconds = ev.m("hung", profile, "hung_seconds")
    others = ev.total("hung", profile, "failed_by_kind.")
    got = "no response" if not status else f"{status:.0f}"
    return f"{got} after {n(seconds, 1, ' s')}; {n(others)} other requests failed"


# --- output ------------------------------------------------------------------------------------


def _sources(ev: Evidence, row: Row, base: Path) -> str:
    out = []
    for source in row.sources:
        if source in SOURCES:
            out.append(ev.link(source, base))
        else:
            path = source.split("::", 1)[0]
            out.append(f"[{source}]({_relative(PROJECT_ROOT / path, base)})")
    return ", ".join(out)


def table(ev: Evidence, base: Path, headline_only: bool = False) -> list[str]:
    rows = []
    for row in ROWS:
        if headline_only and not row.headline:
            continue
        rows.append([row.prop, row.measure, row.flask(ev), row.bento(ev), _sources(ev, row, base)])
    header = ["property", "measured", "Flask + gunicorn", "BentoML 1.4", "evidence"]
    return markdown.table(header, rows)


def _facts(ev: Evidence) -> list[str]:
    lines = []
    for name in ev.used:
        s = ev.summary(name)
        when = s.get("dates", [s.get("when", "?")])[-1]
        machine = s.get("machine", "?")
        if isinstance(machine, dict):
            machine = f"{machine.get('cpu_model', '?')}, {machine.get('cpu_count', '?')} CPUs"
        lines.append(f"{name}: {when}, {machine}")
    return markdown.bullets(lines)


def build(results: Path = RESULTS, readme: Path | None = README) -> Path:
    ev = Evidence(results)
    out = results / "scorecard.md"
    lines = [
        "# Production-readiness scorecard",
        "",
        "The course's six properties, Flask + gunicorn against BentoML 1.4, on the same model "
        "artifact, predictor code and CPU budget. Every figure is a median over repeats from the "
        "linked report (its settings, charts and limitations are there); every fact is checked "
        "by `make scorecard` against the project's files. Built by `make scorecard` from "
        "docs/results/*/summary.json.",
        "",
        *table(ev, out.parent),
        "",
        "Where each figure was measured:",
        "",
        *_facts(ev),
    ]
    markdown.write(out, lines)
    if readme is not None and readme.exists():
        text = readme.read_text()
        if START in text and END in text:
            head, rest = text.split(START, 1)
            _old, tail = rest.split(END, 1)
            block = [START, *table(ev, readme.parent, headline_only=True), END]
            readme.write_text(head + "\n".join(block) + tail)
    return out


def main() -> int:
    try:
        print(build())
    except MissingEvidence as exc:
        raise SystemExit(f"scorecard: {exc}") from None
    return 0
