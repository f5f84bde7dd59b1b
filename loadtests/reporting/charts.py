"""Chart primitives for the reports (matplotlib, Agg backend, imported only when drawing).

Profiles side by side with shared axes (same scale for all), every repeat drawn or summarised
as median with min-max whiskers, phases marked, the SLO drawn where a scenario is judged by
it. A scenario's own charts (capacity curve, bad-input outcomes, ...) are built from these.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtests.core.timeline import Window, per_second, percentile, prefix
from loadtests.reporting.runs import Comparison, LoadedRun

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
PCT_STYLE = {0.5: ("p50", "-"), 0.95: ("p95", "--"), 0.99: ("p99", ":")}


def plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    return pyplot


def color(cmp: Comparison, profile: Any) -> str:
    name = profile if isinstance(profile, str) else profile.name
    return PALETTE[[p.name for p in cmp.profiles].index(name) % len(PALETTE)]


def save(fig: Any, path: Path, title: str | None = None) -> Path:
    if title:
        fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt().close(fig)
    return path


# --- per-second series -----------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """Per-second values of one run; t = middle of each second, relative to the first phase."""

    t: list[float]
    sent: list[float]
    ok: list[float]
    error_pct: list[float | None]
    windows: list[Window]


def series(run: LoadedRun) -> Series:
    seconds = per_second(run.rows, run.record.start, run.record.end, prefix(run.target))
    t0 = run.record.start
    return Series(
        t=[w.first + 0.5 - t0 for w in seconds],
        sent=[float(w.n) for w in seconds],
        ok=[float(w.n - w.failures) for w in seconds],
        error_pct=[100 * w.error_ratio if w.n else None for w in seconds],
        windows=seconds,
    )


def pooled_percentiles(runs: list[LoadedRun], qs: Sequence[float]) -> dict[Any, list]:
    """Per relative second, the percentiles of all repeats' requests pooled together."""
    pooled: dict[float, Counter] = {}
    for run in runs:
        s = series(run)
        for t, w in zip(s.t, s.windows, strict=True):
            # floor, not round: one run's t are n + the same fraction, and round() sends the
            # halves of a run that started on a whole second (0.5, 1.5, 2.5) to even numbers
            pooled.setdefault(math.floor(t) + 0.5, Counter()).update(w.hist)
    ts = sorted(pooled)
    return {"t": ts, **{q: [percentile(pooled[t], q) for t in ts] for q in qs}}


def nan(values: Sequence[float | None]) -> list[float]:
    return [float("nan") if v is None else v for v in values]


# --- axes helpers ----------------------------------------------------------------------------


def phase_marks(ax: Any, run: LoadedRun, labels: bool) -> None:
    schedule = run.record.schedule
    t0 = run.record.start
    span = max(run.record.end - t0, 1.0)
    many = len(schedule) > 6 or any((e.end or e.start) - e.start < 0.12 * span for e in schedule)
    for entry in schedule:
        x = entry.start - t0
        ax.axvline(x, color="#999999", linewidth=0.6, zorder=0)
        if labels:
            ax.text(
                x + 0.3,
                1.01,
                entry.label.replace("step ", "s"),
                transform=ax.get_xaxis_transform(),
                fontsize=6 if many else 7,
                color="#555555",
                va="bottom",
                rotation=90 if many else 0,
            )


def offered(ax: Any, run: LoadedRun) -> None:
    t0 = run.record.start
    xs, ys = [], []
    for entry in run.record.schedule:
        xs += [entry.start - t0, (entry.end or entry.start) - t0]
        ys += [entry.rate, entry.rate]
    ax.plot(xs, ys, color="black", linestyle="--", linewidth=1, label="offered")


def share_y(axes: Sequence[Any]) -> None:
    lows, highs = zip(*(ax.get_ylim() for ax in axes), strict=True)
    for ax in axes:
        ax.set_ylim(min(lows), max(highs))


def plain_ticks(ax: Any) -> None:
    from matplotlib.ticker import FuncFormatter, NullFormatter

    plain = FuncFormatter(lambda v, _pos: f"{v:g}")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(plain)
        axis.set_minor_formatter(NullFormatter())


