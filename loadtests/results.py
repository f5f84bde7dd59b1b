"""One run directory -> the numbers its scenario is about (steady latency, capacity, ...).

Reads run.json (which must be complete, see loadtests.metadata), timeline.json and locust's
stats.json; cuts the timeline with the real schedule; returns plain dicts for the reports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtests import analysis
from loadtests.metadata import require_complete
from loadtests.payloads import INVALID_KINDS
from loadtests.plans import Params
from loadtests.timeline import read_rows


@dataclass(frozen=True)
class RunData:
    path: Path
    meta: dict[str, Any]
    rows: list[dict[str, Any]]
    stats: list[dict[str, Any]]

    @property
    def scenario(self) -> str:
        return self.meta["scenario"]

    @property
    def target(self) -> str:
        return self.meta["target"]

    @property
    def params(self) -> Params:
        return Params(**self.meta["scenario_params"])

    @property
    def workers(self) -> int:
        return int(self.meta["server"].get("workers", 0))

    @property
    def repeat(self) -> int:
        return int(self.meta.get("repeat", 1))

    def phases(self, label: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.meta["schedule"] if label is None or e["label"] == label]

    def phase(self, label: str) -> dict[str, Any]:
        found = self.phases(label)
        if len(found) != 1:
            raise ValueError(f"{self.path}: expected one {label!r} phase, found {len(found)}")
        return found[0]

    @property
    def start(self) -> float:
        return self.meta["schedule"][0]["start"]

    @property
    def end(self) -> float:
        return self.meta["schedule"][-1]["end"]


def load_run(path: Path) -> RunData:
    path = Path(path)
    meta = json.loads((path / "run.json").read_text())
    require_complete(meta, str(path / "run.json"))
    if any(e.get("end") is None for e in meta["schedule"]):
        raise ValueError(f"{path}: a phase in the schedule never ended")
    rows = read_rows(path / "timeline.json")
    stats = json.loads((path / "stats.json").read_text())
    return RunData(path, meta, rows, stats)


def locust_totals(run: RunData) -> dict[str, int]:
    return {
        "requests": sum(e["num_requests"] for e in run.stats),
        "failures": sum(e["num_failures"] for e in run.stats),
    }


def timeline_totals(run: RunData) -> dict[str, int]:
    return {
        "requests": sum(r["n"] for r in run.rows),
        "failures": sum(r["fail"] for r in run.rows),
    }


def _result(run: RunData, label: str) -> dict[str, Any]:
    return analysis.phase_result(run.rows, run.phase(label), run.target, run.params)


def bad_input_outcomes(run: RunData) -> dict[str, dict[str, int]]:
    """Per request kind (valid / each invalid kind): 4xx, 5xx, 200 and other (no response)."""
    codes = analysis.codes_by_name(run.rows)
    out = {}
    for name, by_code in codes.items():
        what = name.split(" ", 1)[1]
        kind = "valid" if what == "classify" else what.removeprefix("invalid ")
        out[kind] = analysis.status_classes(by_code)
    unknown = set(out) - {"valid", *INVALID_KINDS}
    if unknown:
        raise ValueError(f"{run.path}: unexpected request names {sorted(unknown)}")
    return out


def summarize(run: RunData) -> dict[str, Any]:
    """The scenario's numbers for one run."""
    s: dict[str, Any] = {
        "run_id": run.meta["run_id"],
        "target": run.target,
        "scenario": run.scenario,
        "workers": run.workers,
        "repeat": run.repeat,
        "locust": locust_totals(run),
        "timeline": timeline_totals(run),
        "locust_cpu_warning": run.meta["load_generator"]["cpu_warning"],
        "locust_cpu_percent": run.meta["load_generator"]["cpu_percent_of_one_core"],
        "other_cpu_percent": run.meta["host"]["other_processes_cpu_percent_of_one_core"],
        "stop_reason": run.meta["stop_reason"],
    }
    server_cpu = run.meta["server_cpu"]
    if isinstance(server_cpu, dict):
        s["server_cpu_ms_per_request"] = server_cpu["ms_per_request"]
    if run.scenario in ("steady", "bad_input"):
        s["hold"] = _result(run, "hold")
    if run.scenario == "bad_input":
        s["outcomes"] = bad_input_outcomes(run)
        valid_name = f"{run.target} classify"
        s["valid"] = analysis.phase_result(
            run.rows, run.phase("hold"), run.target, run.params, lambda n: n == valid_name
        )
    if run.scenario == "capacity":
        steps = [
            analysis.phase_result(run.rows, e, run.target, run.params)
            for e in run.phases()
            if e["measured"]
        ]
        s["steps"] = steps
        s["sustained_rps"] = analysis.sustained_rate(steps, run.params.stop_after)
        # the plan ran out before the SLO broke: the capacity is at least this (a lower bound)
        s["capped"] = bool(steps) and s["sustained_rps"] == steps[-1]["offered_rps"]
    if run.scenario == "spike":
        base, spike, recovery = (_result(run, x) for x in ("baseline", "spike", "recovery"))
        rec = analysis.recovery_time(
            run.rows,
            run.phase("spike"),
            run.phase("recovery"),
            run.target,
            base["p99_ms"],
            run.params,
        )
        s.update(baseline=base, spike=spike, recovery=recovery)
        s["recovery_s"] = rec.seconds
        s["recovery_threshold_ms"] = rec.threshold_ms
    if run.scenario == "batch":
        for phase, path in (("single", "classify"), ("batch", "classify_batch")):
            name = f"{run.target} {path}"
            s[phase] = analysis.phase_result(
                run.rows, run.phase(phase), run.target, run.params, lambda n, name=name: n == name
            )
        s["batch_size"] = run.params.batch_size
        batches = run.meta["bento_batches"]
        if not isinstance(batches, dict):  # Flask, or a BentoML run that formed no batch
            batches = {"batches": 0, "applications": 0, "mean_batch_size": None, "note": batches}
        s["bento_batches"] = batches
    return s


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def summary_lines(path: Path, meta: dict[str, Any] | None = None) -> list[str]:
    """A few human lines for the console after a run."""
    run = load_run(path)
    s = summarize(run)
    lines = [f"{run.scenario} / {run.target}: {run.meta['plan']}"]

    def phase_line(name: str, r: dict[str, Any]) -> str:
        return (
            f"  {name:<9} offered {r['offered_rps']:.0f}/s sent {r['achieved_rps']:.0f}/s, "
            f"p50 {_ms(r['p50_ms'])} p95 {_ms(r['p95_ms'])} p99 {_ms(r['p99_ms'])}, "
            f"errors {r['error_pct']:.2f} % -> {'SLO ok' if r['slo_ok'] else 'SLO broken'}"
        )

    for name in ("hold", "baseline", "spike", "recovery", "single", "batch"):
        if name in s:
            lines.append(phase_line(name, s[name]))
    if "steps" in s:
        lines += [phase_line(f"{st['label']}", st) for st in s["steps"]]
        lines.append(f"  highest sustained step: {s['sustained_rps'] or 'none'} req/s")
    if "recovery_s" in s:
        rec = s["recovery_s"]
        lines.append(
            "  recovery: "
            + (f"{rec:.0f} s" if rec is not None else "not within the recovery phase")
            + f" (p99 <= {s['recovery_threshold_ms']:.0f} ms, no errors, 3 s in a row)"
        )
    if "outcomes" in s:
        for kind, out in s["outcomes"].items():
            lines.append(f"  {kind:<17} " + ", ".join(f"{k} {v}" for k, v in out.items() if v))
    if run.target == "bento" and "bento_batches" in s:
        b = s["bento_batches"]
        mean = b["mean_batch_size"]
        lines.append(
            f"  BentoML batches: {b['batches']} for {b['applications']} applications, mean "
            f"{mean:.2f}"
            if mean
            else "  BentoML batches: none"
        )
    lg = run.meta["load_generator"]
    lines.append(
        f"  locust CPU {lg['cpu_percent_of_one_core']:.0f} % of a core"
        + (
            " - LOCUST CPU WARNING: the load generator may have limited this run"
            if lg["cpu_warning"]
            else ""
        )
        + f"; other processes {run.meta['host']['other_processes_cpu_percent_of_one_core']:.0f} %"
    )
    return lines


