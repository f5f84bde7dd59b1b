"""The crossover report: capacity (applications/s) of each way of serving against the model's
cost per call, and the cost from which adaptive batching beats one call per request."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

from loadtests.reporting import markdown
from loadtests.reporting.runs import load_run
from loadtests.reporting.stats import agg, fmt

RUN_DIR = re.compile(r"^(?P<mode>.+)-c(?P<cost>[0-9.]+)-r(?P<repeat>\d+)$")


def _points(out: Path) -> dict[str, dict[float, list]]:
    points: dict[str, dict[float, list]] = defaultdict(lambda: defaultdict(list))
    for run_json in sorted((out / "runs").glob("*/run.json")):
        match = RUN_DIR.match(run_json.parent.name)
        if match:
            run = load_run(run_json.parent)
            points[match["mode"]][float(match["cost"])].append(run)
    return points


def crossover_cost(points, better: str, worse: str, factor: float = 1.0) -> float | None:
    """The smallest cost from which ``better`` holds >= factor x ``worse`` at every cost."""
    costs = sorted(set(points[better]) & set(points[worse]))
    found = None
    for cost in reversed(costs):
        b = agg(r.summary.applications_per_s for r in points[better][cost]).median
        w = agg(r.summary.applications_per_s for r in points[worse][cost]).median
        if b is None or w is None or b < factor * w:
            break
        found = cost
    return found


def build(out: Path) -> Path:
    from loadtests.harness.crossover import MODES

    points = _points(out)
    modes = [(key, label) for key, label, _p, _k in MODES if key in points]
    costs = sorted({c for key, _ in modes for c in points[key]})
    first = next(iter(points[modes[0][0]].values()))[0].record
    rows = []
    for cost in costs:
        row = [f"{cost:g}"]
        for key, _label in modes:
            runs = points[key].get(cost, [])
            text = fmt(agg(r.summary.applications_per_s for r in runs), 0, "none held")
            calls = agg(r.summary.requests_per_call for r in runs)
            if calls.median:
                text += f" ({calls.median:.1f} per call)"
            row.append(text)
        rows.append(row)
    flat = crossover_cost(points, "bento-adaptive", "flask-single")
    triple = crossover_cost(points, "bento-adaptive", "flask-single", 3.0)
    repeats = max(len(v) for key, _ in modes for v in points[key].values())
    statement = (
        f"BentoML's adaptive batching holds more applications/s than Flask with one call per "
        f"request from a model cost of {flat:g} ms per call on"
        if flat is not None
        else "BentoML's adaptive batching never held more applications/s than Flask with one call "
        "per request at these costs"
    ) + (
        f", and at least 3× as many from {triple:g} ms." if triple is not None else
        "; it never reached 3× Flask's."
    )  # fmt: skip
    chart = _chart(points, modes, out / "crossover.png")
    lines = [
        "# Where batching pays: capacity against the model's cost per call",
        "",
        *markdown.bullets(
            [
                f"Runs: {first.date}; machine: {first.machine.cpu_model}, {first.machine.cpu_count}"
                f" CPUs; BentoML {first.versions.get('bentoml')}, gunicorn "
                f"{first.versions.get('gunicorn')}; model {first.model.version}",
                f"CPU budget: {first.budget.statement}",
                "Model cost: a labelled synthetic CPU cost per model call added to the real model "
                "(setting model_cost_ms, shared/predictor.py; whatever the rows in the call); 0 = "
                "the real XGBoost model alone (~0.26 ms per call for one row, docs/performance.md)",
                f"Each point: the highest step (x1.25) holding p99 <= {first.knobs['slo_p99_ms']:g}"
                f" ms, errors <= {first.knobs['slo_error_pct']:g} %; {repeats} repeat(s), median",
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
        "costs": costs,
        "modes": {
            key: {
                f"{c:g}": agg(r.summary.applications_per_s for r in points[key][c]).median
                for c in costs
                if c in points[key]
            }
            for key, _ in modes
        },
        "crossover_ms": flat,
        "three_times_ms": triple,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return markdown.write(out / "crossover.md", lines)


def _chart(points, modes, path: Path) -> Path:
    from loadtests.reporting import charts

    fig, ax = charts.plt().subplots(figsize=(8, 5))
    for i, (key, label) in enumerate(modes):
        costs = sorted(points[key])
        meds = [agg(r.summary.applications_per_s for r in points[key][c]).median for c in costs]
        ax.plot(costs, charts.nan(meds), marker="o", color=charts.PALETTE[i], label=label,
                linestyle="--" if "batch" in key or "adaptive" in key else "-")  # fmt: skip
    ax.set_xlabel("model cost per call, ms (synthetic, added to the real model)")
    ax.set_ylabel("capacity at the SLO, applications / s")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return charts.save(fig, path, "where batching pays")
