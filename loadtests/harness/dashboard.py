"""Locust's web UI against one or more servers, any scenario selectable.

Starts the profiles' servers itself (pinned like a comparison, see loadtests.harness.budget),
or, with ``no_server``, uses the ones already running at the `make flask` / `make bento` ports
(or LOAD_TARGETS). In the UI pick the scenario and its knobs under "Custom parameters" (empty
= the scenario's default). As a distributed master it waits for ``expect_workers`` locust
workers; ``worker()`` runs one for a master elsewhere (same LOAD_TARGETS on every machine).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Sequence

from loadtests.core.profiles import ServerProfile
from loadtests.core.targets import ENV as TARGETS_ENV
from loadtests.core.targets import format_targets, targets
from loadtests.harness.budget import budget_for
from loadtests.harness.locust_command import locust_argv
from loadtests.harness.pool import ensure_pool
from loadtests.harness.runner import REPORTS
from loadtests.harness.servers import Server, free_port
from shared.settings import PROJECT_ROOT


def _run(argv: list[str], env: dict[str, str]) -> int:
    proc = subprocess.Popen(argv, cwd=PROJECT_ROOT, env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return proc.wait()  # locust got the Ctrl-C too and shuts down
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(30)


def web_ui(
    profiles: Sequence[ServerProfile],
    port: int,
    workers: int = 1,
    processes: int = 0,
    no_server: bool = False,
    master: bool = False,
    expect_workers: int = 1,
) -> int:
    pool = ensure_pool(REPORTS / "dashboard" / "pool.json")
    env = dict(os.environ)
    urls = {}
    budget = budget_for(workers, processes)
    with contextlib.ExitStack() as stack:
        known = targets() if no_server else {}
        for profile in profiles:
            if no_server:
                if profile.name not in known:
                    raise SystemExit(f"{profile.name}: no running server in {TARGETS_ENV}")
                urls[profile.name] = known[profile.name]
                continue
            actual = profile.workers_for(workers)
            server = Server(
                profile,
                free_port(),
                actual,
                budget_for(actual, processes).server_cpus,
                log_path=REPORTS / "dashboard" / f"{profile.name}-server.log",
            ).start(timeout=180)
            stack.callback(server.stop)
            urls[profile.name] = server.url
        env[TARGETS_ENV] = format_targets(urls)
        for name, url in urls.items():
            print(f"{name}: {url}", flush=True)
        extra = ["--web-host", "127.0.0.1", "--web-port", str(port), "--stop-timeout", "12"]
        if master:
            extra += ["--master", "--expect-workers", str(expect_workers)]
        argv = locust_argv(
            pool=pool,
            processes=processes,
            cpus=None if master or no_server else budget.locust_cpus,
            extra=extra,
        )
        if not no_server:
            print(f"CPU budget: {budget.statement}", flush=True)
        print(f"locust web UI: http://127.0.0.1:{port} (Ctrl-C to stop)", flush=True)
        return _run(argv, env)


def worker(master_host: str, processes: int = 0) -> int:
    """A locust worker for a master elsewhere (targets from LOAD_TARGETS, as on the master)."""
    pool = ensure_pool(REPORTS / "dashboard" / "pool.json")
    for name, url in targets().items():
        print(f"{name}: {url}", flush=True)
    argv = locust_argv(
        pool=pool, processes=processes, extra=["--worker", "--master-host", master_host]
    )
    return _run(argv, dict(os.environ))
