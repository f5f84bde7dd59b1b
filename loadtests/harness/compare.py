"""Profiles side by side, like for like, repeated (make compare / compare-all).

Same artifact, same predictor code, same CPU budget for the same worker count (the server
pinned to the same cores, locust on its own), same plan, same payloads. The servers are
started once per worker count and stay up for all runs at that count; the idle ones' CPU is
recorded with every run. The order of the profiles rotates with each repeat so drift on the
host favours none of them.

Writes reports/compare-<scenario>-<stamp>/ (comparison.json, runs/, report.md, charts) per
scenario and, for several scenarios, reports/compare-all-<stamp>/index.md linking them.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from loadtests.core.knobs import Knobs
from loadtests.core.profiles import ServerProfile
from loadtests.harness.budget import budget_for
from loadtests.harness.fingerprint import server_code_fingerprint
from loadtests.harness.pool import ensure_pool
from loadtests.harness.runner import REPORTS, RunSpec, execute, stamp
from loadtests.harness.servers import Server, free_port
from loadtests.reporting.runs import COMPARISON_FILE
from loadtests.scenarios import Scenario

COOLDOWN_S = 2.0
STARTUP_ALLOWANCE_S = 8.0  # locust start-up and teardown per run, for the ETA only


@dataclass(frozen=True)
class Job:
    scenario: Scenario
    knobs: Knobs
    workers: int
    repeat: int
    profile: ServerProfile


def rotated(profiles: Sequence[ServerProfile], repeat: int) -> list[ServerProfile]:
    shift = (repeat - 1) % len(profiles)
    return [*profiles[shift:], *profiles[:shift]]


def jobs_for(
    scenarios: Sequence[Scenario],
    knobs: dict[str, Knobs],
    profiles: Sequence[ServerProfile],
    repeats: int,
) -> list[Job]:
    """All runs, grouped by worker count (one server start per count), order rotating."""
    jobs = []
    for workers in sorted({w for s in scenarios for w in s.worker_counts}):
        for scenario in scenarios:
            if workers not in scenario.worker_counts:
                continue
            for repeat in range(1, repeats + 1):
                for profile in rotated(profiles, repeat):
                    jobs.append(Job(scenario, knobs[scenario.name], workers, repeat, profile))
    return jobs


def _fmt_s(seconds: float) -> str:
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def _allowance(job: Job) -> float:
    return job.scenario.planned_seconds(job.knobs) + STARTUP_ALLOWANCE_S


def run_jobs(
    jobs: list[Job],
    dirs: dict[str, Path],
    server_logs: Path,
    repeats: int,
    processes: int,
    pool: Path,
) -> None:
    started = time.monotonic()
    first_code: dict[str, tuple] = {}
    remaining = sum(_allowance(j) for j in jobs)
    profiles = list({j.profile.name: j.profile for j in jobs}.values())
    for workers in sorted({j.workers for j in jobs}):
        with contextlib.ExitStack() as stack:
            servers: dict[str, Server] = {}
            for profile in profiles:
                actual = profile.workers_for(workers)
                budget = budget_for(actual, processes)
                print(f"== {profile.name}, {actual} worker(s): {budget.statement}", flush=True)
                env = {}
                for scenario in {j.scenario.name: j.scenario for j in jobs}.values():
                    env.update(scenario.server_env(profile.name, server_logs.parent))
                server = Server(
                    profile,
                    free_port(),
                    actual,
                    budget.server_cpus,
                    env,
                    log_path=server_logs / f"{profile.name}-w{workers}.log",
                )
                servers[profile.name] = server.start(timeout=180)
                stack.callback(server.stop)
            server_code = server_code_fingerprint()  # what the servers just loaded
            versions = {name: s.info()["version"] for name, s in servers.items()}
            if len(set(versions.values())) != 1:
                raise RuntimeError(f"the servers serve different models: {versions}")
            served = dict.fromkeys(servers, 0)
            for job in [j for j in jobs if j.workers == workers]:
                server = servers[job.profile.name]
                restarted = False
                if not server.healthy():
                    print(f"   {job.profile.name} is not healthy: restarting it", flush=True)
                    server.stop()
                    server.start(timeout=180)
                    restarted = True
                elapsed = time.monotonic() - started
                number = jobs.index(job) + 1
                title = (
                    f"[{number}/{len(jobs)}] {job.scenario.name} {job.profile.name} w{workers} "
                    f"rep {job.repeat}/{repeats} (elapsed {_fmt_s(elapsed)}, "
                    f"ETA <= {_fmt_s(remaining)})"
                )
                spec = RunSpec(
                    scenario=job.scenario,
                    profile=job.profile,
                    knobs=job.knobs,
                    requested_workers=workers,
                    budget=budget_for(server.workers, processes),
                    out_dir=dirs[job.scenario.name]
                    / "runs"
                    / f"{job.profile.name}-w{workers}-r{job.repeat}",
                    pool_file=pool,
                    processes=processes,
                    title=title,
                    server_code=server_code,
                    purpose="comparison run",
                    repeat=job.repeat,
                    repeats=repeats,
                    server_runs_before=served[job.profile.name],
                    restarted_before_run=restarted,
                )
                neighbours = [s for name, s in servers.items() if name != job.profile.name]
                record = execute(
                    spec, server, server.url, neighbours, echo=lambda s: print(s, flush=True)
                )
                code = (record.code.server_code_sha256, record.code.load_code_sha256)
                first = first_code.setdefault(job.scenario.name, code)
                if code != first:
                    raise RuntimeError(
                        f"the code changed during the {job.scenario.name} comparison: its runs "
                        "would not be like for like. Use a clean checkout."
                    )
                served[job.profile.name] += 1
                remaining -= _allowance(job)
                time.sleep(COOLDOWN_S)


def compare(
    scenarios: Sequence[Scenario],
    profiles: Sequence[ServerProfile],
    repeats: int,
    overrides: dict[str, str],
    processes: int = 0,
    root: Path = REPORTS,
) -> list[Path]:
    from loadtests.reporting.report import build_index, build_report
    from loadtests.reporting.runs import ReportError

    if len(profiles) < 2:
        raise SystemExit("a comparison needs at least two profiles")
    when = stamp()
    knobs = {s.name: s.knobs(_applicable(s, overrides, scenarios)) for s in scenarios}
    dirs = {s.name: root / f"compare-{s.name}-{when}" for s in scenarios}
    base = root / f"compare-all-{when}" if len(scenarios) > 1 else dirs[scenarios[0].name]
    server_logs = base / "servers"
    server_logs.mkdir(parents=True, exist_ok=True)
    pool = ensure_pool(base / "pool.json")
    for scenario in scenarios:
        dirs[scenario.name].mkdir(parents=True, exist_ok=True)
        (dirs[scenario.name] / COMPARISON_FILE).write_text(
            json.dumps(
                {
                    "scenario": scenario.name,
                    "profiles": [p.name for p in profiles],
                    "repeats": repeats,
                    "knobs": knobs[scenario.name].model_dump(),
                },
                indent=2,
            )
        )
    jobs = jobs_for(scenarios, knobs, profiles, repeats)
    planned = sum(_allowance(j) for j in jobs)
    print(
        f"{len(jobs)} runs ({', '.join(s.name for s in scenarios)}; profiles "
        f"{', '.join(p.name for p in profiles)}; {repeats} repeats each), at most "
        f"~{_fmt_s(planned)} of load plus server start-ups",
        flush=True,
    )
    run_jobs(jobs, dirs, server_logs, repeats, processes, pool)
    reports, failed = [], []
    for scenario in scenarios:
        try:  # one scenario's bad data must not cost the others their report
            reports.append(build_report(dirs[scenario.name]))
            print(f"report: {reports[-1]}", flush=True)
        except (ReportError, ValueError) as exc:
            failed.append(scenario.name)
            print(f"NO REPORT for {scenario.name}: {exc}", file=sys.stderr, flush=True)
    if len(scenarios) > 1 and reports:
        print(f"index: {build_index(base, reports)}")
    if failed:
        raise SystemExit(f"no report for: {', '.join(failed)} (see above)")
    return reports


def _applicable(
    scenario: Scenario, overrides: dict[str, str], scenarios: Sequence[Scenario]
) -> dict[str, str]:
    """With several scenarios, a knob only some of them have applies to those (a knob none
    of them has is still an error, raised by the first scenario)."""
    if len(scenarios) == 1:
        return overrides
    known = {k for s in scenarios for k in s.Knobs.model_fields}
    return {
        k: v for k, v in overrides.items() if k in scenario.Knobs.model_fields or k not in known
    }
