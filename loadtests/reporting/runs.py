"""Run directories read back: one run (record + timeline + locust's stats) and a comparison
(the runs of one scenario over several profiles, worker counts and repeats), refused unless
every run is complete and the runs are like for like."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from loadtests import scenarios
from loadtests.core.knobs import Knobs
from loadtests.core.profiles import DEFAULT_PROFILES, ServerProfile
from loadtests.core.record import RecordError, RunRecord
from loadtests.core.timeline import read_rows

COMPARISON_FILE = "comparison.json"


class ReportError(ValueError):
    """The runs cannot be reported honestly (missing, incomplete, or not like for like)."""


@dataclass(frozen=True)
class LoadedRun:
    path: Path
    record: RunRecord
    rows: list[dict[str, Any]]
    stats: list[dict[str, Any]]  # locust's --json-file

    @property
    def target(self) -> str:
        """The request-name prefix of this run's requests: the profile's name."""
        return self.record.profile.name

    @cached_property
    def scenario(self) -> scenarios.Scenario:
        return scenarios.get(self.record.scenario)

    @cached_property
    def knobs(self) -> Knobs:
        return self.scenario.knobs(self.record.knobs)

    @cached_property
    def summary(self) -> Any:
        return self.scenario.summarize(self)

    def locust_totals(self) -> tuple[int, int]:
        return (
            sum(e["num_requests"] for e in self.stats),
            sum(e["num_failures"] for e in self.stats),
        )


def load_run(path: Path) -> LoadedRun:
    path = Path(path)
    try:
        record = RunRecord.read(path / "run.json")
    except (OSError, RecordError) as exc:
        raise ReportError(str(exc)) from exc
    try:
        rows = read_rows(path / "timeline.json")
        stats = json.loads((path / "stats.json").read_text())
    except (OSError, ValueError) as exc:  # a run without its timeline or stats is incomplete
        raise ReportError(f"{path}: {exc}") from exc
    run = LoadedRun(path, record, rows, stats)
    try:  # the knobs as the scenario reads them: a blank one would silently be its default
        if blank := sorted(
            k for k, v in record.knobs.items() if _is_blank(v) and not _blank_by_default(run, k)
        ):
            raise ValueError(f"blank knobs: {', '.join(blank)}")
        _ = run.knobs
    except ValueError as exc:
        raise ReportError(f"{path / 'run.json'}: {exc}") from exc
    return run


def _like_for_like(run: LoadedRun) -> dict[str, Any]:
    """The record's like-for-like keys, less the knobs that name each run's own target (crash's
    ``container``: one container per server, necessarily different)."""
    same = run.record.like_for_like()
    own = per_target(run.scenario.Knobs)
    same["knobs"] = {k: v for k, v in same["knobs"].items() if k not in own}
    return same


def per_target(knobs: type[Knobs]) -> set[str]:
    """The knobs declared ``per_target``: each run names its own (a container id)."""
    return {
        name
        for name, info in knobs.model_fields.items()
        if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("per_target")
    }


def _is_blank(value: Any) -> bool:
    return value is None or value == ""


def _blank_by_default(run: LoadedRun, key: str) -> bool:
    """A knob whose declared default is blank (crash's ``container``: none) may be recorded so."""
    try:
        fields = run.scenario.Knobs.model_fields
    except ValueError:  # an unknown scenario: reading the knobs below says so
        return False
    return key in fields and _is_blank(fields[key].default)


@dataclass
class Comparison:
    """The runs of one scenario; ``profiles`` in the order asked (the first is the baseline)."""

    path: Path
    scenario: scenarios.Scenario
    profiles: list[ServerProfile]
    runs: list[LoadedRun]
    _by: dict[tuple[str, int], list[LoadedRun]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        by: dict[tuple[str, int], list[LoadedRun]] = defaultdict(list)
        for run in sorted(
            self.runs, key=lambda r: (r.target, r.record.requested_workers, r.record.repeat)
        ):
            by[(run.target, run.record.requested_workers)].append(run)
        self._by = dict(by)

    @property
    def worker_counts(self) -> list[int]:
        return sorted({w for _, w in self._by})

    @property
    def baseline(self) -> ServerProfile:
        return self.profiles[0]

    def runs_of(self, profile: ServerProfile | str, workers: int | None = None) -> list[LoadedRun]:
        name = profile if isinstance(profile, str) else profile.name
        return self._by.get((name, workers or self.worker_counts[0]), [])

    def summaries(self, profile: ServerProfile | str, workers: int | None = None) -> list[Any]:
        return [run.summary for run in self.runs_of(profile, workers)]

    @property
    def knobs(self) -> Knobs:
        return self.runs[0].knobs

    @property
    def first(self) -> RunRecord:
        return self.runs[0].record


def _profile_order(runs: list[LoadedRun], path: Path) -> list[ServerProfile]:
    by_name = {run.target: run.record.profile for run in runs}
    listed = path / COMPARISON_FILE
    if listed.exists():
        names = json.loads(listed.read_text())["profiles"]
    else:
        names = [p for p in DEFAULT_PROFILES if p in by_name] + sorted(
            set(by_name) - set(DEFAULT_PROFILES)
        )
    missing = set(names) - set(by_name)
    if missing:
        raise ReportError(f"{path}: no runs of {', '.join(sorted(missing))}")
    unlisted = set(by_name) - set(names)
    if unlisted:
        raise ReportError(f"{path}: runs of {', '.join(sorted(unlisted))} not in {COMPARISON_FILE}")
    return [by_name[n] for n in names]


def load_comparison(path: Path) -> Comparison:
    path = Path(path)
    dirs = sorted(p.parent for p in (path / "runs").glob("*/run.json"))
    if not dirs:
        raise ReportError(f"{path}: no runs/*/run.json")
    runs = [load_run(d) for d in dirs]
    names = {r.record.scenario for r in runs}
    if len(names) != 1:
        raise ReportError(f"{path}: several scenarios in one comparison: {sorted(names)}")
    first = _like_for_like(runs[0])
    for run in runs[1:]:
        for key, value in _like_for_like(run).items():
            if value != first[key]:
                raise ReportError(f"{path}: runs differ in {key}: not like for like")
    # Same worker count, same cores: a profile that fixes another worker count gets another
    # budget, which the report states beside its numbers.
    budgets: dict[int, set[str]] = defaultdict(set)
    for run in runs:
        budgets[run.record.workers].add(run.record.budget.statement)
    for workers, statements in budgets.items():
        if len(statements) > 1:
            raise ReportError(f"{path}: different CPU budgets at {workers} worker(s)")
    comparison = Comparison(path, scenarios.get(names.pop()), _profile_order(runs, path), runs)
    for workers in comparison.worker_counts:
        lacking = [p.name for p in comparison.profiles if not comparison.runs_of(p, workers)]
        if lacking:
            raise ReportError(f"{path}: {workers} worker(s) lacks runs of {', '.join(lacking)}")
    return comparison