def median_spread(values: Sequence[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def grouped_bars(
    ax: Any,
    groups: Sequence[str],
    bars: Sequence[tuple[str, str, Sequence[Sequence[float]]]],
    annotate: str = "{:.0f}",
) -> None:
    """One group of bars per label in ``groups``; ``bars`` = (label, color, values per group):
    median bar, min-max whisker and each value as a dot."""
    width = 0.8 / max(1, len(bars))
    for i, (label, colour, per_group) in enumerate(bars):
        for j, values in enumerate(per_group):
            if not values:
                continue
            med, lo, hi = median_spread(values)
            x = j + (i - (len(bars) - 1) / 2) * width
            ax.bar(x, med, width * 0.9, color=colour, label=label if j == 0 else None)
            ax.errorbar(x, med, yerr=[[med - lo], [hi - med]], color="black", capsize=3, lw=1)
            ax.scatter([x] * len(values), values, color="black", s=8, zorder=3)
            ax.annotate(annotate.format(med), (x, hi), textcoords="offset points",
                        xytext=(0, 3), ha="center", fontsize=8)  # fmt: skip
    ax.set_xticks(range(len(groups)), groups)
    ax.grid(True, axis="y", alpha=0.3)


# --- the default chart of every scenario -----------------------------------------------------


def timeseries(cmp: Comparison, workers: int, path: Path, title: str) -> Path:
    """Rows: requests/s, latency percentiles (pooled over repeats), errors; a column per
    profile."""
    pyplot = plt()
    profiles = [p for p in cmp.profiles if cmp.runs_of(p, workers)]
    fig, axes = pyplot.subplots(
        3, len(profiles), figsize=(5.5 * len(profiles) + 1, 9.5), squeeze=False
    )
    for col, profile in enumerate(profiles):
        runs = cmp.runs_of(profile, workers)
        colour = color(cmp, profile)
        ax_rps, ax_lat, ax_err = axes[0][col], axes[1][col], axes[2][col]
        for i, run in enumerate(runs):
            s = series(run)
            ax_rps.plot(s.t, s.sent, color=colour, alpha=0.4, linewidth=2.5,
                        label="sent" if i == 0 else None)  # fmt: skip
            ax_rps.plot(s.t, s.ok, color=colour, linewidth=1,
                        label="answered correctly" if i == 0 else None)  # fmt: skip
            ax_err.plot(s.t, nan(s.error_pct), color=colour, linewidth=1, alpha=0.8, marker=".",
                        markersize=3, label=f"repeat {run.record.repeat}")  # fmt: skip
        offered(ax_rps, runs[0])
        pooled = pooled_percentiles(runs, tuple(PCT_STYLE))
        for q, (name, style) in PCT_STYLE.items():
            ax_lat.plot(pooled["t"], nan(pooled[q]), color=colour, linestyle=style,
                        linewidth=1.2, label=name)  # fmt: skip
        slo = runs[0].knobs.slo_p99_ms
        ax_lat.axhline(slo, color="red", linewidth=0.8, alpha=0.6, label=f"SLO p99 {slo:g} ms")
        ax_lat.set_yscale("log")
        for row, ax in enumerate((ax_rps, ax_lat, ax_err)):
            phase_marks(ax, runs[0], labels=row == 0)
            ax.grid(True, alpha=0.3)
        ax_rps.set_title(f"{profile.label} ({len(runs)} repeats)", fontsize=11, pad=50)
        ax_rps.set_ylabel("requests / s (by send time)")
        ax_lat.set_ylabel("latency, ms (per second, repeats pooled)")
        ax_err.set_ylabel("failed requests, % (per second)")
        ax_err.set_xlabel("seconds since the first phase started")
        ax_rps.set_ylim(bottom=0)
        ax_rps.legend(fontsize=7, loc="lower center")
        ax_lat.legend(fontsize=7, loc="best", ncol=4)
        ax_err.legend(fontsize=7, loc="upper left")
    for row in range(3):
        share_y(axes[row])
    right = max(ax.get_xlim()[1] for ax in axes.flat)
    for ax in axes.flat:  # the same time axis everywhere
        ax.set_xlim(-0.5, right)
    for ax in axes[2]:
        ax.set_ylim(0, max(ax.get_ylim()[1], 1.0))
    return save(fig, path, title)