# --- time series (relative to each run's first phase) ----------------------------------------


@dataclass(frozen=True)
class Series:
    """Per-second values of one run; t = middle of each second, relative to the first phase."""

    t: list[float]
    sent: list[float]
    ok: list[float]
    error_pct: list[float | None]
    windows: list[Any]


def series(run: RunData) -> Series:
    from loadtests.timeline import per_second, prefix

    seconds = per_second(run.rows, run.start, run.end, prefix(run.target))
    t0 = run.start
    return Series(
        t=[w.first + 0.5 - t0 for w in seconds],
        sent=[float(w.n) for w in seconds],
        ok=[float(w.n - w.failures) for w in seconds],
        error_pct=[100 * w.error_ratio if w.n else None for w in seconds],
        windows=seconds,
    )


def pooled_percentiles(runs: list[RunData], qs: tuple[float, ...]) -> dict[float, list]:
    """Per relative second, the percentiles of all repeats' requests pooled together."""
    from collections import Counter

    from loadtests.timeline import percentile

    pooled: dict[float, Counter] = {}
    for run in runs:
        s = series(run)
        for t, w in zip(s.t, s.windows, strict=True):
            pooled.setdefault(round(t), Counter()).update(w.hist)  # repeats' seconds aligned
    ts = sorted(pooled)
    return {"t": ts, **{q: [percentile(pooled[t], q) for t in ts] for q in qs}}
