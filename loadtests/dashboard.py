"""Locust's web UI against one or both servers, every scenario selectable (class picker).

    python -m loadtests.dashboard --targets flask --port 8089      (make locust-flask)
    python -m loadtests.dashboard --targets bento --port 8090      (make locust-bento)
    python -m loadtests.dashboard --targets flask,bento --port 8091 (make locust)

Starts the selected servers itself (pinned like a comparison, see loadtests.budget), or, with
``--no-server``, uses the ones already running at LOAD_FLASK_URL / LOAD_BENTO_URL (default: the
ports of `make flask` / `make bento`). In the UI pick a shape (SteadyShape, CapacityShape, ...)
and the user classes of the targets; the scenario knobs are under "Custom parameters".
``--master`` runs the UI as a locust master that waits for ``--expect-workers`` workers;
``--worker --master-host H`` runs a worker for it (`make locust-worker MASTER_HOST=...` on the
other machines: same locustfiles, hosts from LOAD_FLASK_URL / LOAD_BENTO_URL, no server).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from loadtests.budget import budget_for
from loadtests.run import LOCUSTFILES, REPORTS, ensure_pool, exit_cleanly_on_sigterm
from loadtests.servers import TARGETS, Server, free_port
from loadtests.settings import get_load_settings
from shared.settings import PROJECT_ROOT

SCENARIO_FILES = ("steady", "capacity", "spike", "bad_input", "batch")


def locustfiles(targets: Sequence[str]) -> str:
    files = [LOCUSTFILES / f"{s}.py" for s in SCENARIO_FILES]
    files += [LOCUSTFILES / f"{t}_target.py" for t in targets]
    return ",".join(str(f) for f in files)


def run_worker(targets: Sequence[str], master_host: str, processes: int) -> int:
    argv = [
        str(Path(sys.executable).parent / "locust"),
        "-f",
        locustfiles(targets),
        "--worker",
        "--master-host",
        master_host,
    ]
    if processes:
        argv += ["--processes", str(processes)]
    for target in targets:
        print(f"{target}: {get_load_settings().url(target)}", flush=True)
    proc = subprocess.Popen(argv, cwd=PROJECT_ROOT)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return proc.wait()
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(30)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", default="flask", help="comma-separated: flask,bento")
    parser.add_argument("--port", type=int, default=8089, help="web UI port")
    parser.add_argument("--workers", type=int, default=1, help="server workers")
    parser.add_argument("--processes", type=int, default=0, help="locust --processes")
    parser.add_argument("--no-server", action="store_true", help="use running servers")
    parser.add_argument("--master", action="store_true", help="run as a distributed master")
    parser.add_argument("--expect-workers", type=int, default=1)
    parser.add_argument("--worker", action="store_true", help="run as a distributed worker")
    parser.add_argument("--master-host", default="127.0.0.1", help="the master (--worker)")
    args = parser.parse_args(argv)
    targets = [t for t in args.targets.split(",") if t]
    if not targets or set(targets) - set(TARGETS):
        parser.error(f"--targets must be a comma-separated subset of {TARGETS}")
    exit_cleanly_on_sigterm()
    if args.worker:
        return run_worker(targets, args.master_host, args.processes)

    budget = budget_for(args.workers, args.processes)
    pool = ensure_pool(REPORTS / "dashboard" / "pool.json")
    env = dict(os.environ)
    with contextlib.ExitStack() as stack:
        for target in targets:
            if args.no_server:
                url = get_load_settings().url(target)
            else:
                server = Server(
                    target,
                    free_port(),
                    args.workers,
                    budget.server_cpus,
                    log_path=REPORTS / "dashboard" / f"{target}-server.log",
                ).start(timeout=180)
                stack.callback(server.stop)
                url = server.url
            env[f"LOAD_{target.upper()}_URL"] = url
            print(f"{target}: {url}", flush=True)
        argv_locust = [
            str(Path(sys.executable).parent / "locust"),
            "-f",
            locustfiles(targets),
            "--class-picker",
            "--web-host",
            "127.0.0.1",
            "--web-port",
            str(args.port),
            "--pool-file",
            str(pool),
            "--stop-timeout",
            f"{get_load_settings().client_timeout + 2:g}",
        ]
        if args.processes:
            argv_locust += ["--processes", str(args.processes)]
        if args.master:
            argv_locust += ["--master", "--expect-workers", str(args.expect_workers)]
        if budget.locust_cpus and not args.master:
            argv_locust = ["taskset", "-c", budget.locust_cpus, *argv_locust]
        if not args.no_server:
            print(f"CPU budget: {budget.statement}", flush=True)
        print(f"locust web UI: http://127.0.0.1:{args.port} (Ctrl-C to stop)", flush=True)
        proc = subprocess.Popen(argv_locust, cwd=PROJECT_ROOT, env=env)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            return proc.wait()  # locust got the Ctrl-C too and shuts down
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(30)


if __name__ == "__main__":
    sys.exit(main())
