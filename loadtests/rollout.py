"""Roll a new model version out and back while a steady load runs (make rollout).

    python -m loadtests.rollout --target flask|bento|both [--rate 50 --duration 60]

One mechanism on both servers (README "Versions, rollout and rollback"): ``promote`` the
version (verified, written to models/CURRENT atomically; already in the BentoML store), then
SIGHUP to the server's master process — gunicorn's master or ``bentoml serve``'s circus
arbiter — which starts new workers (they read CURRENT) and gracefully stops the old ones.
Plan: v1 serving, switch to v2 at 1/3 of the hold, back to v1 at 2/3.

Every response's X-Model-Version is recorded (locustfiles/model_versions.py); the report gives,
per switch, failed requests, the time until 100 % of responses came from the new version,
and the latency bump, with a chart of the version share over time (failures marked).
Writes reports/rollout-<targets>-<stamp>/ (rollout.md, rollout.json, rollout.png, runs/).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from loadtests import plans
from loadtests.budget import budget_for
from loadtests.run import LOCUSTFILES, REPORTS, RunSpec, ensure_pool, execute, stamp
from loadtests.servers import TARGETS, free_port, running
from loadtests.settings import get_load_settings
from loadtests.timeline import percentile
from shared import artifact
from shared.settings import Settings, get_settings
from shared.training.train import TrainParams, ensure_trained, train_and_save

CHALLENGER = TrainParams(num_boost_round=60, max_depth=4)  # v2 when no other version exists
# The client's failure text when a keep-alive connection is closed under a request in flight.
KEEPALIVE_RACE = "no response (HTTPConnectionClosed)"


@dataclass
class Switch:
    to: str
    planned_s: float  # seconds after the hold phase started
    at: float = 0.0  # epoch seconds when SIGHUP was sent
    promote_ms: float = 0.0  # verifying + rewriting CURRENT


def choose_versions(settings: Settings) -> tuple[str, str]:
    """(v1, v2): the CURRENT version and the newest other one (trained if there is none)."""
    ensure_trained(settings)
    v1 = artifact.resolve_version(settings)
    others = [
        m["version"]
        for m in artifact.list_versions(settings.model_dir, settings.model_name)
        if m["version"] != v1
    ]
    if not others:
        _, meta = train_and_save(settings, CHALLENGER, make_current=False)
        others = [meta["version"]]
    return v1, others[-1]


def run_switches(server, switches: list[Switch], hold_start: threading.Event, stop) -> None:
    """The operator: at each planned time, promote the version and SIGHUP the server."""
    if not hold_start.wait(timeout=120):
        return
    started = time.time()
    for switch in switches:
        delay = started + switch.planned_s - time.time()
        if stop.wait(max(0.0, delay)):
            return
        t0 = time.perf_counter()
        artifact.promote(get_settings(), switch.to)
        switch.promote_ms = round(1000 * (time.perf_counter() - t0), 1)
        switch.at = time.time()
        server.signal(signal.SIGHUP)


# --- analysis (pure) -----------------------------------------------------------------------


def analyse(rows: list[list[Any]], switches: list[dict[str, Any]], end: float) -> dict[str, Any]:
    """Per switch: failures, seconds until every response is the new version, latency bump.

    ``rows`` are [start_time, name, version, ok, ms, error]; times are request start times.
    Failures are counted by what failed (``error``): a keep-alive connection the old worker
    closed under a request in flight is not the same finding as a client timeout.
    """
    rows = sorted(rows, key=lambda r: r[0])
    first = switches[0]["at"] if switches else end
    steady = [r for r in rows if first - 10 <= r[0] < first and r[3]]  # before any switch
    result = []
    for i, sw in enumerate(switches):
        t, to = sw["at"], sw["to"]
        until = switches[i + 1]["at"] if i + 1 < len(switches) else end
        window = [r for r in rows if t <= r[0] < until]
        # the first request after which every request in the window was answered by `to`
        converged = None
        for j in range(len(window) - 1, -1, -1):
            if window[j][2] != to or not window[j][3]:
                converged = window[j + 1][0] if j + 1 < len(window) else None
                break
        else:
            converged = window[0][0] if window else None
        settle_end = (converged if converged is not None else until) + 1.0
        during = [r for r in window if r[0] < settle_end]
        result.append(
            {
                "to": to,
                "at": t,
                "requests": len(window),
                "failed": sum(not r[3] for r in window),
                "failed_by_kind": _failure_kinds(window),
                "old_version_responses": sum(r[2] != to for r in window if r[3]),
                "seconds_to_100pct_new": None if converged is None else round(converged - t, 2),
                "p99_steady_ms": _p(steady, 0.99),
                "p99_during_ms": _p(during, 0.99),
                "max_during_ms": round(max((r[4] for r in during), default=0)) or None,
                "longest_gap_s": _longest_gap(window, t),
            }
        )
    return {
        "requests": len(rows),
        "failed": sum(not r[3] for r in rows),
        "failed_by_kind": _failure_kinds(rows),
        "failed_outside_switches": sum(not r[3] for r in rows if r[0] < first),
        "by_version": _count(r[2] or "none" for r in rows),
        "switches": result,
    }


def _failure_kinds(rows: list[list[Any]]) -> dict[str, int]:
    return _count((r[5] if len(r) > 5 and r[5] else "unknown") for r in rows if not r[3])


def _longest_gap(window: list[list[Any]], t: float) -> float | None:
    """Longest time between consecutive request starts from the switch on (clients blocked)."""
    starts = [t, *(r[0] for r in window)]
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    return round(max(gaps), 2) if gaps else None


def _p(rows: list[list[Any]], q: float) -> float | None:
    hist: dict[int, int] = {}
    for r in rows:
        hist[int(round(r[4]))] = hist.get(int(round(r[4])), 0) + 1
    return percentile(hist, q)


def _count(values) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def per_second(rows: list[list[Any]], t0: float) -> list[dict[str, Any]]:
    seconds: dict[int, dict[str, Any]] = {}
    for t, _name, version, ok, ms, *_error in rows:
        cell = seconds.setdefault(int(t - t0), {"versions": {}, "failed": 0, "ms": []})
        if ok:
            cell["versions"][version or "none"] = cell["versions"].get(version or "none", 0) + 1
        else:
            cell["failed"] += 1
        cell["ms"].append(ms)
    return [{"s": s, **seconds[s]} for s in sorted(seconds)]


def set_client_timeout(seconds: float) -> None:
    """For this run and the locust process it starts."""
    os.environ["LOAD_CLIENT_TIMEOUT"] = f"{seconds:g}"
    get_load_settings.cache_clear()


# --- one target ----------------------------------------------------------------------------


def rollout_one(target: str, out: Path, params: plans.Params, workers: int) -> dict[str, Any]:
    settings = get_settings()
    v1, v2 = choose_versions(settings)
    if target == "bento":
        from bento_app.import_model import import_all

        import_all(settings)  # both versions in the store before anything switches
    original = artifact.current_version(settings.model_dir)
    artifact.promote(settings, v1)
    hold = params.duration
    switches = [Switch(v2, hold / 3), Switch(v1, 2 * hold / 3)]
    budget = budget_for(workers)
    out.mkdir(parents=True, exist_ok=True)
    versions_file = out / "versions.json"
    spec = RunSpec(
        "steady",
        target,
        params,
        workers,
        budget,
        out,
        ensure_pool(out / "pool.json"),
        title=f"rollout {target}: {v1} -> {v2} -> {v1}",
        context={"kind": "rollout", "repeat": 1, "repeats": 1, "versions": [v1, v2]},
        extra_files=(LOCUSTFILES / "model_versions.py",),
        extra_args=("--versions-file", str(versions_file)),
    )
    hold_start, stop = threading.Event(), threading.Event()
    try:
        with running(
            target, free_port(), workers, budget.server_cpus, log_path=out / "server.log"
        ) as server:
            operator = threading.Thread(
                target=run_switches, args=(server, switches, hold_start, stop), daemon=True
            )
            operator.start()
            # the hold phase starts after locust's start-up and the warm-up
            threading.Timer(params.warmup + 2.0, hold_start.set).start()
            try:
                run = execute(spec, server, server.url)
            finally:
                stop.set()
                operator.join(timeout=30)
    finally:
        if original:
            artifact.set_current(settings.model_dir, original)
    recorded = json.loads(versions_file.read_text())
    end = max((r[0] for r in recorded["rows"]), default=0.0) + 1
    done = [asdict(s) for s in switches if s.at]
    analysis = analyse(recorded["rows"], done, end)
    t0 = min((r[0] for r in recorded["rows"]), default=0.0)
    return {
        "target": target,
        "v1": v1,
        "v2": v2,
        "workers": workers,
        "mechanism": "artifact.promote + SIGHUP to "
        + ("gunicorn's master" if target == "flask" else "bentoml serve (circus arbiter)"),
        "switches_planned": len(switches),
        "switches_done": done,
        "analysis": analysis,
        "t0": t0,
        "seconds": per_second(recorded["rows"], t0),
        "run": {
            k: run[k]
            for k in (
                "date",
                "git",
                "machine",
                "versions",
                "budget",
                "scenario_params",
                "server",
                "load_generator",
            )
        },
    }


# --- report --------------------------------------------------------------------------------


def chart(results: list[dict[str, Any]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        2,
        len(results),
        figsize=(6.5 * len(results), 6.5),
        squeeze=False,
        sharex="col",
        gridspec_kw={"height_ratios": [2, 1.3]},
    )
    colours = {}
    for col, res in enumerate(results):
        colours = {res["v1"]: "#4C72B0", res["v2"]: "#DD8452", "none": "#999999"}
        share_ax, lat_ax = axes[0][col], axes[1][col]
        secs = [c["s"] for c in res["seconds"]]
        bottom = [0.0] * len(secs)
        for version in (res["v1"], res["v2"], "none"):
            counts = [c["versions"].get(version, 0) for c in res["seconds"]]
            totals = [max(1, sum(c["versions"].values()) + c["failed"]) for c in res["seconds"]]
            share = [100 * n / t for n, t in zip(counts, totals, strict=True)]
            if any(share):
                label = {res["v1"]: f"v1 {version}", res["v2"]: f"v2 {version}"}.get(
                    version, "no version header"
                )
                share_ax.bar(
                    secs,
                    share,
                    bottom=bottom,
                    width=1.0,
                    color=colours[version],
                    label=label,
                    align="edge",
                )
                bottom = [b + s for b, s in zip(bottom, share, strict=True)]
        started_ax = share_ax.twinx()
        started_ax.plot(
            [s + 0.5 for s in secs],
            [sum(c["versions"].values()) + c["failed"] for c in res["seconds"]],
            color="black",
            lw=0.8,
            alpha=0.6,
        )
        started_ax.set_ylabel("requests started per second (line)", fontsize=8)
        started_ax.set_ylim(bottom=0)
        failed = [(c["s"] + 0.5, c["failed"]) for c in res["seconds"] if c["failed"]]
        if failed:
            share_ax.scatter(
                [f[0] for f in failed],
                [102] * len(failed),
                marker="x",
                color="red",
                label="failed requests in that second",
                zorder=5,
            )
        p99 = [percentile(_hist(c["ms"]), 0.99) for c in res["seconds"]]
        worst = [max(c["ms"]) for c in res["seconds"]]
        lat_ax.plot([s + 0.5 for s in secs], worst, color="#C44E52", lw=1, label="max")
        lat_ax.plot([s + 0.5 for s in secs], p99, color="black", lw=1.2, label="p99")
        lat_ax.set_yscale("log")
        for sw in res["switches_done"]:
            x = sw["at"] - res["t0"]
            for ax in (share_ax, lat_ax):
                ax.axvline(x, color="black", ls="--", lw=1)
            share_ax.text(x + 0.3, 50, f"SIGHUP\n→ {sw['to']}", fontsize=8, va="center")
        a = res["analysis"]
        share_ax.set_title(
            f"{res['target']}: {a['requests']} requests, {a['failed']} failed\n"
            f"{res['workers']} worker(s), {res['run']['scenario_params']['rate']:g} req/s",
            fontsize=10,
        )
        share_ax.set_ylim(0, 108)
        share_ax.set_ylabel("responses by model version (%)")
        lat_ax.set_ylabel("latency per second (ms, log)")
        lat_ax.set_xlabel("seconds since load start")
        share_ax.legend(loc="lower left", fontsize=8)
        lat_ax.legend(loc="upper left", fontsize=8)
        lat_ax.grid(alpha=0.3)
    fig.suptitle("Rollout v1 → v2 → v1 under steady load (promote + SIGHUP)", fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _hist(values: list[float]) -> dict[int, int]:
    hist: dict[int, int] = {}
    for v in values:
        hist[int(round(v))] = hist.get(int(round(v)), 0) + 1
    return hist


def _failed_cell(counts: dict[str, Any]) -> str:
    kinds = counts.get("failed_by_kind") or {}
    detail = ", ".join(f"{n}× {kind}" for kind, n in sorted(kinds.items()))
    return f"{counts['failed']}" + (f" ({detail})" if detail else "")


def _fmt(value: Any, unit: str = "") -> str:
    return "—" if value is None else f"{value:g}{unit}"


def markdown(results: list[dict[str, Any]], chart_name: str) -> str:
    run = results[0]["run"]
    lines = [
        "# Rollout and rollback under load",
        "",
        f"- date: {run['date']}; git {run['git'].get('sha', '?')[:10]}",
        f"- machine: {run['machine'].get('cpu_model', '?')}, "
        f"{run['machine'].get('cpu_count', '?')} CPUs; CPU budget: {run['budget']['statement']}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in sorted(run["versions"].items())),
        f"- load: steady {run['scenario_params']['rate']:g} req/s for "
        f"{run['scenario_params']['duration']:g} s (locust FastHttpUser, open loop, client "
        f"timeout {run['load_generator']['client_timeout_s']:g} s)",
        "- mechanism on both: `artifact.promote` (verify + rewrite models/CURRENT) then SIGHUP "
        "to the server's master process; new workers read CURRENT, old ones stop gracefully",
        "",
        "| target | switch | requests | failed | time to 100 % new version | p99 steady | "
        "p99 during | max during | longest pause in request starts |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for res in results:
        for i, sw in enumerate(res["analysis"]["switches"], start=1):
            label = f"{i}: → {sw['to']}" + (" (rollback)" if sw["to"] == res["v1"] else "")
            lines.append(
                f"| {res['target']} ({res['workers']} worker) | {label} | {sw['requests']} | "
                f"{_failed_cell(sw)} | {_fmt(sw['seconds_to_100pct_new'], ' s')} | "
                f"{_fmt(sw['p99_steady_ms'], ' ms')} | {_fmt(sw['p99_during_ms'], ' ms')} | "
                f"{_fmt(sw['max_during_ms'], ' ms')} | {_fmt(sw['longest_gap_s'], ' s')} |"
            )
    lines += ["", "| target | requests | failed | responses per version |", "|---|---|---|---|"]
    for res in results:
        a = res["analysis"]
        per = ", ".join(f"{k}: {v}" for k, v in sorted(a["by_version"].items()))
        lines.append(f"| {res['target']} | {a['requests']} | {_failed_cell(a)} | {per} |")
    lines += [
        "",
        f"![version share over time]({chart_name})",
        "",
        "Time to 100 % is measured on request start times: the first request after which every "
        "request of that switch window was answered by the new version. 'During' is from the "
        "SIGHUP to one second after that point; 'p99 steady' is the 10 s before the first "
        "switch. Requests wait in the listening socket's backlog while new workers start, so a "
        "slow worker start shows as latency (and as failures only beyond the client timeout). "
        "While every simulated client waits for such a response, none starts a new request: "
        "the white gaps in the chart and the 'longest pause' column.",
        "",
        "Failures are split by what the client saw. `no response (HTTPConnectionClosed)` is "
        "the keep-alive race: the old worker closes its idle keep-alive connections when it "
        "stops, and the next request a client sends on one of them before it notices the close "
        "gets no answer (HTTP/1.1 allows the close; a client may retry only idempotent "
        "requests, and a POST is not one). At most one request per open connection per switch; "
        "how many depends on the client library (locust's FastHttpUser reuses the connection "
        "without checking it first). gunicorn's sync workers close every connection after its "
        "response, so they never meet this race; uvicorn's keep-alive connections (BentoML) "
        "do. A timeout (`no response (timeout)`) means a worker start took longer than the "
        "client waits.",
        "",
        "Limitations: one run per target on a shared 2-core machine over loopback; the "
        "worker start-up time (and so the bump) depends on that machine's load.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", default="both", choices=[*TARGETS, "both"])
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--duration", type=float, default=60.0, help="hold seconds")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", default="")
    parser.add_argument(
        "--client-timeout",
        type=float,
        default=None,
        help="seconds a simulated client waits (default: LOAD_CLIENT_TIMEOUT, 10)",
    )
    args = parser.parse_args(argv)
    if args.client_timeout:
        set_client_timeout(args.client_timeout)
    targets = list(TARGETS) if args.target == "both" else [args.target]
    out = Path(args.out) if args.out else REPORTS / f"rollout-{args.target}-{stamp()}"
    params = plans.params_for("steady", {"rate": args.rate, "duration": args.duration})
    results = [rollout_one(t, out / "runs" / t, params, args.workers) for t in targets]
    chart(results, out / "rollout.png")
    (out / "rollout.json").write_text(json.dumps(results, indent=2, default=str))
    (out / "rollout.md").write_text(markdown(results, "rollout.png"))
    print((out / "rollout.md").read_text())
    print(f"report: {out / 'rollout.md'}")
    failed = sum(r["analysis"]["failed"] for r in results)
    incomplete = any(len(r["switches_done"]) != r["switches_planned"] for r in results)
    return 1 if failed or incomplete else 0


if __name__ == "__main__":
    sys.exit(main())
