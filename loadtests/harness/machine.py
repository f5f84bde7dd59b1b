"""Facts recorded with every run: the commit, the machine, the package versions."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

from loadtests.core.record import CodeInfo, MachineInfo
from shared.settings import PROJECT_ROOT

PACKAGES = (
    "locust",
    "geventhttpclient",
    "bentoml",
    "uvicorn",
    "flask",
    "gunicorn",
    "xgboost-cpu",
    "scikit-learn",
    "numpy",
    "pydantic",
    "schemathesis",
)

# A fixed pure-Python workload, timed where the server runs: on a steady host it takes the same
# time before and after every run (8.0-10.3 ms here, idle, 20 probes). A host that gives the
# core less (another tenant, throttling, steal) makes every repetition slower, which the
# machine's CPU accounting cannot show; the fastest of 9 ignores a process's brief wake-up.
PROBE = """
import time
took = []
for _ in range(9):
    t = time.perf_counter()
    sum(i * i for i in range(200_000))
    took.append(time.perf_counter() - t)
print(1000 * min(took))
"""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def git(*args: str) -> str:
    out = subprocess.run(
        ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def code_info(server_code: str | None, load_code: str) -> CodeInfo:
    try:
        sha = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError) as exc:
        raise RuntimeError(f"cannot read the git commit of {PROJECT_ROOT}: {exc}") from exc
    return CodeInfo(
        sha=sha, dirty=dirty, server_code_sha256=server_code, load_code_sha256=load_code
    )


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> MachineInfo:
    return MachineInfo(
        cpu_model=cpu_model(),
        cpu_count=os.cpu_count() or 1,
        cpus_usable=len(os.sched_getaffinity(0)),
        platform=platform.platform(),
        python=platform.python_version(),
        taskset=shutil.which("taskset") is not None,
    )


def versions() -> dict[str, str]:
    found = {}
    for package in PACKAGES:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def speed_probe(cpus: str | None = None) -> float | None:
    """Milliseconds of PROBE on ``cpus`` (the fastest of 9); None when it could not run."""
    argv = [sys.executable, "-c", PROBE]
    if cpus and shutil.which("taskset"):
        argv = ["taskset", "-c", cpus, *argv]
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True)
        return round(float(out.stdout), 2)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def steal_seconds() -> float:
    """CPU seconds the hypervisor gave other guests (all cores, since boot; 0 where not told)."""
    import psutil

    return getattr(psutil.cpu_times(), "steal", 0.0)
