"""What `make load` prints after a run: the scenario's lines and the load generator's health."""

from __future__ import annotations

from pathlib import Path

from loadtests.core.measures import PhaseStats
from loadtests.reporting.runs import load_run


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def phase_line(name: str, r: PhaseStats) -> str:
    return (
        f"  {name:<9} offered {r.offered_rps:.0f}/s sent {r.achieved_rps:.0f}/s, "
        f"p50 {ms(r.p50_ms)} p95 {ms(r.p95_ms)} p99 {ms(r.p99_ms)}, "
        f"errors {r.error_pct:.2f} % -> {'SLO ok' if r.slo_ok else 'SLO broken'}"
    )


def summary_lines(path: Path) -> list[str]:
    run = load_run(path)
    rec = run.record
    lines = [f"{rec.scenario} / {rec.profile.name}: {rec.plan}", *run.scenario.console(run)]
    lg = rec.load_generator
    lines.append(
        f"  locust CPU {lg.cpu_percent_of_one_core:.0f} % of a core"
        + (
            " - LOCUST CPU WARNING: the load generator may have limited this run"
            if lg.cpu_warning
            else ""
        )
        + f"; other processes {rec.host.other_cpu_percent:.0f} %"
    )
    return lines


def stats_lines(stats_json: Path) -> list[str]:
    """Locust's final stats (--json-file) as a table: requests, failures, rate, percentiles."""
    import json

    from loadtests.core.timeline import percentile

    entries = json.loads(Path(stats_json).read_text())
    lines = [f"{'name':<34} {'requests':>8} {'failures':>8} {'req/s':>7} {'p50 ms':>7} "
             f"{'p95 ms':>7} {'p99 ms':>7}"]  # fmt: skip
    for e in sorted(entries, key=lambda e: e["name"]):
        hist = {int(float(k)): v for k, v in e["response_times"].items()}
        seconds = max(e["last_request_timestamp"] - e["start_time"], 1e-9)
        cells = [percentile(hist, q) for q in (0.5, 0.95, 0.99)]
        lines.append(
            f"{e['name']:<34} {e['num_requests']:>8} {e['num_failures']:>8} "
            f"{e['num_requests'] / seconds:>7.1f} "
            + " ".join(f"{c:>7.0f}" if c is not None else f"{'-':>7}" for c in cells)
        )
    return lines
