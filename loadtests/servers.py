"""Start and stop the two real servers as subprocesses (tests, comparisons, rollouts).

    with running("flask", port=free_port(), model_dir=..., workers=2) as server:
        server.url  # http://127.0.0.1:<port>

Both are started through the same commands `make flask` / `make bento` run (gunicorn with the
project's config; bento_app.serve), with settings passed as CREDIT_* env vars, optionally
pinned to CPUs with taskset. ``stop()`` sends SIGTERM to the whole process group and waits.
"""

from __future__ import annotations

import contextlib
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

from shared.settings import PROJECT_ROOT

HEALTH_PATH = {"flask": "/healthz", "bento": "/readyz"}
TARGETS = tuple(HEALTH_PATH)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def taskset_available() -> bool:
    return shutil.which("taskset") is not None


def command(target: str) -> list[str]:
    bindir = Path(sys.executable).parent
    if target == "flask":
        return [
            str(bindir / "gunicorn"),
            "-c",
            str(PROJECT_ROOT / "flask_app" / "gunicorn_conf.py"),
            "flask_app:create_app()",
        ]
    if target == "bento":
        return [sys.executable, "-m", "bento_app.serve"]
    raise ValueError(f"unknown target {target!r}; expected one of {TARGETS}")


@dataclass
class Server:
    target: str
    port: int
    workers: int
    cpus: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> Server:
        env = {**os.environ, **self.env}
        env["CREDIT_HOST"] = "127.0.0.1"
        env[f"CREDIT_{self.target.upper()}_PORT"] = str(self.port)
        env[f"CREDIT_{self.target.upper()}_WORKERS"] = str(self.workers)
        env.setdefault("BENTOML_DO_NOT_TRACK", "true")
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")])
        )
        argv = command(self.target)
        if self.cpus and taskset_available():
            argv = ["taskset", "-c", self.cpus, *argv]
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            argv,
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
            with urllib.request.urlopen(self.url + HEALTH_PATH[self.target], timeout=2) as resp:
                return resp.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.target} server exited with {self.process.returncode} during start"
                    + (f"; see {self.log_path}" if self.log_path else "")
                )
            if self.healthy():
                return
            time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"{self.target} server not healthy on {self.url} after {timeout}s")

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
    target: str,
    port: int | None = None,
    workers: int = 2,
    cpus: str | None = None,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
    timeout: float = 90.0,
) -> Iterator[Server]:
    server = Server(target, port or free_port(), workers, cpus, dict(env or {}), log_path)
    server.start(timeout)
    try:
        yield server
    finally:
        server.stop()
