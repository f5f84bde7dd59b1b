"""Facts recorded with every run: code, machine, versions, and CPU accounting from /proc.

CPU accounting (Linux): busy time of the whole machine from /proc/stat, and the CPU time of
a process tree (a server and its workers) from /proc/<pid>/stat, so a report can say how much CPU
the server used per request and how much went to OTHER processes (noise) during the run.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from shared.settings import PROJECT_ROOT

PACKAGES = (
    "locust",
    "geventhttpclient",
    "bentoml",
    "flask",
    "gunicorn",
    "xgboost-cpu",
    "scikit-learn",
    "numpy",
    "pydantic",
    "matplotlib",
)
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def git_info(root: Path = PROJECT_ROOT) -> dict[str, str | bool]:
    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
        return out.stdout.strip()

    try:
        sha = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError) as exc:
        raise RuntimeError(f"cannot read the git commit of {root}: {exc}") from exc
    return {"sha": sha, "dirty": dirty}


SERVER_CODE = ("shared", "flask_app", "bento_app")


def files_fingerprint(paths: list[Path], root: Path = PROJECT_ROOT) -> str:
    """sha256 over (relative path, content) of the given files, in path order."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(set(paths)):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def server_code_fingerprint(root: Path = PROJECT_ROOT) -> str:
    """The Python code both servers run (committed or not), for like-for-like checks."""
    return files_fingerprint([p for d in SERVER_CODE for p in (root / d).rglob("*.py")], root)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    return {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "taskset": shutil.which("taskset") is not None,
    }


def versions() -> dict[str, str]:
    found = {}
    for package in PACKAGES:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def load_average() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return list(os.getloadavg())


# --- CPU accounting --------------------------------------------------------------------------


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal (guest is in user)
    return (total - idle) / CLK_TCK, total / CLK_TCK


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name may contain spaces: the fields after it start past the last ")"
    return raw[raw.rindex(")") + 2 :].split()


def tree_cpu_seconds(root_pid: int) -> float:
    """CPU seconds of a process and all its live descendants, including reaped children.

    A process tree, not a session: BentoML's supervisor starts its workers in new sessions.
    """
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is None:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])  # fields[1] = parent pid
        utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
        times[pid] = utime + stime + cutime + cstime
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += times.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total / CLK_TCK


@dataclass(frozen=True)
class CpuSnapshot:
    at: float
    busy: float
    total: float
    trees: dict[int, float]  # root pid -> CPU seconds of its process tree

    @classmethod
    def take(cls, at: float, root_pids: list[int]) -> CpuSnapshot:
        busy, total = machine_cpu_seconds()
        return cls(at, busy, total, {pid: tree_cpu_seconds(pid) for pid in root_pids})
