"""Comparison reports: report.md + PNG charts per scenario, and an index over scenarios.

    python -m loadtests report reports/compare-steady-<stamp>          (make load-report)

The header, the settings, the limitations and the file list are the same for every scenario;
the results, the headline and the charts come from the scenario's own module. Every figure is
the median over the repeats with the min-max spread beside it, and ratios are of medians
measured in the same comparison. A comparison whose runs are incomplete or not like for like
is refused (loadtests.reporting.runs).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from loadtests.reporting import markdown, tables
from loadtests.reporting.runs import Comparison, LoadedRun, load_comparison, per_target
from loadtests.reporting.stats import NEVER_HELD

NOISE_PCT = 20.0  # other processes above this share of a core make a run "noisy"
SLOWED = 1.3  # a speed probe this much slower than the runs' median: the host slowed
STEAL_PCT = 5.0  # of one core, taken by the hypervisor for other guests


def _settings(cmp: Comparison) -> list[str]:
    """What each server says about itself (GET /info), and the profile behind it."""
    columns: list[tuple[str, LoadedRun]] = []
    for profile in cmp.profiles:
        for workers in cmp.worker_counts:
            runs = cmp.runs_of(profile, workers)
            if runs:
                columns.append((profile.label, runs[0]))
    if len(columns) > 4:  # a ladder of many profiles: a row per server reads better
        rows = [
            [
                label,
                run.record.profile.name,
                _workers_text(run),
                run.record.server.cpus or "not pinned",
                _settings_text(run),
                "; ".join(
                    f"{k}: {_shown(v)}"
                    for k, v in run.record.server.reported.items()
                    if k != "workers"
                ),  # fmt: skip
            ]
            for label, run in columns
        ]
        header = [
            "server",
            "profile",
            "workers",
            "CPUs",
            "profile settings",
            "as it reports itself",
        ]
        return markdown.table(header, rows)
    keys = list(dict.fromkeys(k for _, run in columns for k in run.record.server.reported))
    rows = [
        ["profile", *(run.record.profile.name for _, run in columns)],
        ["profile settings", *(_settings_text(run) for _, run in columns)],
        ["workers", *(_workers_text(run) for _, run in columns)],
        ["CPUs", *(run.record.server.cpus or "not pinned" for _, run in columns)],
    ]
    for key in keys:
        if key == "workers":
            continue  # in the row above, checked against what the run started
        rows.append(
            [
                key.replace("_", " "),
                *(_shown(run.record.server.reported.get(key, "–")) for _, run in columns),
            ]
        )
    return markdown.table(["", *(label for label, _ in columns)], rows)


def _shown(value: Any) -> str:
    """A reported value as printed: an absolute path only by its last part (reports are
    published; a machine's paths are not)."""
    text = str(value)
    if text.startswith("/") and " " not in text:
        return ".../" + text.rstrip("/").rsplit("/", 1)[-1]
    return text


def _workers_text(run: LoadedRun) -> str:
    started, reported = run.record.server.workers, run.record.server.reported.get("workers")
    text = str(started) if started is not None else "not known (external server)"
    if reported is not None and reported != started:
        text += f" (the server reports {reported})"
    return text


def _settings_text(run: LoadedRun) -> str:
    settings = run.record.profile.settings
    return ", ".join(f"{k}={v}" for k, v in settings.items()) or "defaults"


def _code_line(runs: Sequence[LoadedRun]) -> str:
    shas = sorted({r.record.code.sha[:12] for r in runs})
    dirty = any(r.record.code.dirty for r in runs)
    code = runs[0].record.code
    server = (code.server_code_sha256 or "external")[:12]
    return (
        f"- Code: git {', '.join(shas)}"
        + (" (with uncommitted changes)" if dirty else "")
        + f"; sha256 of the servers' code {server}, of the load generator's "
        f"{code.load_code_sha256[:12]} (identical in every run)"
    )


def _header(cmp: Comparison) -> list[str]:
    first = cmp.first
    dates = sorted(r.record.date for r in cmp.runs)
    mach, pool, k = first.machine, first.pool, cmp.knobs
    own = per_target(type(k))
    knobs = ", ".join(
        f"{n}=(each server's own)" if n in own and v else f"{n}={v:g}" if isinstance(v, float)
        else f"{n}={v}"
        for n, v in k.model_dump().items()
    )  # fmt: skip
    return [
        f"# {cmp.scenario.name}: {' vs '.join(p.label for p in cmp.profiles)}",
        "",
        f"**Shows:** {cmp.scenario.shows}.",
        "",
        *markdown.bullets(
            [
                f"Runs: {dates[0]} – {dates[-1]} ({len(cmp.runs)} runs)",
                f"Machine: {mach.cpu_model}, {mach.cpu_count} CPUs ({mach.cpus_usable} usable), "
                f"{mach.platform}, Python {mach.python}",
                "Versions: " + ", ".join(f"{n} {v}" for n, v in first.versions.items()),
            ]
        ),
        _code_line(cmp.runs),
        *markdown.bullets(
            [
                f"Model: {first.model.version} ({first.model.data_source} data), the same artifact "
                "and Predictor code on every server",
                f"Payloads: {pool.size} applications, {pool.source} data, {pool.split} split, "
                f"seed {pool.seed}",
                f"Plan: {first.plan}; {k.user_rate:g} req/s per simulated user; SLO p99 <= "
                f"{k.slo_p99_ms:g} ms and errors <= {k.slo_error_pct:g} %; clients wait "
                f"{k.client_timeout:g} s",
                f"Knobs: {knobs}",
            ]
        ),
        "",
        "Servers (as each reports itself at GET /info; identical apart from what each is):",
        "",
        *_settings(cmp),
        "",
    ]


def _limitations(cmp: Comparison) -> list[str]:
    runs = [r.record for r in cmp.runs]
    k = cmp.knobs
    items = [
        "Loopback only: client and servers share one host and its kernel; no network latency, no "
        "TLS, no proxy. Absolute numbers are this machine's; the ratios measured side by side "
        "are what this report is about.",
        "Same host for load generator and servers: locust (Python, FastHttpUser) competes for "
        "memory bandwidth and caches even when pinned to its own core; its latency resolution is "
        "~1 ms (locust rounds) and its timing includes its own scheduling delays.",
        f"{max(r.repeat for r in runs)} repeat(s) per server: the spread shown is min–max, not a "
        "confidence interval; differences inside the spread are noise.",
        "Open workload only while a response takes less than 1/user_rate "
        f"({1000 / k.user_rate:.0f} ms): slower than that, a simulated user sends late and the "
        "'sent' rate drops below the offered one (shown in the tables).",
        "All servers stay up for all runs at a worker count; the idle ones' CPU is measured with "
        f"every run (max {_max_neighbour(cmp):.2f} CPU-s during a run).",
        "Latency is measured at the client from request start to the last byte; requests are "
        "placed in the second they were sent.",
    ]
    for statement in sorted({r.budget.statement for r in runs}):
        items.append(f"CPU budget: {statement}")
    if any(r.budget.server_cpus is None for r in runs):
        items.append("Servers were NOT pinned: they competed with locust for every core.")
    if any(r.budget.shared for r in runs if r.budget.server_cpus is not None):
        items.append(
            "Where a server SHARES a core with locust (more workers than free cores), its numbers "
            "are what is left after the load generator's share: they understate what dedicated "
            "cores would give, for every profile alike."
        )
    warned = [r.run_id for r in runs if r.load_generator.cpu_warning]
    if warned:
        items.append(
            f"**Load generator CPU warning** (locust above 90 % CPU) in {len(warned)} run(s): "
            + ", ".join(warned)
            + ". Those runs may be limited by locust, not by the server."
        )
    else:
        items.append("Locust never hit its CPU warning (90 %) in these runs.")
    noisy = [
        (r.run_id, r.host.other_cpu_percent) for r in runs if r.host.other_cpu_percent > NOISE_PCT
    ]
    if noisy:
        items.append(
            "**Other processes used CPU during some runs** (host noise, % of one core): "
            + ", ".join(f"{rid} {pct:.0f} %" for rid, pct in noisy)
            + ". Those runs' numbers are less reliable."
        )
    else:
        items.append(
            f"Other processes used less than {NOISE_PCT:.0f} % of a core during every run."
        )
    items.append(host_speed(runs))
    restarted = [r.run_id for r in runs if r.restarted_before_run]
    if restarted:
        items.append(f"A server had died and was restarted before: {', '.join(restarted)}.")
    return markdown.bullets(items)


def host_speed(runs: list) -> str:
    """Whether the host stayed as fast through the runs (machine.PROBE on the server's cores
    before and after each run, and the hypervisor's steal): the slowdown the CPU accounting of
    the machine cannot see."""
    probes = [p for r in runs for p in r.host.speed_probe_ms]
    if not probes:
        return "The host's speed was not probed in these runs (recorded before the probe existed)."
    median = statistics.median(probes)
    slowed = [
        f"{r.run_id} ({max(r.host.speed_probe_ms) / median:.2f}× probe"
        + (f", steal {r.host.steal_percent:.0f} %" if r.host.steal_percent > STEAL_PCT else "")
        + ")"
        for r in runs
        if (r.host.speed_probe_ms and max(r.host.speed_probe_ms) > SLOWED * median)
        or r.host.steal_percent > STEAL_PCT
    ]
    if slowed:
        return (
            f"**The host slowed during some runs** (a fixed CPU probe on the server's cores, "
            f"before and after each run, against the median {median:.1f} ms; or the hypervisor "
            f"took > {STEAL_PCT:.0f} % of a core): {', '.join(slowed)}. Those runs' numbers are "
            "the host's, not the server's."
        )
    return (
        f"The host kept its speed: a fixed CPU probe on the server's cores before and after every "
        f"run stayed within {SLOWED:.1f}× of its median ({median:.1f} ms; "
        f"{min(probes):.1f}–{max(probes):.1f}), the hypervisor's steal under {STEAL_PCT:.0f} %."
    )


def _max_neighbour(cmp: Comparison) -> float:
    return max(
        (v for r in cmp.runs for v in r.record.host.neighbours_cpu_seconds.values()), default=0.0
    )


def build_report(compare_dir: Path) -> Path:
    cmp = load_comparison(Path(compare_dir))
    lines = _header(cmp)
    lines += ["## Results", "", "Median over repeats (min–max in brackets).", ""]
    lines += cmp.scenario.section(cmp)
    lines += ["", "## Charts", ""]
    for name, alt in cmp.scenario.charts(cmp, cmp.path):
        lines += markdown.image(name, alt)
    lines += ["## Limitations", "", *_limitations(cmp), ""]
    lines += [
        "## Files",
        "",
        "Each run's directory under runs/ holds locust's HTML report, CSVs (full history), "
        "stats.json, the per-second timeline.json and run.json (the run record: every setting, "
        "the CPU used, what the server reported about itself).",
    ]
    write_summary(cmp)
    return markdown.write(cmp.path / "report.md", lines)


def _numbers(value: Any, prefix: str = "") -> dict[str, float]:
    """A summary flattened to its numbers: {"fixed.p99_ms": 12.0, "overloads.3x.goodput_rps":
    250.0, "switches.0.failed": 0.0, ...}: nested dataclasses and dicts by dotted name,
    sequences by their items' label (else index); a capacity search's steps are left out."""
    if is_dataclass(value):
        value = {f.name: getattr(value, f.name) for f in fields(value)}
    if isinstance(value, list | tuple):
        value = {getattr(item, "label", i): item for i, item in enumerate(value)}
    if isinstance(value, dict):
        out: dict[str, float] = {}
        for key, item in value.items():
            if key != "steps":
                out.update(_numbers(item, f"{prefix}{key}."))
        return out
    if isinstance(value, bool) or not isinstance(value, int | float):
        return {}
    return {prefix.rstrip("."): float(value)}


# A capacity search that never held its first step has no capacity: 0 in the median, or the
# median of 3 repeats where 2 broke the SLO from the start would be the one that did not.
NEVER_HELD_IS_ZERO = ("sustained_rps", "k6_sustained_rps", "applications_per_s")


def median_over(flat: list[dict[str, float]], name: str) -> float:
    """The median of one number over the repeats that have it (a capacity: over all of them)."""
    if name in NEVER_HELD_IS_ZERO:  # as the report's tables count them (stats.agg's none_as)
        return statistics.median(f.get(name, NEVER_HELD) for f in flat)
    return statistics.median(f[name] for f in flat if name in f)


def medians(cmp: Comparison) -> dict[str, dict[str, float]]:
    """{"<profile>-w<workers>": {number: median over repeats}}: what the scorecard reads."""
    out = {}
    for profile in cmp.profiles:
        for workers in cmp.worker_counts:
            flat = [_numbers(s) for s in cmp.summaries(profile, workers)]
            if not flat:
                continue
            names = sorted({k for f in flat for k in f if k not in ("workers", "repeat")})
            out[f"{profile.name}-w{workers}"] = {name: median_over(flat, name) for name in names}
    return out


def write_summary(cmp: Comparison) -> Path:
    """summary.json beside report.md: the headline rows, machine-readable (the scorecard and
    the README read these, not the Markdown)."""
    import json

    first = cmp.first
    dates = sorted(r.record.date for r in cmp.runs)
    data = {
        "scenario": cmp.scenario.name,
        "dates": [dates[0], dates[-1]],
        "machine": f"{first.machine.cpu_model}, {first.machine.cpu_count} CPUs",
        "versions": first.versions,
        "model": first.model.version,
        "knobs": cmp.knobs.model_dump(),
        "profiles": [{"name": p.name, "label": p.label} for p in cmp.profiles],
        "repeats": max(r.record.repeat for r in cmp.runs),
        "header": tables.header(cmp),
        "headline": cmp.scenario.headline(cmp),
        "medians": medians(cmp),
    }
    path = cmp.path / "summary.json"
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path


def build_index(index_dir: Path, reports: Sequence[Path]) -> Path:
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    comparisons = [load_comparison(Path(r).parent) for r in reports]
    first = comparisons[0]
    rec = first.first
    lines = [
        f"# {' vs '.join(p.label for p in first.profiles)}: all scenarios",
        "",
        *markdown.bullets(
            [
                f"Machine: {rec.machine.cpu_model}, {rec.machine.cpu_count} CPUs, "
                f"{rec.machine.platform}",
                "Versions: " + ", ".join(f"{n} {v}" for n, v in rec.versions.items()),
            ]
        ),
        _code_line(first.runs),
        f"- Model: {rec.model.version}; payloads: {rec.pool.size} {rec.pool.source} "
        f"{rec.pool.split}-split applications",
        "",
        "Median over repeats (min–max). Each scenario's report has the settings, every number, "
        "the charts and its limitations.",
        "",
    ]
    rows = []
    for cmp in comparisons:
        link = f"[{cmp.scenario.name}]({Path('..') / cmp.path.name / 'report.md'})"
        for i, row in enumerate(cmp.scenario.headline(cmp)):
            rows.append([link if i == 0 else "", *row])
    from loadtests.reporting.tables import header

    lines += markdown.table(["scenario", *header(first, "measure")], rows)
    lines += ["", "What each scenario shows:", ""]
    lines += markdown.bullets(f"**{c.scenario.name}**: {c.scenario.shows}." for c in comparisons)
    return markdown.write(index_dir / "index.md", lines)
