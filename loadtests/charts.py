"""PNG charts for the comparison reports (matplotlib, Agg; imported only when drawing).

Flask and BentoML side by side with shared axes (same scale on both sides), every repeat
drawn (thin lines) or summarised as median with min-max bars; phases marked; the SLO drawn
where the scenario is judged against it.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from loadtests.payloads import INVALID_KINDS
from loadtests.results import RunData, pooled_percentiles, series

COLORS = {"flask": "#1f77b4", "bento": "#ff7f0e"}
NAMES = {"flask": "Flask + gunicorn", "bento": "BentoML"}
PCT_STYLE = {0.5: ("p50", "-"), 0.95: ("p95", "--"), 0.99: ("p99", ":")}
OUTCOME_COLORS = {"4xx": "#2ca02c", "5xx": "#ff7f0e", "200": "#d62728", "other": "#7f7f7f"}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _phase_marks(ax, run: RunData, labels: bool) -> None:
    t0 = run.start
    schedule = run.meta["schedule"]
    span = max(schedule[-1]["end"] - t0, 1.0)
    # many phases, or one too short for a horizontal label: write them vertically
    many = len(schedule) > 6 or any(e["end"] - e["start"] < 0.12 * span for e in schedule)
    for entry in run.meta["schedule"]:
        x = entry["start"] - t0
        ax.axvline(x, color="#999999", linewidth=0.6, zorder=0)
        if labels:
            ax.text(
                x + 0.3,
                1.01,
                entry["label"].replace("step ", "s"),
                transform=ax.get_xaxis_transform(),
                fontsize=6 if many else 7,
                color="#555555",
                va="bottom",
                rotation=90 if many else 0,
            )


def _offered(ax, run: RunData) -> None:
    t0 = run.start
    xs, ys = [], []
    for entry in run.meta["schedule"]:
        xs += [entry["start"] - t0, entry["end"] - t0]
        ys += [entry["rate"], entry["rate"]]
    ax.plot(xs, ys, color="black", linestyle="--", linewidth=1, label="offered")


def _nan(values: Sequence[float | None]) -> list[float]:
    return [float("nan") if v is None else v for v in values]


def timeseries(runs_by_target: dict[str, list[RunData]], path: Path, title: str) -> Path:
    """Rows: requests/s, latency percentiles (pooled over repeats), errors; columns: targets."""
    plt = _plt()
    targets = [t for t in ("flask", "bento") if runs_by_target.get(t)]
    fig, axes = plt.subplots(3, len(targets), figsize=(6.5 * len(targets), 9.5), squeeze=False)
    for col, target in enumerate(targets):
        runs = sorted(runs_by_target[target], key=lambda r: r.repeat)
        color = COLORS[target]
        ax_rps, ax_lat, ax_err = axes[0][col], axes[1][col], axes[2][col]
        for i, run in enumerate(runs):
            s = series(run)
            first = i == 0
            ax_rps.plot(
                s.t, s.sent, color=color, alpha=0.4, linewidth=2.5, label="sent" if first else None
            )
            ax_rps.plot(
                s.t, s.ok, color=color, linewidth=1, label="answered correctly" if first else None
            )
            ax_err.plot(
                s.t,
                _nan(s.error_pct),
                color=color,
                linewidth=1,
                alpha=0.8,
                marker=".",
                markersize=3,
                label=f"repeat {run.repeat}",
            )
        _offered(ax_rps, runs[0])
        pooled = pooled_percentiles(runs, tuple(PCT_STYLE))
        for q, (name, style) in PCT_STYLE.items():
            ax_lat.plot(
                pooled["t"],
                _nan(pooled[q]),
                color=color,
                linestyle=style,
                linewidth=1.2,
                label=name,
            )
        slo = runs[0].params.slo_p99_ms
        ax_lat.axhline(slo, color="red", linewidth=0.8, alpha=0.6, label=f"SLO p99 {slo:g} ms")
        ax_lat.set_yscale("log")
        for row, ax in enumerate((ax_rps, ax_lat, ax_err)):
            _phase_marks(ax, runs[0], labels=row == 0)
            ax.grid(True, alpha=0.3)
        ax_rps.set_title(f"{NAMES[target]} ({len(runs)} repeats)", fontsize=11, pad=50)
        ax_rps.set_ylabel("requests / s (by send time)")
        ax_lat.set_ylabel("latency, ms (per second, repeats pooled)")
        ax_err.set_ylabel("failed requests, % (per second)")
        ax_err.set_xlabel("seconds since the first phase started")
        ax_rps.set_ylim(bottom=0)
        ax_err.set_ylim(bottom=0)
        ax_rps.legend(fontsize=7, loc="lower center")
        ax_lat.legend(fontsize=7, loc="best", ncol=4)
        ax_err.legend(fontsize=7, loc="upper left")
    for row in range(3):
        _share_y(axes[row])
    right = max(ax.get_xlim()[1] for ax in axes.flat)
    for ax in axes.flat:  # the same time axis on both sides
        ax.set_xlim(-0.5, right)
    for ax in axes[2]:
        low, high = ax.get_ylim()
        ax.set_ylim(0, max(high, 1.0))
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _share_y(row: Sequence[Any]) -> None:
    lows, highs = zip(*(ax.get_ylim() for ax in row), strict=True)
    for ax in row:
        ax.set_ylim(min(lows), max(highs))


def _plain_ticks(ax) -> None:
    from matplotlib.ticker import FuncFormatter, NullFormatter

    plain = FuncFormatter(lambda v, _pos: f"{v:g}")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(plain)
        axis.set_minor_formatter(NullFormatter())


def _median_spread(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def capacity_curve(
    steps: dict[tuple[str, int], list[list[dict[str, Any]]]], slo_ms: float, path: Path
) -> Path:
    """p99 against offered rate per step: median over repeats with min-max bars, SLO line."""
    plt = _plt()
    counts = sorted({w for _, w in steps})
    fig, axes = plt.subplots(1, len(counts), figsize=(6.5 * len(counts), 4.8), squeeze=False)
    for col, workers in enumerate(counts):
        ax = axes[0][col]
        for target in ("flask", "bento"):
            repeats = steps.get((target, workers))
            if not repeats:
                continue
            by_rate: dict[float, list[float]] = {}
            verdicts: dict[float, list[bool]] = {}
            for rep in repeats:
                for step in rep:
                    verdicts.setdefault(step["offered_rps"], []).append(step["slo_ok"])
                    if step["p99_ms"] is not None:
                        by_rate.setdefault(step["offered_rps"], []).append(step["p99_ms"])
            rates = sorted(by_rate)
            med, lo, hi = zip(*(_median_spread(by_rate[r]) for r in rates), strict=True)
            ax.errorbar(
                rates,
                med,
                yerr=[
                    [m - a for m, a in zip(med, lo, strict=True)],
                    [b - m for m, b in zip(med, hi, strict=True)],
                ],
                color=COLORS[target],
                marker="o",
                markersize=3,
                capsize=2,
                linewidth=1.2,
                label=f"{NAMES[target]} (median, min-max of {len(repeats)})",
            )
            # steps most repeats failed (by p99, errors or the rate actually sent)
            broken = [r for r in rates if sum(not ok for ok in verdicts[r]) * 2 > len(verdicts[r])]
            ax.scatter(
                broken,
                [statistics.median(by_rate[r]) for r in broken],
                marker="x",
                s=60,
                color="black",
                zorder=4,
                label="SLO broken (most repeats)" if target == "bento" else None,
            )
        ax.axhline(slo_ms, color="red", linestyle="--", linewidth=1, label=f"SLO p99 {slo_ms:g} ms")
        ax.set_xscale("log")
        ax.set_yscale("log")
        _plain_ticks(ax)
        all_rates = sorted(
            {
                st["offered_rps"]
                for (t, w), reps in steps.items()
                if w == workers
                for rep in reps
                for st in rep
            }
        )
        ax.set_xticks(all_rates, [f"{r:g}" for r in all_rates], rotation=45, fontsize=8)
        ax.set_xlabel("offered rate, requests / s (log)")
        ax.set_ylabel("p99 latency in the step, ms (log)")
        ax.set_title(f"{workers} server worker(s)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    _share_y(axes[0])
    fig.suptitle("capacity: latency against arrival rate", fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def capacity_workers(
    sustained: dict[tuple[str, int], list[float | None]],
    capped: dict[tuple[str, int], bool],
    path: Path,
) -> Path:
    """Highest sustained rate per worker count: median bar, min-max whisker, each repeat a dot;
    '>=' where a repeat reached the plan's last step without breaking the SLO."""
    plt = _plt()
    counts = sorted({w for _, w in sustained})
    fig, ax = plt.subplots(figsize=(7, 4.5))
    width = 0.38
    for i, target in enumerate(("flask", "bento")):
        for j, workers in enumerate(counts):
            values = [v or 0.0 for v in sustained.get((target, workers), [])]
            if not values:
                continue
            med, lo, hi = _median_spread(values)
            x = j + (i - 0.5) * width
            ax.bar(
                x, med, width * 0.9, color=COLORS[target], label=NAMES[target] if j == 0 else None
            )
            ax.errorbar(
                x, med, yerr=[[med - lo], [hi - med]], color="black", capsize=4, linewidth=1
            )
            ax.scatter([x] * len(values), values, color="black", s=8, zorder=3)
            ax.annotate(
                (">=" if capped.get((target, workers)) else "") + f"{med:.0f}",
                (x, hi),
                textcoords="offset points",
                xytext=(0, 4),
                ha="center",
                fontsize=9,
            )
    ax.set_xticks(range(len(counts)), [f"{w} worker(s)" for w in counts])
    ax.set_ylabel("highest sustained rate, requests / s")
    ax.set_title("capacity vs server workers (SLO: p99 and errors; median, min-max, repeats)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def bad_input(outcomes: dict[str, dict[str, dict[str, int]]], path: Path) -> Path:
    """Per request kind, the share of right answers (4xx for invalid, 200 for valid), wrong
    ones (an invalid application scored, a valid one rejected), 5xx and no answer."""
    plt = _plt()
    targets = [t for t in ("flask", "bento") if t in outcomes]
    kinds = ["valid", *INVALID_KINDS]
    fig, axes = plt.subplots(1, len(targets), figsize=(6.5 * len(targets), 5), squeeze=False)
    colors = {"right": "#2ca02c", "wrong": "#d62728", "5xx": "#ff7f0e", "other": "#7f7f7f"}
    for col, target in enumerate(targets):
        ax = axes[0][col]
        for y, kind in enumerate(kinds):
            counts = outcomes[target].get(kind, {})
            total = sum(counts.values())
            right, wrong = ("200", "4xx") if kind == "valid" else ("4xx", "200")
            parts = [
                ("right", right, counts.get(right, 0)),
                ("wrong", wrong, counts.get(wrong, 0)),
                ("5xx", "5xx", counts.get("5xx", 0)),
                ("other", "none", counts.get("other", 0)),
            ]
            left = 0.0
            for category, status, n in parts:
                share = 100 * n / total if total else 0.0
                if not share:
                    continue
                ax.barh(y, share, left=left, color=colors[category])
                if share >= 12:
                    ax.text(left + share / 2, y, status, ha="center", va="center", fontsize=8,
                            color="white")  # fmt: skip
                left += share
            ax.text(101, y, f"n={total}", va="center", fontsize=7)
        ax.set_yticks(range(len(kinds)), kinds if col == 0 else [""] * len(kinds))
        ax.set_ylim(len(kinds) - 0.5, -0.5)  # first kind on top
        ax.set_xlim(0, 112)
        ax.set_xlabel("% of requests of that kind (all repeats)")
        ax.set_title(NAMES[target])
        ax.grid(True, axis="x", alpha=0.3)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colors.values()]
    labels = [
        "right answer (4xx for invalid, 200 for valid)",
        "wrong answer (invalid scored with 200, valid rejected)",
        "5xx: server error",
        "no answer",
    ]
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8)
    fig.suptitle("bad input: what each server answered, per kind of request", fontsize=12)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def batch(summaries: dict[str, list[dict[str, Any]]], path: Path) -> Path:
    """Single vs batch path per server: answered rate and p99 (median, min-max); batch sizes."""
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    paths = ("single", "batch")
    width = 0.38
    for metric, ax, label in (
        ("ok_rps", axes[0], "answered correctly, requests / s"),
        ("p99_ms", axes[1], "p99 latency, ms"),
    ):
        for i, target in enumerate(("flask", "bento")):
            for j, which in enumerate(paths):
                values = [
                    s[which][metric]
                    for s in summaries.get(target, [])
                    if s[which][metric] is not None
                ]
                if not values:
                    continue
                med, lo, hi = _median_spread(values)
                x = j + (i - 0.5) * width
                ax.bar(
                    x,
                    med,
                    width * 0.9,
                    color=COLORS[target],
                    label=NAMES[target] if j == 0 else None,
                )
                ax.errorbar(x, med, yerr=[[med - lo], [hi - med]], color="black", capsize=4)
                ax.annotate(
                    f"{med:.0f}",
                    (x, hi),
                    textcoords="offset points",
                    xytext=(0, 3),
                    ha="center",
                    fontsize=8,
                )
        ax.set_xticks(range(2), ["/classify", "/classify_batch"])
        ax.set_ylabel(label)
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    ax = axes[2]
    bento_runs = [
        s["bento_batches"] for s in summaries.get("bento", []) if s["bento_batches"]["batches"]
    ]
    if bento_runs:
        labels = list(bento_runs[0]["size_buckets"])
        totals = [sum(r["size_buckets"].get(k, 0) for r in bento_runs) for k in labels]
        keep = [i for i, v in enumerate(totals) if v]
        ax.bar([labels[i] for i in keep], [totals[i] for i in keep], color=COLORS["bento"])
        ax.set_xlabel("applications per model call (histogram bucket)")
        ax.set_ylabel(f"batches (all {len(bento_runs)} repeats)")
        ax.set_title("BentoML adaptive batch sizes (/metrics)")
        ax.grid(True, axis="y", alpha=0.3)
    else:
        ax.set_axis_off()
    fig.suptitle("batch: same application rate on the single and the batch path", fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
