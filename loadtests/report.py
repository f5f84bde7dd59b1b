"""Comparison reports: report.md + PNG charts per scenario, and an index over scenarios.

    python -m loadtests.report reports/compare-steady-<stamp>       # (re)build one report
    python -m loadtests.report --index reports/compare-all-<stamp> reports/compare-*-<stamp>

Every figure is the median over the repeats with the min-max spread beside it, and ratios
are of medians measured in the same comparison. Every run's run.json must be complete and
all runs must be like for like (same model, parameters, payload pool, code, machine, CPU
budget per worker count), or the report is refused.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtests import charts
from loadtests.payloads import INVALID_KINDS
from loadtests.results import RunData, load_run, summarize

NAMES = charts.NAMES
PROPERTY = {
    "steady": "latency under a constant, sustainable load (typical and tail)",
    "capacity": "capacity and scalability: the highest arrival rate held within the SLO, at 1 "
    "and 2 server workers",
    "spike": "resilience: behaviour under a sudden overload and the time to recover",
    "bad_input": "robustness of the contract: what happens to invalid applications",
    "batch": "operational efficiency: adaptive batching vs one model call per request",
}
LIKE_FOR_LIKE = (
    "model.version",
    "scenario_params",
    "pool",
    "git.server_code_sha256",  # the code that served and loaded; the commit may move on
    "git.load_code_sha256",
    "machine.cpu_model",
    "versions",
)


class ReportError(ValueError):
    """The runs cannot be reported honestly (missing, incomplete, or not like for like)."""


# --- numbers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Agg:
    median: float | None
    low: float | None
    high: float | None
    n: int
    missing: int  # repeats without a value (e.g. never recovered)


def agg(values: Iterable[float | None]) -> Agg:
    values = list(values)
    present = [float(v) for v in values if v is not None]
    if not present:
        return Agg(None, None, None, len(values), len(values))
    return Agg(
        statistics.median(present),
        min(present),
        max(present),
        len(values),
        len(values) - len(present),
    )


def _num(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}"


def fmt(a: Agg, digits: int = 0, missing: str = "none") -> str:
    """'12 (11-14)'; a repeat without a value is counted, e.g. '12 (11-14; 1 of 3 none)'."""
    if a.median is None:
        return f"{missing} (all {a.n})"
    text = _num(a.median, digits)
    if a.n > 1:
        spread = f"{_num(a.low, digits)}–{_num(a.high, digits)}"
        text += f" ({spread}" + (f"; {a.missing} of {a.n} {missing}" if a.missing else "") + ")"
    return text


def ratio(a: Agg, b: Agg) -> str:
    """b / a of the medians, e.g. '3.2x'."""
    if a.median in (None, 0) or b.median is None:
        return "–"
    return f"{b.median / a.median:.2f}×"


# --- loading -------------------------------------------------------------------------------


def _dig(data: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        data = data[part]
    return data


def load_runs(compare_dir: Path) -> list[RunData]:
    paths = sorted((compare_dir / "runs").glob("*/run.json"))
    if not paths:
        raise ReportError(f"{compare_dir}: no runs/*/run.json")
    runs = [load_run(p.parent) for p in paths]
    for key in LIKE_FOR_LIKE:
        values = {repr(_dig(r.meta, key)) for r in runs}
        if len(values) > 1:
            raise ReportError(f"{compare_dir}: runs differ in {key}: not like for like")
    scenarios = {r.scenario for r in runs}
    if len(scenarios) != 1:
        raise ReportError(f"{compare_dir}: several scenarios in one comparison: {scenarios}")
    by_workers: dict[int, set[str]] = defaultdict(set)
    for r in runs:
        by_workers[r.workers].add(r.meta["budget"]["statement"])
    for workers, statements in by_workers.items():
        if len(statements) > 1:
            raise ReportError(f"{compare_dir}: different CPU budgets at {workers} worker(s)")
        targets = {r.target for r in runs if r.workers == workers}
        if targets != {"flask", "bento"}:
            raise ReportError(
                f"{compare_dir}: {workers} worker(s) lacks runs of {targets ^ {'flask', 'bento'}}"
            )
    return runs


# --- markdown pieces -----------------------------------------------------------------------


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def _metric_rows(
    summaries: dict[str, list[dict[str, Any]]],
    metrics: Sequence[tuple[str, Callable[[dict[str, Any]], float | None], int]],
    with_ratio: bool = True,
) -> list[list[str]]:
    rows = []
    for label, get, digits in metrics:
        f, b = (agg(get(s) for s in summaries[t]) for t in ("flask", "bento"))
        row = [label, fmt(f, digits), fmt(b, digits)]
        if with_ratio:
            row.append(ratio(f, b))
        rows.append(row)
    return rows


def _phase_metrics(phase: str, unit_rate: str = "req/s") -> list[tuple[str, Callable, int]]:
    def get(key: str) -> Callable[[dict[str, Any]], float | None]:
        return lambda s: s[phase][key]

    return [
        (f"offered ({unit_rate})", get("offered_rps"), 0),
        (f"sent ({unit_rate})", get("achieved_rps"), 1),
        (f"answered correctly ({unit_rate}, by send time)", get("ok_rps"), 1),
        ("p50 (ms)", get("p50_ms"), 0),
        ("p95 (ms)", get("p95_ms"), 0),
        ("p99 (ms)", get("p99_ms"), 0),
        ("max (ms)", get("max_ms"), 0),
        ("errors (%)", get("error_pct"), 2),
        ("SLO held (repeats)", lambda s: float(s[phase]["slo_ok"]), 0),
    ]


def _run_metrics() -> list[tuple[str, Callable, int]]:
    return [
        ("server CPU per request (ms)", lambda s: s.get("server_cpu_ms_per_request"), 3),
        ("locust CPU (% of its core)", lambda s: s["locust_cpu_percent"], 0),
        ("other processes' CPU (% of a core)", lambda s: s["other_cpu_percent"], 0),
    ]


def _slo_count(summaries: list[dict[str, Any]], phase: str) -> str:
    held = sum(1 for s in summaries if s[phase]["slo_ok"])
    return f"{held} of {len(summaries)}"


HEADER = ["", NAMES["flask"], NAMES["bento"], "BentoML ÷ Flask (medians)"]


def _results_steady(by: dict[tuple[str, int], list[dict]], workers: int) -> list[str]:
    summaries = {t: by[(t, workers)] for t in ("flask", "bento")}
    metrics = [m for m in _phase_metrics("hold") if not m[0].startswith("SLO")]
    rows = _metric_rows(summaries, metrics + _run_metrics())
    rows.append(["SLO held", *(_slo_count(summaries[t], "hold") for t in ("flask", "bento")), ""])
    return _table(HEADER, rows)


def _sustained_cell(summaries: list[dict[str, Any]]) -> str:
    """Median (spread) of the highest sustained rate; '≥' when a repeat never broke the SLO."""
    capped = sum(s["capped"] for s in summaries)
    text = fmt(agg(s["sustained_rps"] for s in summaries))
    if capped:
        text = f"≥ {text} ({capped} of {len(summaries)} held up to the plan's last step)"
    return text


def _results_capacity(by: dict[tuple[str, int], list[dict]]) -> list[str]:
    counts = sorted({w for _, w in by})
    rows = []
    sustained = {k: agg(s["sustained_rps"] for s in v) for k, v in by.items()}

    def cell(key: tuple[str, int]) -> str:
        return _sustained_cell(by[key])

    for w in counts:
        f, b = sustained[("flask", w)], sustained[("bento", w)]
        rows.append(
            [
                f"{w} worker(s): highest sustained rate (req/s)",
                cell(("flask", w)),
                cell(("bento", w)),
                ratio(f, b),
            ]
        )
    if len(counts) > 1:
        lo, hi = counts[0], counts[-1]
        scale = [ratio(sustained[(t, lo)], sustained[(t, hi)]) for t in ("flask", "bento")]
        rows.append([f"scaling {lo} → {hi} workers", *scale, ""])
    lines = _table(HEADER, rows)
    for w in counts:
        lines += ["", f"Per step at {w} worker(s) (median over repeats; p99 ms / errors %):", ""]
        rates = sorted(
            {st["offered_rps"] for k, v in by.items() if k[1] == w for s in v for st in s["steps"]}
        )
        step_rows = []
        for rate in rates:
            row = [f"{rate:g}"]
            for t in ("flask", "bento"):
                steps = [st for s in by[(t, w)] for st in s["steps"] if st["offered_rps"] == rate]
                if not steps:
                    row.append("not reached")
                    continue
                p99, err = agg(st["p99_ms"] for st in steps), agg(st["error_pct"] for st in steps)
                ok = sum(st["slo_ok"] for st in steps)
                row.append(f"{fmt(p99)} / {fmt(err, 2)} — held {ok}/{len(steps)}")
            step_rows.append(row)
        lines += _table(["offered req/s", NAMES["flask"], NAMES["bento"]], step_rows)
    return lines


def _results_spike(by: dict[tuple[str, int], list[dict]], workers: int) -> list[str]:
    summaries = {t: by[(t, workers)] for t in ("flask", "bento")}

    def g(phase: str, key: str) -> Callable:
        return lambda s: s[phase][key]

    metrics = [
        ("baseline p99 (ms)", g("baseline", "p99_ms"), 0),
        ("spike: offered (req/s)", g("spike", "offered_rps"), 0),
        ("spike: answered correctly (req/s, by send time)", g("spike", "ok_rps"), 1),
        ("spike: p50 (ms)", g("spike", "p50_ms"), 0),
        ("spike: p99 (ms)", g("spike", "p99_ms"), 0),
        ("spike: max (ms)", g("spike", "max_ms"), 0),
        ("spike: errors (%)", g("spike", "error_pct"), 2),
        ("recovery phase: p99 (ms)", g("recovery", "p99_ms"), 0),
        ("recovery phase: errors (%)", g("recovery", "error_pct"), 2),
    ]
    rows = _metric_rows(summaries, metrics)
    rec = {t: agg(s["recovery_s"] for s in summaries[t]) for t in ("flask", "bento")}
    rows.append(
        [
            "recovery time after the spike (s)",
            fmt(rec["flask"], 0, "not recovered"),
            fmt(rec["bento"], 0, "not recovered"),
            ratio(rec["flask"], rec["bento"]),
        ]
    )
    rows += _metric_rows(summaries, _run_metrics())
    threshold = summaries["flask"][0]["recovery_threshold_ms"]
    return _table(HEADER, rows) + [
        "",
        "Recovery time: seconds from the end of the burst until 3 seconds in a row have no "
        f"failures and p99 <= max(SLO, 2 × baseline p99) (≈ {threshold:.0f} ms for Flask's "
        "first repeat; computed per run).",
    ]


def _outcome_totals(summaries: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = {}
    for s in summaries:
        for kind, counts in s["outcomes"].items():
            into = totals.setdefault(kind, {"4xx": 0, "5xx": 0, "200": 0, "other": 0})
            for k, v in counts.items():
                into[k] += v
    return totals


def _outcome_cell(counts: dict[str, int] | None) -> str:
    if not counts:
        return "not sent"
    total = sum(counts.values())
    parts = [f"{k} {v} ({100 * v / total:.0f} %)" for k, v in counts.items() if v]
    return ", ".join(parts)


def _results_bad_input(by: dict[tuple[str, int], list[dict]], workers: int) -> list[str]:
    summaries = {t: by[(t, workers)] for t in ("flask", "bento")}
    totals = {t: _outcome_totals(summaries[t]) for t in ("flask", "bento")}
    rows = [
        [kind, *(_outcome_cell(totals[t].get(kind)) for t in ("flask", "bento"))]
        for kind in ["valid", *INVALID_KINDS]
    ]
    dangerous = {
        t: sum(c["200"] for k, c in totals[t].items() if k != "valid") for t in ("flask", "bento")
    }
    invalid = {
        t: sum(sum(c.values()) for k, c in totals[t].items() if k != "valid")
        for t in ("flask", "bento")
    }
    server_errors = {
        t: sum(c["5xx"] for k, c in totals[t].items() if k != "valid") for t in ("flask", "bento")
    }
    rows.append(
        [
            "**invalid applications scored (200)**",
            *(f"**{dangerous[t]} of {invalid[t]}**" for t in ("flask", "bento")),
        ]
    )
    rows.append(
        [
            "invalid input answered with 5xx",
            *(f"{server_errors[t]} of {invalid[t]}" for t in ("flask", "bento")),
        ]
    )
    lines = _table(["request kind (all repeats)", NAMES["flask"], NAMES["bento"]], rows)
    lines += [
        "",
        "The valid applications of the same runs (hold phase), while garbage is mixed in; server "
        "CPU per request counts every request, valid or not:",
        "",
    ]
    wanted = ("answered", "p50", "p99", "max", "errors")
    metrics = [m for m in _phase_metrics("valid") if m[0].startswith(wanted)]
    lines += _table(HEADER, _metric_rows(summaries, metrics + _run_metrics()[:1]))
    lines += [
        "",
        "Counts are over every request of every repeat (warm-up included). For an invalid "
        "application a 4xx is the right answer, a 5xx a crash and a 200 a made-up decision.",
    ]
    return lines


def _results_batch(by: dict[tuple[str, int], list[dict]], workers: int) -> list[str]:
    summaries = {t: by[(t, workers)] for t in ("flask", "bento")}
    header = [
        "",
        *(f"{NAMES[t]} {p}" for t in ("flask", "bento") for p in ("/classify", "/classify_batch")),
    ]
    rows = []
    for label, key, digits in (
        ("sent (req/s)", "achieved_rps", 1),
        ("answered correctly (req/s, by send time)", "ok_rps", 1),
        ("p50 (ms)", "p50_ms", 0),
        ("p95 (ms)", "p95_ms", 0),
        ("p99 (ms)", "p99_ms", 0),
        ("errors (%)", "error_pct", 2),
    ):
        rows.append(
            [label]
            + [
                fmt(agg(s[p][key] for s in summaries[t]), digits)
                for t in ("flask", "bento")
                for p in ("single", "batch")
            ]
        )
    lines = _table(header, rows)
    batches = [s["bento_batches"] for s in summaries["bento"]]
    mean = agg(b["mean_batch_size"] for b in batches)
    count = agg(b["batches"] for b in batches)
    size = summaries["bento"][0]["batch_size"]
    lines += [
        "",
        f"BentoML adaptive batching on /classify_batch (requests of {size} application(s) each): "
        f"{fmt(count)} model calls per run, mean batch {fmt(mean, 2)} applications "
        "(from bentoml_service_adaptive_batch_size in /metrics, before/after each run). "
        "Flask has no batching: each request's list is scored on its own.",
    ]
    return lines


# --- report --------------------------------------------------------------------------------


def _summaries(runs: list[RunData]) -> dict[tuple[str, int], list[dict[str, Any]]]:
    by: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for run in sorted(runs, key=lambda r: (r.target, r.workers, r.repeat)):
        by[(run.target, run.workers)].append(summarize(run))
    return dict(by)


def _settings_table(runs: list[RunData]) -> list[str]:
    rows = []
    seen = set()
    for run in sorted(runs, key=lambda r: (r.workers, r.target != "flask")):
        key = (run.target, run.workers)
        if key in seen:
            continue
        seen.add(key)
        srv = run.meta["server"]
        style = (
            f"{srv['worker_class']} workers, {srv['threads_per_worker']} thread(s) each"
            if run.target == "flask"
            else srv["api_style"]
        )
        rows.append(
            [
                NAMES[run.target],
                str(srv["workers"]),
                srv["cpus"],
                style,
                srv["batching"],
                srv["validation"],
                "on" if srv["access_log"] else "off",
            ]
        )
    return _table(
        ["server", "workers", "CPUs", "concurrency", "batching", "validation", "access log"], rows
    )


def _limitations(runs: list[RunData], scenario: str) -> list[str]:
    lines = [
        "- Loopback only: client and servers share one host and its kernel; no network latency, "
        "no TLS, no proxy. Absolute numbers are this machine's, not a production estimate; the "
        "ratios measured side by side are what this report is about.",
        "- Same host for load generator and servers: locust (Python, FastHttpUser) competes for "
        "memory bandwidth and caches even when pinned to its own core; its latency resolution "
        "is ~1 ms (locust rounds) and its timing includes its own scheduling delays.",
        f"- {len({r.repeat for r in runs})} repeat(s) per server: the spread shown is min–max, "
        "not a confidence interval; differences inside the spread are noise.",
        "- Open workload only while a response takes less than 1/user_rate "
        f"({1000 / runs[0].params.user_rate:.0f} ms): slower than that, a simulated user sends "
        "late and the 'sent' rate drops below the offered one (shown in the tables).",
        "- Both servers stay up for all runs at a worker count; the idle one's CPU is measured "
        f"with every run (max {_max_neighbour(runs):.2f} CPU-s during a run).",
        "- Latency is measured at the client from request start to the last byte; requests are "
        "placed in the second they were sent.",
    ]
    budgets = sorted({(r.workers, r.meta["budget"]["statement"]) for r in runs})
    for workers, statement in budgets:
        lines.append(f"- CPU budget at {workers} worker(s): {statement}")
    if any(r.meta["budget"]["server_cpus"] == "not pinned" for r in runs):
        lines.append("- Servers were NOT pinned: they competed with locust for every core.")
    if scenario == "capacity" and any(r.meta["budget"]["shared"] for r in runs):
        lines.append(
            "- At 2 workers on 2 cores the server shares a core with locust: the '2 workers' "
            "capacity is what is left after the load generator's share, so it understates "
            "what 2 dedicated cores would give, for both servers alike."
        )
    warned = [r.meta["run_id"] for r in runs if r.meta["load_generator"]["cpu_warning"]]
    if warned:
        lines.append(
            f"- **Load generator CPU warning** (locust above 90 % CPU) in {len(warned)} run(s): "
            + ", ".join(warned)
            + ". Those runs may be limited by locust, not by the server."
        )
    else:
        lines.append("- Locust never hit its CPU warning (90 %) in these runs.")
    noisy = [
        (r.meta["run_id"], r.meta["host"]["other_processes_cpu_percent_of_one_core"])
        for r in runs
        if r.meta["host"]["other_processes_cpu_percent_of_one_core"] > 20
    ]
    if noisy:
        lines.append(
            "- **Other processes used CPU during some runs** (host noise, % of one core): "
            + ", ".join(f"{rid} {pct:.0f} %" for rid, pct in noisy)
            + ". Those runs' numbers are less reliable."
        )
    else:
        lines.append("- Other processes used less than 20 % of a core during every run.")
    restarted = [r.meta["run_id"] for r in runs if r.meta.get("server_restarted_before_run")]
    if restarted:
        lines.append(f"- A server had died and was restarted before: {', '.join(restarted)}.")
    return lines


def _max_neighbour(runs: list[RunData]) -> float:
    values = [
        v
        for r in runs
        if isinstance(r.meta["host"]["idle_neighbour_server_cpu_seconds"], dict)
        for v in r.meta["host"]["idle_neighbour_server_cpu_seconds"].values()
    ]
    return max(values, default=0.0)


def _header(runs: list[RunData], scenario: str) -> list[str]:
    first = runs[0].meta
    dates = sorted(r.meta["date"] for r in runs)
    versions = first["versions"]
    mach = first["machine"]
    pool = first["pool"]
    params = first["scenario_params"]
    return [
        f"# {scenario}: Flask + gunicorn vs BentoML",
        "",
        f"**Shows:** {PROPERTY[scenario]}.",
        "",
        f"- Runs: {dates[0]} – {dates[-1]} ({len(runs)} runs)",
        f"- Machine: {mach['cpu_model']}, {mach['cpu_count']} CPUs ({mach['cpus_usable']} usable), "
        f"{mach['platform']}, Python {mach['python']}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        _code_line(runs),
        f"- Model: {first['model']['version']} ({first['model']['data_source']} data), the same "
        "artifact and Predictor code on both servers",
        f"- Payloads: {pool['size']} applications, {pool['source']} data, {pool['split']} split, "
        f"seed {pool['seed']}",
        f"- Plan: {first['plan']}; {params['user_rate']:g} req/s per simulated user; SLO p99 <= "
        f"{params['slo_p99_ms']:g} ms and errors <= {params['slo_error_pct']:g} %",
        "- Parameters: "
        + ", ".join(
            f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
        ),
        "",
        "Server settings (identical apart from what each server is):",
        "",
        *_settings_table(runs),
        "",
    ]


def _code_line(runs: list[RunData]) -> str:
    shas = sorted({r.meta["git"]["sha"][:12] for r in runs})
    dirty = any(r.meta["git"]["dirty"] for r in runs)
    git = runs[0].meta["git"]
    return (
        f"- Code: git {', '.join(shas)}"
        + (" (with uncommitted changes)" if dirty else "")
        + f"; sha256 of the servers' code {git['server_code_sha256'][:12]}, of the load "
        f"generator's {git['load_code_sha256'][:12]} (identical in every run)"
    )


def build_report(compare_dir: Path) -> Path:
    compare_dir = Path(compare_dir)
    runs = load_runs(compare_dir)
    scenario = runs[0].scenario
    by = _summaries(runs)
    lines = _header(runs, scenario)
    counts = sorted({w for _, w in by})
    lines += ["## Results", "", "Median over repeats (min–max in brackets).", ""]
    if scenario == "capacity":
        lines += _results_capacity(by)
    else:
        section = {
            "steady": _results_steady,
            "spike": _results_spike,
            "bad_input": _results_bad_input,
            "batch": _results_batch,
        }[scenario]
        lines += section(by, counts[0])
    lines += ["", "## Charts", ""]
    for workers in counts:
        runs_w = {
            t: [r for r in runs if r.target == t and r.workers == workers]
            for t in ("flask", "bento")
        }
        name = f"timeseries-w{workers}.png"
        charts.timeseries(runs_w, compare_dir / name, f"{scenario}, {workers} server worker(s)")
        lines += [f"![{scenario} over time, {workers} worker(s)]({name})", ""]
    if scenario == "capacity":
        steps = {k: [s["steps"] for s in v] for k, v in by.items()}
        charts.capacity_curve(steps, runs[0].params.slo_p99_ms, compare_dir / "capacity_curve.png")
        sustained = {k: [s["sustained_rps"] for s in v] for k, v in by.items()}
        capped = {k: any(s["capped"] for s in v) for k, v in by.items()}
        charts.capacity_workers(sustained, capped, compare_dir / "capacity_workers.png")
        lines += [
            "![latency vs rate](capacity_curve.png)",
            "",
            "![capacity vs workers](capacity_workers.png)",
            "",
        ]
    if scenario == "bad_input":
        totals = {t: _outcome_totals(by[(t, counts[0])]) for t in ("flask", "bento")}
        charts.bad_input(totals, compare_dir / "bad_input.png")
        lines += ["![bad input outcomes](bad_input.png)", ""]
    if scenario == "batch":
        charts.batch({t: by[(t, counts[0])] for t in ("flask", "bento")}, compare_dir / "batch.png")
        lines += ["![batch vs single](batch.png)", ""]
    lines += ["## Limitations", "", *_limitations(runs, scenario), ""]
    lines += [
        "## Files",
        "",
        "Each run's directory under runs/ holds locust's HTML report, CSVs (full history), "
        "stats.json, the per-second timeline.json and run.json (all settings and CPU use).",
        "",
    ]
    path = compare_dir / "report.md"
    path.write_text("\n".join(lines))
    return path


# --- index ---------------------------------------------------------------------------------


def _headline(compare_dir: Path) -> tuple[str, list[list[str]]]:
    runs = load_runs(compare_dir)
    scenario = runs[0].scenario
    by = _summaries(runs)
    counts = sorted({w for _, w in by})
    w = counts[0]

    def pair(get: Callable, digits: int = 0, workers: int = w, missing: str = "none") -> list[str]:
        f, b = (agg(get(s) for s in by[(t, workers)]) for t in ("flask", "bento"))
        return [fmt(f, digits, missing), fmt(b, digits, missing), ratio(f, b)]

    rows: list[list[str]] = []
    if scenario == "steady":
        rate = by[("flask", w)][0]["hold"]["offered_rps"]
        rows.append([f"p50 at {rate:g} req/s (ms)", *pair(lambda s: s["hold"]["p50_ms"])])
        rows.append([f"p99 at {rate:g} req/s (ms)", *pair(lambda s: s["hold"]["p99_ms"])])
        rows.append(
            ["server CPU per request (ms)", *pair(lambda s: s.get("server_cpu_ms_per_request"), 3)]
        )
    if scenario == "capacity":
        for workers in counts:
            f, b = (agg(s["sustained_rps"] for s in by[(t, workers)]) for t in ("flask", "bento"))
            rows.append(
                [
                    f"highest sustained rate, {workers} worker(s) (req/s)",
                    _sustained_cell(by[("flask", workers)]),
                    _sustained_cell(by[("bento", workers)]),
                    ratio(f, b),
                ]
            )
    if scenario == "spike":
        rate = by[("flask", w)][0]["spike"]["offered_rps"]
        rows.append(
            [
                f"burst of {rate:g} req/s: answered correctly (req/s, by send time)",
                *pair(lambda s: s["spike"]["ok_rps"], 0),
            ]
        )
        rows.append(["errors during the burst (%)", *pair(lambda s: s["spike"]["error_pct"], 2)])
        rows.append(["p99 during the burst (ms)", *pair(lambda s: s["spike"]["p99_ms"])])
        rows.append(["recovery time (s)", *pair(lambda s: s["recovery_s"], 0, w, "not recovered")])
    if scenario == "bad_input":
        totals = {t: _outcome_totals(by[(t, w)]) for t in ("flask", "bento")}
        cells = []
        for t in ("flask", "bento"):
            invalid = sum(sum(c.values()) for k, c in totals[t].items() if k != "valid")
            scored = sum(c["200"] for k, c in totals[t].items() if k != "valid")
            errors5 = sum(c["5xx"] for k, c in totals[t].items() if k != "valid")
            cells.append(
                f"{100 * scored / invalid:.0f} % scored, {100 * errors5 / invalid:.0f} % 5xx"
            )
        rows.append(["invalid applications: 200 (scored) / 5xx", *cells, ""])
    if scenario == "batch":
        rows.append(["/classify p99 (ms)", *pair(lambda s: s["single"]["p99_ms"])])
        rows.append(["/classify_batch p99 (ms)", *pair(lambda s: s["batch"]["p99_ms"])])
        mean = agg(s["bento_batches"]["mean_batch_size"] for s in by[("bento", w)])
        rows.append(["BentoML mean adaptive batch (applications)", "no batching", fmt(mean, 2), ""])
    return scenario, rows


def build_index(index_dir: Path, reports: Sequence[Path]) -> Path:
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    first_runs = load_runs(Path(reports[0]).parent)
    meta = first_runs[0].meta
    lines = [
        "# Flask + gunicorn vs BentoML: all scenarios",
        "",
        f"- Machine: {meta['machine']['cpu_model']}, {meta['machine']['cpu_count']} CPUs, "
        f"{meta['machine']['platform']}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        _code_line(first_runs),
        f"- Model: {meta['model']['version']}; payloads: {meta['pool']['size']} "
        f"{meta['pool']['source']} test-split applications",
        "",
        "Median over repeats (min–max). Each scenario's report has the settings, every number, "
        "the charts and its limitations.",
        "",
    ]
    rows = []
    for report in reports:
        compare_dir = Path(report).parent
        scenario, headline = _headline(compare_dir)
        link = f"[{scenario}]({Path('..') / compare_dir.name / 'report.md'})"
        for i, row in enumerate(headline):
            rows.append([link if i == 0 else "", *row])
    lines += _table(
        ["scenario", "measure", NAMES["flask"], NAMES["bento"], "BentoML ÷ Flask"], rows
    )
    lines += ["", "What each scenario shows:", ""]
    for report in reports:
        scenario = load_runs(Path(report).parent)[0].scenario
        lines.append(f"- **{scenario}**: {PROPERTY[scenario]}.")
    path = index_dir / "index.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="+", type=Path, help="compare-<scenario>-<stamp> directories")
    parser.add_argument("--index", type=Path, help="also write an index.md here")
    args = parser.parse_args(argv)
    reports = [build_report(d) for d in args.dirs]
    for r in reports:
        print(r)
    if args.index:
        print(build_index(args.index, reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
