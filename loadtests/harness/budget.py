"""The CPU budget of a run: which cores the server and the load generator may use.

Like-for-like means every profile gets the same cores for the same worker count. With taskset
and at least two usable CPUs, locust gets its own core(s) at the end of the CPU list and the
server the first ``workers`` CPUs; when there are not enough CPUs for both, they overlap and
the statement says so (on 2 cores, a 2-worker server shares a core with locust). Without
taskset nothing is pinned, and that is stated too.
"""

from __future__ import annotations

import os
import shutil

from loadtests.core.record import Budget


def usable_cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0))


def _fmt(cpus: list[int]) -> str:
    return ",".join(str(c) for c in cpus)


def budget_for(
    workers: int,
    locust_processes: int = 1,
    cpus: list[int] | None = None,
    taskset: bool | None = None,
) -> Budget:
    cpus = usable_cpus() if cpus is None else cpus
    taskset = shutil.which("taskset") is not None if taskset is None else taskset
    locust_n = max(1, locust_processes)
    if not taskset or len(cpus) < 2:
        why = "taskset is not available" if not taskset else f"only {len(cpus)} CPU is usable"
        return Budget(
            server_cpus=None,
            locust_cpus=None,
            shared=True,
            statement=f"NOT pinned ({why}): server ({workers} worker(s)) and locust share all "
            f"{len(cpus)} CPU(s).",
        )
    locust = cpus[-locust_n:] if locust_n < len(cpus) else cpus[-1:]
    rest = [c for c in cpus if c not in locust]
    server = rest[:workers] if len(rest) >= workers else cpus[:workers]
    shared = bool(set(server) & set(locust))
    statement = (
        f"server ({workers} worker(s)) pinned to CPU {_fmt(server)}, locust to CPU "
        f"{_fmt(locust)} with taskset"
    )
    if shared:
        statement += (
            f"; with {len(cpus)} usable CPUs the server SHARES CPU "
            f"{_fmt(sorted(set(server) & set(locust)))} with locust, so its numbers include "
            "competition with the load generator"
        )
    return Budget(
        server_cpus=_fmt(server), locust_cpus=_fmt(locust), shared=shared, statement=statement + "."
    )


def external(locust_processes: int = 1) -> Budget:
    """A server this run did not start: only locust is pinned. The statement names no address
    (the run record has it), so runs against different external servers compare like for like."""
    pinned = budget_for(1, locust_processes)
    where = (
        f"locust pinned to CPU {pinned.locust_cpus} with taskset"
        if pinned.locust_cpus
        else "locust not pinned"
    )
    return Budget(
        server_cpus=None,
        locust_cpus=pinned.locust_cpus,
        shared=False,
        statement=f"external server (not started or pinned by this run); {where}.",
    )
