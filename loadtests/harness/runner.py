"""One headless locust run of one scenario against one server, with everything recorded.

Runs locust in a subprocess (pinned to its own core by the budget), acts on the server when
the scenario asks (a phase started), and writes into the run directory:

    report.html            locust's HTML report (history sampled every second)
    locust_stats*.csv      locust's CSVs, with --csv-full-history
    stats.json             locust's final stats (--json-file)
    timeline.json          every request, per second (loadtests.core.timeline)
    locust_meta.json       the shape's real schedule, the knobs, locust's CPU
    run.json               the run record (loadtests.core.record)
    locust.log, server.log
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtests.core.knobs import Knobs
from loadtests.core.profiles import ServerProfile
from loadtests.core.record import (
    Budget,
    Event,
    HostInfo,
    LoadGenerator,
    ModelInfo,
    PoolInfo,
    RunRecord,
    ServerCpu,
    ServerInfo,
)
from loadtests.core.targets import ENV as TARGETS_ENV
from loadtests.harness import cpu, machine, metrics
from loadtests.harness.fingerprint import server_code_fingerprint
from loadtests.harness.locust_command import locust_argv
from loadtests.harness.operator import Operator
from loadtests.harness.servers import Server, get_json
from loadtests.scenarios import Scenario
from shared.settings import PROJECT_ROOT

REPORTS = PROJECT_ROOT / "reports"
GRACE_S = 90.0  # on top of the planned duration before a locust run is killed
RSS_EVERY_S = 2.0  # how often the server's memory is sampled


def stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S")


@dataclass
class RunSpec:
    scenario: Scenario
    profile: ServerProfile
    knobs: Knobs
    requested_workers: int
    budget: Budget
    out_dir: Path
    pool_file: Path
    processes: int = 0
    title: str = ""  # for progress lines, e.g. "[3/12] steady flask rep 2/3"
    server_code: str = ""  # the server code's fingerprint when it started ("" = now)
    purpose: str = "single run"
    repeat: int = 1
    repeats: int = 1
    server_runs_before: int = 0
    restarted_before_run: bool = False


def _progress(csv_path: Path) -> str:
    try:
        with csv_path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                if row.get("Name") == "Aggregated":
                    return f"{row['Request Count']} requests, {row['Failure Count']} failures"
    except OSError:
        pass
    return ""


class _PhaseWatcher:
    """Reads the phase lines the shape appends and lets the scenario act on each new one."""

    def __init__(self, path: Path, scenario: Scenario, op: Operator) -> None:
        self.path, self.scenario, self.op = path, scenario, op
        self.seen = 0
        self.events: list[Event] = []

    def poll(self) -> None:
        if not self.path.exists():
            return
        lines = self.path.read_text().splitlines()
        for line in lines[self.seen :]:
            if line.strip():
                self.events += self.scenario.act(json.loads(line)["label"], self.op)
        self.seen = len(lines)


def _wait(
    proc: subprocess.Popen, deadline: float, tick: Callable[[float], None]
) -> tuple[int, Any]:
    """Wait for locust, calling ``tick`` ten times a second; returns (exit code, rusage)."""
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
        time.sleep(0.1)


def _log_tail(out: Path) -> str:
    return (out / "locust.log").read_text(errors="replace")[-3000:]


def execute(
    spec: RunSpec,
    server: Server | None,
    url: str,
    neighbours: Sequence[Server] = (),
    echo: Callable[[str], None] = print,
) -> RunRecord:
    """Run locust once against ``url`` (``server`` when this process started it)."""
    out = spec.out_dir
    out.mkdir(parents=True, exist_ok=True)
    scenario, knobs = spec.scenario, spec.knobs
    planned = scenario.planned_seconds(knobs)
    op = Operator(spec.profile, out, server, knobs, spec.pool_file, spec.budget.locust_cpus)
    roots = [s.process.pid for s in [server, *neighbours] if s is not None and s.process]
    files = {
        "timeline_file": out / "timeline.json",
        "meta_file": out / "locust_meta.json",
        "phase_file": out / "phases.jsonl",
    }
    files["phase_file"].unlink(missing_ok=True)
    argv = locust_argv(
        pool=spec.pool_file,
        scenario=scenario.name,
        knobs=knobs.model_dump(),
        files=files,
        processes=spec.processes,
        cpus=spec.budget.locust_cpus,
        extra=[
            "--headless",
            "--only-summary",
            "--html",
            str(out / "report.html"),
            "--csv",
            str(out / "locust"),
            "--csv-full-history",
            "--json-file",
            str(out / "stats"),
            "--stop-timeout",
            f"{knobs.client_timeout + 2:g}",
            "--loglevel",
            "INFO",
        ],  # fmt: skip
    )
    env = {**os.environ, TARGETS_ENV: f"{spec.profile.name}={url}"}
    title = spec.title or f"{scenario.name} {spec.profile.name}"
    echo(f"{title}: {scenario.describe(knobs)} (<= {planned:.0f} s)")
    load_before = machine.load_average()
    probes = [machine.speed_probe(spec.budget.server_cpus)]
    steal_before = (machine.steal_seconds(), time.monotonic())
    scenario.prepare(op)
    try:
        batches_before = (
            metrics.batch_histogram(metrics.scrape(url)) if scenario.scrape_batches else None
        )
        watcher = _PhaseWatcher(files["phase_file"], scenario, op)
        snaps = [cpu.Snapshot.take(time.time(), roots)]
        rss: list[tuple[float, dict[str, float]]] = []
        last = {"echo": 0.0, "snap": 0.0, "rss": -RSS_EVERY_S}

        def tick(elapsed: float) -> None:
            watcher.poll()
            if elapsed - last["snap"] >= 0.5:
                last["snap"] = elapsed
                snaps.append(cpu.Snapshot.take(time.time(), roots))
            if server is not None and elapsed - last["rss"] >= RSS_EVERY_S:
                last["rss"] = elapsed
                rss.append((round(time.time(), 2), cpu.rss_mb(server.process.pid)))
            if elapsed - last["echo"] >= 15:
                last["echo"] = elapsed
                done = _progress(out / "locust_stats.csv")
                echo(
                    f"    ... {elapsed:.0f} s (plan <= {planned:.0f} s + start-up)"
                    + (f", {done}" if done else "")
                )

        with open(out / "locust.log", "wb") as log:
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
        watcher.poll()
        snaps.append(cpu.Snapshot.take(time.time(), roots))
    finally:
        scenario.finish(op)
    steal_pct = (
        100
        * (machine.steal_seconds() - steal_before[0])
        / max(time.monotonic() - steal_before[1], 1e-9)
    )
    if server is not None:  # the probe shares the server's cores: wait out its backlog first
        cpu.wait_idle(server.process.pid)
    probes.append(machine.speed_probe(spec.budget.server_cpus))
    meta_path = files["meta_file"]
    if not meta_path.exists():
        raise RuntimeError(f"locust exited with {code} and wrote no metadata:\n{_log_tail(out)}")
    meta = json.loads(meta_path.read_text())
    schedule = meta["schedule"]
    if not schedule or schedule[-1]["end"] is None or not meta["stop_reason"]:
        raise RuntimeError(
            f"locust (exit {code}) did not finish its plan; log ends:\n{_log_tail(out)}"
        )
    stats = json.loads((out / "stats.json").read_text())
    requests = sum(e["num_requests"] for e in stats)
    locust_cpu = meta["cpu_seconds_since_test_start"]
    a, b = cpu.bracket(snaps, schedule[0]["start"], schedule[-1]["end"])
    wall = max(b.at - a.at, 1e-9)

    def used(srv: Server) -> float:
        return b.trees.get(srv.process.pid, 0.0) - a.trees.get(srv.process.pid, 0.0)

    server_cpu = used(server) if server else None
    phase_cpu = {}
    if server is not None:
        pid = server.process.pid
        for entry in schedule:
            used_s = cpu.tree_at(snaps, pid, entry["end"]) - cpu.tree_at(snaps, pid, entry["start"])
            phase_cpu[entry["label"]] = round(used_s, 3)
    neighbour_cpu = {n.name: round(used(n), 2) for n in neighbours if n.process}
    other = max(
        0.0, (b.busy - a.busy) - locust_cpu - (server_cpu or 0.0) - sum(neighbour_cpu.values())
    )
    info = get_json(url.rstrip("/") + "/info")
    batches = None
    if batches_before is not None:
        batches = metrics.batch_delta(batches_before, metrics.batch_histogram(metrics.scrape(url)))
    record = RunRecord(
        run_id=out.name,
        scenario=scenario.name,
        profile=spec.profile,
        purpose=spec.purpose,
        repeat=spec.repeat,
        repeats=spec.repeats,
        requested_workers=spec.requested_workers,
        server_runs_before=spec.server_runs_before,
        restarted_before_run=spec.restarted_before_run,
        date=machine.now_iso(),
        wall_seconds=round(snaps[-1].at - snaps[0].at, 1),
        code=machine.code_info(
            (spec.server_code or server_code_fingerprint()) if server else None,
            meta["load_code_sha256"],
        ),
        machine=machine.machine_info(),
        versions=machine.versions(),
        model=ModelInfo(
            version=info["version"], sha256=info["sha256"], data_source=info["data"]["source"]
        ),
        server=ServerInfo(
            url=url,
            started_by_run=server is not None,
            workers=server.workers if server else None,
            cpus=server.cpus if server else None,
            reported=info.get("serving", {}),
        ),
        budget=spec.budget,
        knobs=meta["knobs"],
        plan=scenario.describe(knobs),
        schedule=schedule,
        stop_reason=meta["stop_reason"],
        pool=PoolInfo(**meta["pool"]),
        load_generator=LoadGenerator(
            tool="locust FastHttpUser",
            command=" ".join(argv),
            cpus=spec.budget.locust_cpus,
            processes=spec.processes or 1,
            cpu_seconds_during_test=round(locust_cpu, 2),
            cpu_seconds_with_startup=round(usage.ru_utime + usage.ru_stime, 2),
            cpu_percent_of_one_core=round(100 * locust_cpu / wall, 1),
            cpu_warning=meta["cpu_warning"],
            cpu_samples_percent=meta["cpu_samples_percent"],
            exit_code=code,
        ),
        host=HostInfo(
            load_average_before=load_before,
            load_average_after=machine.load_average(),
            cpu_window_seconds=round(wall, 2),
            other_cpu_seconds=round(other, 2),
            other_cpu_percent=round(100 * other / wall, 1),
            neighbours_cpu_seconds=neighbour_cpu,
            speed_probe_ms=[p for p in probes if p is not None],
            steal_percent=round(steal_pct, 1),
        ),
        server_cpu=(
            ServerCpu(
                seconds=round(server_cpu, 2),
                percent_of_one_core=round(100 * server_cpu / wall, 1),
                ms_per_request=round(1000 * server_cpu / requests, 3) if requests else 0.0,
            )
            if server_cpu is not None
            else None
        ),
        phase_server_cpu=phase_cpu,
        server_rss=rss,
        adaptive_batches=batches,
        events=watcher.events,
        extras=op.extras,
        requests=requests,
    )
    record.write(out / "run.json")
    return record
