"""Where batching pays (make crossover): the capacity, in applications per second, of four
ways of serving, over a range of model costs (shared.predictor's labelled synthetic cost per
model call, setting model_cost_ms; 0 = the real model alone):

    Flask, one application per request          flask-tuned   /classify
    Flask, the client sends lists of 8          flask-tuned   /classify_batch
    BentoML, one application per request        bento-tuned   /classify
    BentoML, adaptive batching (1 per request)  bento-batch   /classify_batch, max_latency 50 ms

Each point is a `crossover` scenario run (a capacity search) against a server started with that
cost, pinned like every comparison. Writes reports/crossover-<stamp>/ (runs/, crossover.md,
crossover.png, summary.json).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

from loadtests import scenarios
from loadtests.core import profiles
from loadtests.harness.budget import budget_for
from loadtests.harness.fingerprint import server_code_fingerprint
from loadtests.harness.pool import ensure_pool
from loadtests.harness.runner import REPORTS, RunSpec, execute, stamp
from loadtests.harness.servers import Server, free_port

MODES = (
    ("flask-single", "Flask, one per request", "flask-tuned", {"path": "classify"}),
    ("flask-client-batch", "Flask, client lists of 8", "flask-tuned",
     {"path": "classify_batch", "batch_size": 8}),
    ("bento-single", "BentoML, one per request", "bento-tuned", {"path": "classify"}),
    ("bento-adaptive", "BentoML, adaptive batching", "bento-batch",
     {"path": "classify_batch", "batch_size": 1}),
)  # fmt: skip
DEFAULT_COSTS = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)


def sweep(
    costs: Sequence[float] = DEFAULT_COSTS,
    repeats: int = 1,
    overrides: dict[str, str] | None = None,
    root: Path = REPORTS,
) -> Path:
    from loadtests.reporting.crossover import build

    out = root / f"crossover-{stamp()}"
    pool = ensure_pool(out / "pool.json")
    scenario = scenarios.get("crossover")
    budget = budget_for(1)
    total = len(costs) * len(MODES) * repeats
    done = 0
    for cost in costs:
        by_profile = {}
        with contextlib.ExitStack() as stack:
            for _key, _label, name, _knobs in MODES:
                if name in by_profile:
                    continue
                profile = profiles.with_settings(profiles.get(name), {"model_cost_ms": cost})
                server = Server(profile, free_port(), 1, budget.server_cpus,
                                log_path=out / "servers" / f"{name}-c{cost:g}.log")  # fmt: skip
                (out / "servers").mkdir(parents=True, exist_ok=True)
                by_profile[name] = server.start(timeout=180)
                stack.callback(server.stop)
            code = server_code_fingerprint()
            for repeat in range(1, repeats + 1):
                for key, label, name, knobs in MODES:
                    done += 1
                    server = by_profile[name]
                    spec = RunSpec(
                        scenario=scenario,
                        profile=server.profile,
                        knobs=scenario.knobs(knobs, overrides),
                        requested_workers=1,
                        budget=budget,
                        out_dir=out / "runs" / f"{key}-c{cost:g}-r{repeat}",
                        pool_file=pool,
                        title=f"[{done}/{total}] {label}, model cost {cost:g} ms, rep {repeat}",
                        server_code=code,
                        purpose="comparison run",
                        repeat=repeat,
                        repeats=repeats,
                    )
                    execute(spec, server, server.url, echo=lambda s: print(s, flush=True))
    report = build(out)
    print(f"report: {report}", flush=True)
    return report
