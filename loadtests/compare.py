"""Flask vs BentoML, like for like, repeated: ``make compare SCENARIO=...`` / ``make compare-all``.

Same artifact, same predictor code, same CPU budget (loadtests.budget: both servers pinned
to the same cores with the same worker count, locust on its own core), same plan. Both
servers are started once per worker count and stay up for all runs at that count; the idle
one's CPU use is recorded with every run. Repeats alternate the order (flask first on odd
repeats, bento first on even ones) so drift on the host does not favour one side.

Writes reports/compare-<scenario>-<stamp>/ (runs/, report.md, charts) per scenario and, for
several scenarios, reports/compare-all-<stamp>/index.md linking them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from loadtests import machine, plans
from loadtests.budget import budget_for
from loadtests.run import (
    REPORTS,
    RunSpec,
    add_knob_arguments,
    ensure_pool,
    execute,
    exit_cleanly_on_sigterm,
    stamp,
)
from loadtests.servers import TARGETS, Server, free_port

WORKER_COUNTS = {"capacity": (1, 2)}  # scalability: capacity at 1 and 2 server workers
DEFAULT_WORKERS = (1,)
COOLDOWN_S = 2.0
STARTUP_ALLOWANCE_S = 8.0  # locust start-up and teardown per run, for the ETA only


@dataclass(frozen=True)
class Job:
    scenario: str
    workers: int
    repeat: int
    target: str
    params: plans.Params


def jobs_for(scenarios: Sequence[str], params: dict[str, plans.Params], repeats: int) -> list[Job]:
    """All runs, grouped by worker count (one server start per count), repeats alternating."""
    jobs = []
    counts = sorted({w for s in scenarios for w in WORKER_COUNTS.get(s, DEFAULT_WORKERS)})
    for workers in counts:
        for scenario in scenarios:
            if workers not in WORKER_COUNTS.get(scenario, DEFAULT_WORKERS):
                continue
            for repeat in range(1, repeats + 1):
                order = TARGETS if repeat % 2 else tuple(reversed(TARGETS))
                for target in order:
                    jobs.append(Job(scenario, workers, repeat, target, params[scenario]))
    return jobs


def served_version(server: Server) -> str:
    with urllib.request.urlopen(server.url + "/info", timeout=10) as resp:
        return json.loads(resp.read())["version"]


def _fmt_s(seconds: float) -> str:
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def run_jobs(
    jobs: list[Job], dirs: dict[str, Path], repeats: int, processes: int, pool: Path
) -> None:
    started = time.monotonic()
    first_code: dict[str, dict[str, str]] = {}
    remaining = sum(plans.max_seconds(j.scenario, j.params) + STARTUP_ALLOWANCE_S for j in jobs)
    done = 0
    for workers in sorted({j.workers for j in jobs}):
        budget = budget_for(workers, processes)
        print(f"== {workers} server worker(s): {budget.statement}", flush=True)
        log_dir = dirs["_servers"]
        with contextlib.ExitStack() as stack:
            servers = {}
            for target in TARGETS:
                server = Server(
                    target,
                    free_port(),
                    workers,
                    budget.server_cpus,
                    log_path=log_dir / f"{target}-w{workers}.log",
                )
                servers[target] = server.start(timeout=180)
                stack.callback(server.stop)
            server_code = machine.server_code_fingerprint()  # what the servers just loaded
            versions = {t: served_version(s) for t, s in servers.items()}
            if len(set(versions.values())) != 1:
                raise RuntimeError(f"the servers serve different models: {versions}")
            served = dict.fromkeys(TARGETS, 0)
            for job in [j for j in jobs if j.workers == workers]:
                done += 1
                server = servers[job.target]
                restarted = False
                if not server.healthy():
                    print(f"   {job.target} is not healthy: restarting it", flush=True)
                    server.stop()
                    server.start(timeout=180)
                    restarted = True
                neighbours = [s for t, s in servers.items() if t != job.target]
                elapsed = time.monotonic() - started
                title = (
                    f"[{done}/{len(jobs)}] {job.scenario} {job.target} w{workers} "
                    f"rep {job.repeat}/{repeats} (elapsed {_fmt_s(elapsed)}, "
                    f"ETA <= {_fmt_s(remaining)})"
                )
                spec = RunSpec(
                    job.scenario,
                    job.target,
                    job.params,
                    workers,
                    budget,
                    dirs[job.scenario] / "runs" / f"{job.target}-w{workers}-r{job.repeat}",
                    pool,
                    processes,
                    title=title,
                    server_code=server_code,
                    context={
                        "kind": "comparison run",
                        "repeat": job.repeat,
                        "repeats": repeats,
                        "server_runs_before": served[job.target],
                        "server_restarted_before_run": restarted,
                    },
                )
                run = execute(
                    spec, server, server.url, neighbours, echo=lambda s: print(s, flush=True)
                )
                code = {k: run["git"][k] for k in ("server_code_sha256", "load_code_sha256")}
                first = first_code.setdefault(job.scenario, code)  # locustfiles differ by scenario
                if code != first:
                    raise RuntimeError(
                        f"the code changed during the {job.scenario} comparison ({code} after "
                        f"{first}): its runs would not be like for like. Use a clean checkout."
                    )
                served[job.target] += 1
                remaining -= plans.max_seconds(job.scenario, job.params) + STARTUP_ALLOWANCE_S
                time.sleep(COOLDOWN_S)


def compare(
    scenarios: Sequence[str],
    repeats: int,
    overrides: dict[str, str],
    processes: int = 0,
    root: Path = REPORTS,
) -> list[Path]:
    from loadtests.metadata import MetadataError
    from loadtests.report import ReportError, build_index, build_report

    when = stamp()
    params = {s: plans.params_for(s, overrides) for s in scenarios}
    dirs = {s: root / f"compare-{s}-{when}" for s in scenarios}
    dirs["_servers"] = (
        root / f"compare-all-{when}" if len(scenarios) > 1 else dirs[scenarios[0]]
    ) / "servers"
    dirs["_servers"].mkdir(parents=True, exist_ok=True)
    pool = ensure_pool(dirs["_servers"].parent / "pool.json")
    jobs = jobs_for(scenarios, params, repeats)
    planned = sum(plans.max_seconds(j.scenario, j.params) + STARTUP_ALLOWANCE_S for j in jobs)
    print(
        f"{len(jobs)} runs ({', '.join(scenarios)}; {repeats} repeats per server), "
        f"at most ~{_fmt_s(planned)} of load plus server start-ups",
        flush=True,
    )
    run_jobs(jobs, dirs, repeats, processes, pool)
    reports, failed = [], []
    for scenario in scenarios:
        try:  # one scenario's bad data must not cost the others their report
            reports.append(build_report(dirs[scenario]))
            print(f"report: {reports[-1]}", flush=True)
        except (ReportError, MetadataError, ValueError) as exc:
            failed.append(scenario)
            print(f"NO REPORT for {scenario}: {exc}", file=sys.stderr, flush=True)
    if len(scenarios) > 1 and reports:
        index = build_index(root / f"compare-all-{when}", reports)
        print(f"index: {index}")
    if failed:
        raise SystemExit(f"no report for: {', '.join(failed)} (see above)")
    return reports


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", required=True, choices=[*plans.SCENARIOS, "all"])
    parser.add_argument("--repeats", type=int, default=3)
    add_knob_arguments(parser)
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    exit_cleanly_on_sigterm()
    scenarios = list(plans.SCENARIOS) if args.scenario == "all" else [args.scenario]
    overrides = {"rate": args.rate, "duration": args.duration}
    for item in args.set or []:
        key, _, value = item.partition("=")
        overrides[key.replace("-", "_")] = value
    if args.users:
        if len(scenarios) > 1:
            parser.error("--users applies to one scenario (it sets user_rate = rate / users)")
        base = plans.params_for(scenarios[0], overrides)
        overrides["user_rate"] = str(base.rate / float(args.users))
    compare(scenarios, args.repeats, overrides, args.processes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
