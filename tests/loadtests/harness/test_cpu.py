"""loadtests.harness.cpu: CPU seconds of a process tree, the machine's, and the test window."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil
import pytest

from loadtests.harness import cpu
from loadtests.harness.cpu import Snapshot, bracket, machine_busy_seconds, tree_seconds

BURN_S = 0.6

# The child burns BURN_S of CPU, says so, then idles until its stdin closes.
CHILD = f"""
import sys, time
end = time.process_time() + {BURN_S}
while time.process_time() < end:
    pass
print("burnt", flush=True)
sys.stdin.read()
"""

# The parent starts the child, idles, and reaps it when told to (a server and its worker).
PARENT = f"""
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", {CHILD!r}], stdin=subprocess.PIPE)
print(child.pid, flush=True)
sys.stdin.readline()
child.stdin.close()
child.wait()
print("reaped", flush=True)
sys.stdin.readline()
"""


def _own_seconds(pid: int) -> float:
    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


@pytest.fixture
def parent():
    proc = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    yield proc
    proc.kill()
    proc.wait(timeout=10)


def test_a_child_that_burns_cpu_is_counted_in_its_parents_tree(parent):
    child_pid = int(parent.stdout.readline())
    assert parent.stdout.readline().strip() == "burnt"
    assert psutil.Process(child_pid).ppid() == parent.pid
    own = _own_seconds(parent.pid)
    assert own < BURN_S / 2  # the parent itself only idled
    alive = tree_seconds(parent.pid)  # the child is a live descendant
    assert alive >= own + BURN_S * 0.9
    parent.stdin.write("reap\n")
    parent.stdin.flush()
    assert parent.stdout.readline().strip() == "reaped"
    assert not psutil.pid_exists(child_pid) or psutil.Process(child_pid).ppid() != parent.pid
    reaped = tree_seconds(parent.pid)  # now in the parent's children_user/children_system
    assert reaped >= own + BURN_S * 0.9
    assert reaped >= alive - 0.05  # nothing lost when the child went away


def test_a_process_that_is_gone_has_no_cpu():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert tree_seconds(proc.pid) == 0.0


def test_machine_busy_seconds_grow_while_a_cpu_is_busy():
    before = machine_busy_seconds()
    end = time.process_time() + 0.2
    while time.process_time() < end:
        pass
    after = machine_busy_seconds()
    assert before > 0
    assert after - before >= 0.1


def test_snapshot_takes_the_trees_of_the_given_pids(parent):
    int(parent.stdout.readline())
    snap = Snapshot.take(12.5, [parent.pid])
    assert snap.at == 12.5 and snap.busy > 0
    assert set(snap.trees) == {parent.pid}


def _snaps(*ats: float) -> list[Snapshot]:
    return [Snapshot(at, busy=at * 10, trees={}) for at in ats]


def test_bracket_takes_the_last_snapshot_before_and_the_first_after():
    snaps = _snaps(0, 1, 2, 3, 4)
    first, last = bracket(snaps, 1.5, 3.5)
    assert (first.at, last.at) == (1, 4)
    first, last = bracket(snaps, 1, 3)  # exactly at a snapshot: that one
    assert (first.at, last.at) == (1, 3)


def test_bracket_falls_back_to_the_first_and_last_snapshot():
    snaps = _snaps(5, 6, 7)
    first, last = bracket(snaps, 1, 10)  # the window is wider than what was sampled
    assert (first.at, last.at) == (5, 7)
    first, last = bracket(_snaps(5), 1, 10)
    assert first.at == last.at == 5


def test_tree_at_interpolates_between_snapshots():
    snaps = [cpu.Snapshot(10.0, 0.0, {7: 1.0}), cpu.Snapshot(12.0, 0.0, {7: 2.0})]
    assert cpu.tree_at(snaps, 7, 11.0) == 1.5
    assert cpu.tree_at(snaps, 7, 9.0) == 1.0 and cpu.tree_at(snaps, 7, 13.0) == 2.0
    assert cpu.tree_at(snaps, 8, 11.0) == 0.0


def test_rss_names_the_master_and_its_workers():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        time.sleep(0.2)
        found = cpu.rss_mb(os.getpid())
    finally:
        child.kill()
        child.wait()
    assert f"{os.getpid()} master" in found and f"{child.pid} worker" in found
    assert all(mb > 1 for mb in found.values())
    assert cpu.rss_mb(2**22 + 12345) == {}


def test_wait_idle_waits_while_the_tree_is_busy_then_returns():
    burn = "import time\nend = time.time() + 1.5\nwhile time.time() < end: pass\ntime.sleep(30)"
    proc = subprocess.Popen([sys.executable, "-c", burn])
    try:
        waited = cpu.wait_idle(proc.pid, window=0.25, timeout=10)
        assert 1.0 <= waited < 5  # busy for 1.5 s, then idle: about that long, not the timeout
        assert cpu.wait_idle(proc.pid, window=0.25, timeout=10) < 0.5  # idle: one window
    finally:
        proc.kill()
        proc.wait()
