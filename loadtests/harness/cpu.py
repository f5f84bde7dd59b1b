"""CPU accounting with psutil: the machine's busy time, and the CPU time of a process tree (a
server and its workers), so a run can say what the server used per request and what went to
OTHER processes (noise) meanwhile."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import psutil


def machine_busy_seconds() -> float:
    """Busy CPU seconds of the whole machine since boot (all but idle and iowait)."""
    t = psutil.cpu_times()
    return (
        sum(t)
        - t.idle
        - getattr(t, "iowait", 0.0)
        - getattr(t, "guest", 0.0)
        - getattr(t, "guest_nice", 0.0)
    )


def tree_seconds(pid: int) -> float:
    """CPU seconds of a process and its live descendants, plus the children they reaped.

    A process tree, not a session: BentoML's supervisor starts its workers in new sessions.
    """
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in procs:
        try:
            t = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


@dataclass(frozen=True)
class Snapshot:
    at: float
    busy: float
    trees: dict[int, float]  # root pid -> CPU seconds of its process tree

    @classmethod
    def take(cls, at: float, pids: Iterable[int]) -> Snapshot:
        return cls(at, machine_busy_seconds(), {pid: tree_seconds(pid) for pid in pids})


def bracket(snaps: list[Snapshot], start: float, end: float) -> tuple[Snapshot, Snapshot]:
    """The last snapshot before ``start`` and the first after ``end`` (the test window)."""
    first = [s for s in snaps if s.at <= start] or snaps[:1]
    last = [s for s in snaps if s.at >= end] or snaps[-1:]
    return first[-1], last[0]


def tree_at(snaps: list[Snapshot], pid: int, at: float) -> float:
    """A process tree's CPU seconds at time ``at``, interpolated between the snapshots."""
    before = [s for s in snaps if s.at <= at] or snaps[:1]
    after = [s for s in snaps if s.at >= at] or snaps[-1:]
    a, b = before[-1], after[0]
    ca, cb = a.trees.get(pid, 0.0), b.trees.get(pid, 0.0)
    if b.at <= a.at:
        return ca
    return ca + (cb - ca) * (at - a.at) / (b.at - a.at)


def wait_idle(pid: int, busy_pct: float = 5.0, window: float = 0.5, timeout: float = 30.0) -> float:
    """Wait until a process tree uses under ``busy_pct`` of a core over ``window`` seconds (a
    server working off what an overload left queued); the seconds waited (``timeout`` at most)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        before = tree_seconds(pid)
        time.sleep(window)
        if 100 * (tree_seconds(pid) - before) / window < busy_pct:
            break
    return time.monotonic() - start


def rss_mb(root_pid: int) -> dict[str, float]:
    """Resident memory (MB) of every process in a server's tree, keyed "<pid> <role>": the
    root is the "master" (gunicorn's, or `bentoml serve`), leaves are "worker"s."""
    try:
        root = psutil.Process(root_pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return {}
    out = {}
    for proc in procs:
        try:
            role = (
                "master" if proc.pid == root_pid else "worker" if not proc.children() else "process"
            )
            out[f"{proc.pid} {role}"] = round(proc.memory_info().rss / 2**20, 1)
        except psutil.NoSuchProcess:
            continue
    return out
