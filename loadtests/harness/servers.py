"""Start and stop servers from profiles, as subprocesses (runs, comparisons, dashboards, tests).

    with running(profiles.get("flask"), workers=2) as server:
        server.url  # http://127.0.0.1:<port>

A profile's kind says which command (`make flask` / `make bento` run the same ones) and its
settings become CREDIT_* variables; optionally pinned to CPUs with taskset. ``stop()`` sends
SIGTERM to the whole process group and waits.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtests.core.profiles import ServerProfile
from shared.settings import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str, timeout: float = 10.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


@dataclass
class Server:
    profile: ServerProfile
    port: int
    workers: int = 1
    cpus: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def name(self) -> str:
        return self.profile.name

    def command(self) -> list[str]:
        bindir = str(Path(sys.executable).parent)
        argv = [part.replace("{bin}", bindir) for part in self.profile.server.command]
        if self.cpus and shutil.which("taskset"):
            argv = ["taskset", "-c", self.cpus, *argv]
        return argv

    def start(self, timeout: float = 90.0) -> Server:
        env = {**os.environ, **self.env, **self.profile.env(self.port, self.workers)}
        env.setdefault("BENTOML_DO_NOT_TRACK", "true")
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")])
        )
        if self.log_path:  # a report's folder may not exist before its servers start
            Path(self.log_path).parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command(),
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_healthy(timeout)
        return self

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + self.profile.server.health_path, timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} server exited with {self.process.returncode} during start"
                    + (f"; see {self.log_path}" if self.log_path else "")
                )
            if self.healthy():
                return
            time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"{self.name} server not healthy on {self.url} after {timeout}s")

    def info(self) -> dict[str, Any]:
        """What the server says about itself and its model (GET /info)."""
        return get_json(self.url + "/info")

    def signal(self, signum: int) -> None:
        """Send a signal to the server's main process (e.g. SIGHUP to gunicorn's master)."""
        if self.process is not None:
            self.process.send_signal(signum)

    def stop(self, timeout: float = 30.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@contextlib.contextmanager
def running(
    profile: ServerProfile,
    port: int | None = None,
    workers: int = 1,
    cpus: str | None = None,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
    timeout: float = 120.0,
) -> Iterator[Server]:
    server = Server(
        profile, port or free_port(), profile.workers_for(workers), cpus, dict(env or {}), log_path
    )
    try:  # interrupted while starting (Ctrl-C, SIGTERM), the server is stopped too
        server.start(timeout)
        yield server
    finally:
        server.stop()
