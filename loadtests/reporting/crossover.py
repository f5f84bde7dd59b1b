"""The crossover report: capacity (applications/s) of each way of serving against the model's
cost per call, the cost from which adaptive batching beats one call per request, and the same
four ways serving the real heavy model (placed on the chart at its measured cost per call)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

from loadtests.reporting import markdown
from loadtests.reporting.report import host_speed
from loadtests.reporting.runs import load_run
from loadtests.reporting.stats import NEVER_HELD, agg, fmt

RUN_DIR = re.compile(r"^(?P<mode>.+)-(?:c(?P<cost>[0-9.]+)|(?P<heavy>heavy))-r(?P<repeat>\d+)$")


def _points(out: Path) -> tuple[dict[str, dict[float, list]], dict[str, list]]:
    """({mode: {synthetic cost: runs}}, {mode: runs with the real heavy model})."""
    points: dict[str, dict[float, list]] = defaultdict(lambda: defaultdict(list))
    heavy: dict[str, list] = defaultdict(list)
    for run_json in sorted((out / "runs").glob("*/run.json")):
        match = RUN_DIR.match(run_json.parent.name)
        if match:
            run = load_run(run_json.parent)
            if match["heavy"]:
                heavy[match["mode"]].append(run)
            else:
                points[match["mode"]][float(match["cost"])].append(run)
    return points, heavy


def _capacity_cell(runs: list) -> str:
    text = fmt(agg((r.summary.applications_per_s for r in runs), NEVER_HELD), 0, "none held")
    calls = agg(r.summary.requests_per_call for r in runs)
    if calls.median:
        text += f" ({calls.median:.1f} per call)"
    return text


def _median(runs: list) -> float | None:
    return agg((r.summary.applications_per_s for r in runs), NEVER_HELD).median


def _model_line(name: str, m: dict) -> str:
    return (
        f"{name} model {m['version']} ({m['trees']} trees of depth {m['max_depth']}, test AUC "
        f"{m['test_auc']:.3f}): {m['one_row_ms']:.2f} ms per call of one row, "
        f"{m['per_row_ms'] * 1000:.0f} µs per further row in the same call (timed in-process, "
        "one thread)"
    )


def crossover_cost(points, better: str, worse: str, factor: float = 1.0) -> float | None:
    """The smallest cost from which ``better`` holds >= factor x ``worse`` at every cost."""
    costs = sorted(set(points[better]) & set(points[worse]))
    found = None
    for cost in reversed(costs):
        b = agg((r.summary.applications_per_s for r in points[better][cost]), NEVER_HELD).median
        w = agg((r.summary.applications_per_s for r in points[worse][cost]), NEVER_HELD).median
        if b is None or w is None or b < factor * w:
            break
        found = cost
    return found


def build(out: Path) -> Path:
    from loadtests.harness.crossover import MODES

    points, heavy = _points(out)
    models_file = out / "models.json"
    models = json.loads(models_file.read_text()) if models_file.exists() else {}
    modes = [(key, label) for key, label, _p, _k in MODES if key in points or key in heavy]
    costs = sorted({c for key, _ in modes for c in points[key]})
    records = [r.record for key, _ in modes for r in [*sum(points[key].values(), []), *heavy[key]]]
    first = records[0]
    dates = sorted(r.date for r in records)
    rows = [
        [f"{cost:g}", *(_capacity_cell(points[key].get(cost, [])) for key, _ in modes)]
        for cost in costs
    ]
    if heavy:
        cost = models.get("heavy", {}).get("one_row_ms")
        name = "**real heavy model**" + (f" ({cost:.1f} ms per call)" if cost else "")
        rows.append([name, *(_capacity_cell(heavy.get(key, [])) for key, _ in modes)])
    heavy_ratio = None
    if heavy.get("bento-adaptive") and heavy.get("flask-single"):
        b, f = _median(heavy["bento-adaptive"]), _median(heavy["flask-single"])
        heavy_ratio = b / f if b and f else None
    flat = crossover_cost(points, "bento-adaptive", "flask-single")
    triple = crossover_cost(points, "bento-adaptive", "flask-single", 3.0)
    repeats = max(len(v) for key, _ in modes for v in [*points[key].values(), heavy[key]])
    statement = (
        f"BentoML's adaptive batching holds at least as many applications/s as Flask with one "
        f"call per request from a model cost of {flat:g} ms per call on"
        if flat is not None
        else "BentoML's adaptive batching never held more applications/s than Flask with one call "
        "per request at these costs"
    ) + (
        f", and at least 3× as many from {triple:g} ms." if triple is not None else
        "; it never reached 3× Flask's."
    ) + (
        f" Serving the real heavy model, it holds {heavy_ratio:.1f}× Flask's one-per-request "
        "capacity." if heavy_ratio else ""
    )  # fmt: skip
    chart = _chart(points, heavy, models, modes, out / "crossover.png")
    lines = [
        "# Where batching pays: capacity against the model's cost per call",
        "",
        *markdown.bullets(
            [
                f"Runs: {first.date}; machine: {first.machine.cpu_model}, {first.machine.cpu_count}"
                f" CPUs; BentoML {first.versions.get('bentoml')}, gunicorn "
                f"{first.versions.get('gunicorn')}; model {first.model.version}",
                f"CPU budget: {first.budget.statement}",
                "Model cost: a labelled synthetic CPU cost per model call added to the course "
                "model (setting model_cost_ms, shared/predictor.py; the same whatever the rows in "
                "the call); 0 = the course model alone",
                *(_model_line(name, m) for name, m in models.items()),
                f"Each point: the highest step (x1.25) holding p99 <= {first.knobs['slo_p99_ms']:g}"
                f" ms, errors <= {first.knobs['slo_error_pct']:g} %; {repeats} repeat(s), median",
                host_speed(records),
            ]
        ),
        "",
        *markdown.table(["model cost (ms per call)", *(label for _, label in modes)], rows),
        "",
        f"**{statement}**",
        "",
        *markdown.image(chart.name, "capacity against model cost"),
    ]
    summary = {
        "dates": [dates[0], dates[-1]],
        "machine": f"{first.machine.cpu_model}, {first.machine.cpu_count} CPUs",
        "costs": costs,
        "modes": {
            key: {
                f"{c:g}": agg(
                    (r.summary.applications_per_s for r in points[key][c]), NEVER_HELD
                ).median
                for c in costs
                if c in points[key]
            }
            for key, _ in modes
        },
        "crossover_ms": flat,
        "three_times_ms": triple,
        "heavy": {key: _median(runs) for key, runs in heavy.items()},
        "heavy_adaptive_vs_flask_single": heavy_ratio,
        "host": host_speed(records),
        "models": models,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return markdown.write(out / "crossover.md", lines)


def _chart(points, heavy, models, modes, path: Path) -> Path:
    from loadtests.reporting import charts

    fig, ax = charts.plt().subplots(figsize=(8, 5))
    at = models.get("heavy", {}).get("one_row_ms")
    for i, (key, label) in enumerate(modes):
        costs = sorted(points[key])
        meds = [_median(points[key][c]) for c in costs]
        ax.plot(costs, charts.nan(meds), marker="o", color=charts.PALETTE[i], label=label,
                linestyle="--" if "batch" in key or "adaptive" in key else "-")  # fmt: skip
        if heavy.get(key) and at and _median(heavy[key]):
            ax.plot([at], [_median(heavy[key])], marker="*", markersize=14, linestyle="none",
                    color=charts.PALETTE[i], markeredgecolor="black")  # fmt: skip
    if heavy and at:
        label = "real heavy model, at its cost per call"
        ax.plot([], [], marker="*", markersize=12, linestyle="none", color="grey",
                markeredgecolor="black", label=label)  # fmt: skip
    ax.set_xlabel("model cost per call, ms (synthetic, added to the course model)")
    ax.set_ylabel("capacity at the SLO, applications / s")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return charts.save(fig, path, "where batching pays")
