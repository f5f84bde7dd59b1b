"""One headless locust run of one scenario against one server, with everything recorded.

    python -m loadtests.run --scenario steady --target flask [--rate 200 --duration 60]
    (make load SCENARIO=steady TARGET=flask RATE=200 DURATION=60)

Starts the server with loadtests.servers (pinned per loadtests.budget) unless ``--url`` points
at one already running, runs locust in a subprocess (pinned to its own core) and writes
reports/<run-id>/:

    report.html            locust's HTML report (history sampled every second)
    locust_stats*.csv      locust's CSVs, with --csv-full-history
    stats.json             locust's final stats (--json-file)
    timeline.json          every request, per second (loadtests.timeline)
    locust_meta.json       the shape's real schedule, parameters, locust CPU warnings
    run.json               metadata: git, machine, versions, server settings, CPU budget,
                           scenario parameters, CPU used by server/locust/other processes
    locust.log, server.log
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtests import bento_metrics, machine, plans
from loadtests.budget import Budget, budget_for
from loadtests.metadata import require_complete
from loadtests.payloads import build_pool, save_pool
from loadtests.servers import TARGETS, Server
from loadtests.settings import get_load_settings
from shared.settings import PROJECT_ROOT

REPORTS = PROJECT_ROOT / "reports"
LOCUSTFILES = PROJECT_ROOT / "loadtests" / "locustfiles"
USER_CLASSES = {
    "steady": ("Classify",),
    "capacity": ("Classify",),
    "spike": ("Classify",),
    "bad_input": ("BadInput",),
    "batch": ("Classify", "ClassifyBatch"),
}
GRACE_S = 90.0  # on top of the planned duration before a locust run is killed


def exit_cleanly_on_sigterm() -> None:
    """SIGTERM raises SystemExit, so `with running(...)` blocks stop their servers."""
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(128 + signal.SIGTERM))


def user_classes(scenario: str, target: str) -> list[str]:
    return [target.capitalize() + suffix for suffix in USER_CLASSES[scenario]]


def stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S")


@dataclass
class RunSpec:
    scenario: str
    target: str
    params: plans.Params
    workers: int
    budget: Budget
    out_dir: Path
    pool_file: Path
    processes: int = 0
    title: str = ""  # for progress lines, e.g. "[3/12] steady flask rep 2/3"
    server_code: str = ""  # server code fingerprint when the server started ("" = now)
    context: dict[str, Any] = field(default_factory=dict)  # extra run.json facts (repeat, ...)
    extra_files: tuple[Path, ...] = ()  # more locustfiles (listeners), e.g. for rollouts
    extra_args: tuple[str, ...] = ()  # their options

    def __post_init__(self) -> None:
        if self.scenario not in plans.SCENARIOS:
            raise ValueError(f"unknown scenario {self.scenario!r}; expected {plans.SCENARIOS}")
        if self.target not in TARGETS:
            raise ValueError(f"unknown target {self.target!r}; expected {TARGETS}")


def ensure_pool(path: Path) -> Path:
    if not path.exists():
        save_pool(build_pool(get_load_settings().pool_seed), path)
    return path


def knob_args(params: plans.Params) -> list[str]:
    args = []
    for key, value in params.to_dict().items():
        args += [
            "--" + key.replace("_", "-"),
            f"{value:g}" if isinstance(value, float) else str(value),
        ]
    return args


def locust_command(spec: RunSpec) -> list[str]:
    out = spec.out_dir
    files = [
        LOCUSTFILES / f"{spec.scenario}.py",
        LOCUSTFILES / f"{spec.target}_target.py",
        *spec.extra_files,
    ]
    argv = [
        str(Path(sys.executable).parent / "locust"),
        "-f",
        ",".join(str(f) for f in files),
        *user_classes(spec.scenario, spec.target),
        "--headless",
        "--only-summary",
        "--html",
        str(out / "report.html"),
        "--csv",
        str(out / "locust"),
        "--csv-full-history",
        "--json-file",
        str(out / "stats"),
        "--timeline-file",
        str(out / "timeline.json"),
        "--meta-file",
        str(out / "locust_meta.json"),
        "--pool-file",
        str(spec.pool_file),
        "--stop-timeout",
        f"{get_load_settings().client_timeout + 2:g}",
        "--loglevel",
        "INFO",
        *knob_args(spec.params),
        *spec.extra_args,
    ]
    if spec.processes:
        argv += ["--processes", str(spec.processes)]
    if spec.budget.locust_cpus:
        argv = ["taskset", "-c", spec.budget.locust_cpus, *argv]
    return argv


def server_settings(server: Server | None, url: str, target: str) -> dict[str, Any]:
    """What the server under test was configured with (from the code that configures it)."""
    if server is None:
        return {
            "target": target,
            "url": url,
            "started_by_run": False,
            "note": "external server: its workers, threads and pinning are not known to this run",
        }
    base = {
        "target": target,
        "url": server.url,
        "started_by_run": True,
        "workers": server.workers,
        "cpus": server.cpus or "not pinned",
    }
    if target == "flask":
        import flask_app.gunicorn_conf as conf

        return {
            **base,
            "server": "gunicorn + Flask",
            "worker_class": conf.worker_class,
            "threads_per_worker": getattr(conf, "threads", 1) or 1,
            "keepalive_s": conf.keepalive,
            "timeout_s": conf.timeout,
            "access_log": bool(conf.accesslog),
            "validation": "none (baseline)",
            "batching": "none: /classify_batch scores each request's list on its own",
        }
    from bento_app.serve import config_overrides
    from bento_app.service import CreditRiskClassifier
    from shared.settings import get_settings

    apis = CreditRiskClassifier.apis
    batch = apis["classify_batch"]
    return {
        **base,
        "server": "bentoml serve (uvicorn)",
        "api_style": "async def (event loop, no thread pool)",
        # what bento_app.serve passes: the settings, with the worker count servers.py sets
        "config_overrides": config_overrides(
            get_settings().model_copy(update={"bento_workers": server.workers})
        ),
        "access_log": CreditRiskClassifier.config["logging"]["access"]["enabled"],
        "validation": "pydantic (shared.schema.CreditApplication, strict, extra=forbid)",
        "batching": (
            f"/classify_batch adaptive: max_batch_size={batch.max_batch_size}, "
            f"max_latency_ms={batch.max_latency_ms}; /classify not batched"
        ),
    }


def model_info(url: str) -> dict[str, Any]:
    """The model the server itself says it serves (GET /info on both servers)."""
    with urllib.request.urlopen(url.rstrip("/") + "/info", timeout=10) as resp:
        info = json.loads(resp.read())
    return {
        "version": info["version"],
        "sha256": info["sha256"],
        "data_source": info["data"]["source"],
    }


def _aggregated_progress(csv_path: Path) -> str:
    try:
        lines = csv_path.read_text().splitlines()
    except OSError:
        return ""
    header = lines[0].split(",") if lines else []
    for line in lines[1:]:
        cells = line.split(",")
        if len(cells) == len(header) and cells[header.index("Name")] == "Aggregated":
            row = dict(zip(header, cells, strict=True))
            return f"{row['Request Count']} requests, {row['Failure Count']} failures"
    return ""


def _wait(
    proc: subprocess.Popen, deadline: float, tick: Callable[[float], None]
) -> tuple[int, Any]:
    """Wait for locust, calling ``tick`` twice a second; returns (exit code, rusage)."""
    started = time.monotonic()
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage
        now = time.monotonic()
        if now > deadline:
            proc.kill()
            os.wait4(proc.pid, 0)
            proc.returncode = -9
            raise TimeoutError(f"locust still running after {now - started:.0f} s; killed")
        tick(now - started)
        time.sleep(0.5)


def _bracket(
    snaps: list[machine.CpuSnapshot], start: float, end: float
) -> tuple[machine.CpuSnapshot, machine.CpuSnapshot]:
    """The last snapshot before ``start`` and the first after ``end`` (the test window)."""
    first = [s for s in snaps if s.at <= start] or snaps[:1]
    last = [s for s in snaps if s.at >= end] or snaps[-1:]
    return first[-1], last[0]


def _cpu_accounting(
    snaps: list[machine.CpuSnapshot],
    schedule: list[dict[str, Any]],
    server: Server | None,
    neighbours: Sequence[Server],
    locust_cpu: float,
    requests: int,
) -> dict[str, Any]:
    """CPU used during the test window by the server, the idle neighbour and everything else."""
    a, b = _bracket(snaps, schedule[0]["start"], schedule[-1]["end"])
    wall = b.at - a.at

    def used(srv: Server) -> float:
        pid = srv.process.pid
        return b.trees.get(pid, 0.0) - a.trees.get(pid, 0.0)

    server_cpu = used(server) if server else None
    neighbour = {n.target: round(used(n), 2) for n in neighbours if n.process}
    other = max(0.0, (b.busy - a.busy) - locust_cpu - (server_cpu or 0.0) - sum(neighbour.values()))
    return {
        "window_seconds": round(wall, 2),
        "server": (
            {
                "seconds": round(server_cpu, 2),
                "percent_of_one_core": round(100 * server_cpu / wall, 1),
                "ms_per_request": round(1000 * server_cpu / requests, 3) if requests else 0.0,
            }
            if server_cpu is not None
            else "external server: not measured"
        ),
        "other_seconds": round(other, 2),
        "other_percent": round(100 * other / wall, 1),
        "neighbour": neighbour or "no other server running",
    }


def execute(
    spec: RunSpec,
    server: Server | None,
    url: str,
    neighbours: Sequence[Server] = (),
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run locust once against ``url`` (``server`` when this process started it)."""
    spec.out_dir.mkdir(parents=True, exist_ok=True)
    settings = get_load_settings()
    planned = plans.max_seconds(spec.scenario, spec.params)
    roots = [s.process.pid for s in [server, *neighbours] if s is not None and s.process]
    scrape = bento_metrics.scrape
    bento_before = bento_metrics.batch_histogram(scrape(url)) if spec.target == "bento" else None
    load_before = machine.load_average()
    argv = locust_command(spec)
    env = {**os.environ, f"LOAD_{spec.target.upper()}_URL": url}
    title = spec.title or f"{spec.scenario} {spec.target}"
    echo(f"{title}: {plans.describe(spec.scenario, spec.params)} (<= {planned:.0f} s)")
    snaps = [machine.CpuSnapshot.take(time.time(), roots)]
    last_echo = [0.0]

    def tick(elapsed: float) -> None:
        snaps.append(machine.CpuSnapshot.take(time.time(), roots))
        if elapsed - last_echo[0] >= 15:
            last_echo[0] = elapsed
            done = _aggregated_progress(spec.out_dir / "locust_stats.csv")
            echo(
                f"    ... {elapsed:.0f} s (plan <= {planned:.0f} s + start-up)"
                + (f", {done}" if done else "")
            )

    with open(spec.out_dir / "locust.log", "wb") as log:
        proc = subprocess.Popen(
            argv, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            code, usage = _wait(proc, time.monotonic() + planned + GRACE_S, tick)
        finally:
            if proc.returncode is None:  # interrupted: do not leave locust running
                proc.kill()
                os.waitpid(proc.pid, 0)
                proc.returncode = -9
    snaps.append(machine.CpuSnapshot.take(time.time(), roots))
    meta_path = spec.out_dir / "locust_meta.json"
    if not meta_path.exists():
        tail = (spec.out_dir / "locust.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"locust exited with {code} and wrote no metadata:\n{tail}")
    locust_meta = json.loads(meta_path.read_text())
    schedule = locust_meta["schedule"]
    if not schedule or schedule[-1]["end"] is None or not locust_meta["stop_reason"]:
        tail = (spec.out_dir / "locust.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"locust (exit {code}) did not finish its plan; log ends:\n{tail}")
    stats = json.loads((spec.out_dir / "stats.json").read_text())
    requests = sum(e["num_requests"] for e in stats)
    locust_cpu = locust_meta["cpu_seconds_since_test_start"]
    cpu = _cpu_accounting(snaps, locust_meta["schedule"], server, neighbours, locust_cpu, requests)
    bento_batches: Any = "not applicable (Flask has no batching)"
    if bento_before is not None:
        bento_batches = bento_metrics.batch_delta(
            bento_before, bento_metrics.batch_histogram(scrape(url))
        )
    run = {
        "run_id": spec.out_dir.name,
        "scenario": spec.scenario,
        "target": spec.target,
        **spec.context,
        "date": machine.now_iso(),
        "wall_seconds": round(snaps[-1].at - snaps[0].at, 1),
        "git": {
            **machine.git_info(),
            "server_code_sha256": (
                (spec.server_code or machine.server_code_fingerprint())
                if server
                else "external server: not known"
            ),
            "load_code_sha256": locust_meta["load_code_sha256"],
        },
        "machine": machine.machine_info(),
        "versions": machine.versions(),
        "model": model_info(url),
        "server": server_settings(server, url, spec.target),
        "budget": spec.budget.to_dict(),
        "scenario_params": spec.params.to_dict(),
        "plan": plans.describe(spec.scenario, spec.params),
        "schedule": locust_meta["schedule"],
        "stop_reason": locust_meta["stop_reason"],
        "pool": locust_meta["pool"],
        "load_generator": {
            "tool": "locust FastHttpUser",
            "command": " ".join(argv),
            "cpus": spec.budget.locust_cpus or "not pinned",
            "processes": spec.processes or 1,
            "client_timeout_s": settings.client_timeout,
            "cpu_seconds_during_test": round(locust_cpu, 2),
            "cpu_seconds_with_startup": round(usage.ru_utime + usage.ru_stime, 2),
            "cpu_percent_of_one_core": round(100 * locust_cpu / cpu["window_seconds"], 1),
            "cpu_warning": locust_meta["cpu_warning"] or locust_meta["worker_cpu_warning"],
            "cpu_samples_percent": locust_meta["cpu_samples_percent"],
            "locust_tuning": locust_meta["locust_tuning"],
            "exit_code": code,
        },
        "host": {
            "load_average_before": load_before,
            "load_average_after": machine.load_average(),
            "cpu_window_seconds": cpu["window_seconds"],
            "other_processes_cpu_seconds": cpu["other_seconds"],
            "other_processes_cpu_percent_of_one_core": cpu["other_percent"],
            "idle_neighbour_server_cpu_seconds": cpu["neighbour"],
        },
        "server_cpu": cpu["server"],
        "bento_batches": bento_batches,
        "requests": requests,
    }
    require_complete(run)
    (spec.out_dir / "run.json").write_text(json.dumps(run, indent=2) + "\n")
    return run


# --- command line ----------------------------------------------------------------------------


def parse_overrides(args: argparse.Namespace, scenario: str) -> plans.Params:
    overrides = {"rate": args.rate, "duration": args.duration}
    for item in args.set or []:
        key, _, value = item.partition("=")
        overrides[key.replace("-", "_")] = value
    params = plans.params_for(scenario, overrides)
    if args.users:
        params = plans.params_for(
            scenario, {**overrides, "user_rate": params.rate / float(args.users)}
        )
    return params


def add_knob_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rate", default=None, help="requests/s per target (scenario default)")
    parser.add_argument("--users", default=None, help="users at that rate (default rate/2)")
    parser.add_argument("--duration", default=None, help="seconds (meaning per scenario)")
    parser.add_argument("--set", action="append", metavar="KNOB=VALUE", help="any other knob")
    parser.add_argument("--processes", type=int, default=0, help="locust --processes")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", required=True, choices=plans.SCENARIOS)
    parser.add_argument("--target", required=True, choices=TARGETS)
    parser.add_argument("--workers", type=int, default=1, help="server workers (default 1)")
    parser.add_argument("--url", default="", help="use this running server instead")
    parser.add_argument("--out", default="", help="report directory (default reports/<run-id>)")
    add_knob_arguments(parser)
    args = parser.parse_args(argv)
    exit_cleanly_on_sigterm()

    from loadtests.results import summary_lines
    from loadtests.servers import free_port, running

    params = parse_overrides(args, args.scenario)
    out = Path(args.out) if args.out else REPORTS / f"{stamp()}-{args.scenario}-{args.target}"
    budget = budget_for(args.workers, args.processes)
    if args.url:
        budget = Budget(
            None, budget.locust_cpus, False, f"external server at {args.url}; " + budget.statement
        )
    spec = RunSpec(
        args.scenario,
        args.target,
        params,
        args.workers,
        budget,
        out,
        ensure_pool(out / "pool.json"),
        args.processes,
        server_code=machine.server_code_fingerprint(),
        context={"kind": "single run", "repeat": 1, "repeats": 1},
    )
    print(f"CPU budget: {budget.statement}")
    if args.url:
        run = execute(spec, None, args.url.rstrip("/"))
    else:
        out.mkdir(parents=True, exist_ok=True)
        with running(
            args.target, free_port(), args.workers, budget.server_cpus, log_path=out / "server.log"
        ) as server:
            run = execute(spec, server, server.url)
    for line in summary_lines(out, run):
        print(line)
    print(f"report: {out / 'report.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
