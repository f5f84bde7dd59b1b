"""Where batching pays (make crossover): the capacity, in applications per second, of four
ways of serving, over a range of model costs (shared.predictor's labelled synthetic cost per
model call, setting model_cost_ms; 0 = the real model alone):

    Flask, one application per request          flask-tuned   /classify
    Flask, the client sends lists of 8          flask-tuned   /classify_batch
    BentoML, one application per request        bento-notrace /classify
    BentoML, adaptive batching (1 per request)  bento-batch   /classify_batch, max_latency 50 ms

(what `make flask` and `make bento` serve; bento-batch is bento-notrace with batching bounded)

Each point is a `crossover` scenario run (a capacity search) against a server started for that
run alone with that cost, pinned like every comparison. With ``heavy`` the four ways also serve
a real heavy model (shared.training.train's "heavy" preset, trained on first use, never CURRENT)
with no synthetic cost; both real models' cost per call and per row are timed in-process first
(models.json). Writes reports/crossover-<stamp>/ (runs/, models.json, crossover.md,
crossover.png, summary.json).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
    ("bento-single", "BentoML, one per request", "bento-notrace", {"path": "classify"}),
    ("bento-adaptive", "BentoML, adaptive batching", "bento-batch",
     {"path": "classify_batch", "batch_size": 1}),
)  # fmt: skip
DEFAULT_COSTS = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)
PER_ROW_BATCH = 64  # rows in the call that prices "one more row"


def model_costs(versions: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Each real model's cost, timed in-process on one core: ms per call of one row, and ms
    per further row in a call of PER_ROW_BATCH (the Predictor the servers use, nthread=1)."""
    from shared import artifact
    from shared.predictor import Predictor
    from shared.schema import SAMPLE_APPLICATION
    from shared.settings import get_settings
    from shared.tools.bench_predictor import per_call_us

    settings = get_settings()
    found = {}
    for name, version in versions.items():
        path = artifact.bin_path(settings.model_dir, settings.model_name, version)
        predictor = Predictor.from_artifact(path)
        rows = [SAMPLE_APPLICATION] * PER_ROW_BATCH
        one, _ = per_call_us(lambda p=predictor: p.predict_one(SAMPLE_APPLICATION), 1.5, 5)
        many, _ = per_call_us(lambda p=predictor, r=rows: p.predict_many(r), 1.5, 5)
        params = predictor.metadata.get("params", {})
        found[name] = {
            "version": version,
            "trees": params.get("num_boost_round"),
            "max_depth": params.get("max_depth"),
            "test_auc": predictor.metadata.get("metrics", {}).get("test_auc"),
            "one_row_ms": one / 1000,
            "per_row_ms": (many - one) / (PER_ROW_BATCH - 1) / 1000,
        }
    return found


def points_to_serve(costs: Sequence[float], heavy: bool) -> tuple[list, dict[str, str]]:
    """[(run-dir tag, server settings)] and the real models' versions."""
    from shared import artifact
    from shared.settings import get_settings
    from shared.training.train import ensure_preset, ensure_trained

    settings = get_settings()
    ensure_trained(settings)
    versions = {"course": artifact.resolve_version(settings)}
    points = [(f"c{cost:g}", {"model_cost_ms": cost}) for cost in costs]
    if heavy:
        versions["heavy"] = ensure_preset(settings, "heavy")
        points.append(("heavy", {"model_cost_ms": 0, "model_version": versions["heavy"]}))
    return points, versions


def sweep(
    costs: Sequence[float] = DEFAULT_COSTS,
    repeats: int = 1,
    overrides: dict[str, str] | None = None,
    root: Path = REPORTS,
    heavy: bool = True,
) -> Path:
    from loadtests.reporting.crossover import build

    out = root / f"crossover-{stamp()}"
    pool = ensure_pool(out / "pool.json")
    scenario = scenarios.get("crossover")
    budget = budget_for(1)
    points, versions = points_to_serve(costs, heavy)
    (out / "models.json").write_text(json.dumps(model_costs(versions), indent=1) + "\n")
    total = len(points) * len(MODES) * repeats
    done = 0
    (out / "servers").mkdir(parents=True, exist_ok=True)
    for tag, server_settings in points:
        for repeat in range(1, repeats + 1):
            for key, label, name, knobs in MODES:
                done += 1
                # a fresh server per run: a capacity search ends in overload, and a server
                # process carries state out of it (BentoML's batching dispatcher did, for
                # minutes: docs/upstream-bentoml-dispatcher-after-overload.md)
                profile = profiles.with_settings(profiles.get(name), server_settings)
                log = out / "servers" / f"{key}-{tag}-r{repeat}.log"
                server = Server(profile, free_port(), 1, budget.server_cpus, log_path=log)
                with contextlib.ExitStack() as stack:
                    server.start(timeout=180)
                    stack.callback(server.stop)
                    spec = RunSpec(
                        scenario=scenario,
                        profile=server.profile,
                        knobs=scenario.knobs(knobs, overrides),
                        requested_workers=1,
                        budget=budget,
                        out_dir=out / "runs" / f"{key}-{tag}-r{repeat}",
                        pool_file=pool,
                        title=f"[{done}/{total}] {label}, {_what(tag)}, rep {repeat}",
                        server_code=server_code_fingerprint(),
                        purpose="comparison run",
                        repeat=repeat,
                        repeats=repeats,
                    )
                    execute(spec, server, server.url, echo=lambda s: print(s, flush=True))
    report = build(out)
    print(f"report: {report}", flush=True)
    return report


def _what(tag: str) -> str:
    return "the real heavy model" if tag == "heavy" else f"model cost {tag[1:]} ms"
