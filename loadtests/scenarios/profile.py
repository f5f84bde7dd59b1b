"""profile: a diagnosis, not a benchmark (make profile). Every server under the same fixed
load while py-spy samples each of its workers and each worker records its garbage-collection
pauses (shared.gcwatch, setting gc_log_dir); the report says where one request's CPU goes
(model, validation/serialization, framework and HTTP, BentoML's middleware, metrics, logging)
and how often and how long the collector stopped the worker, with a flame graph per server.

Sampling costs the worker some CPU (py-spy reads its memory 100 times a second without
pausing it): the latencies of this run are not benchmark figures; steady and capacity are.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from loadtests.core.knobs import Knobs
from loadtests.core.phases import Phase, phase
from loadtests.scenarios.base import Scenario, Summary

SAMPLE_HZ = 100
GC_ENV = "CREDIT_GC_LOG_DIR"
# First match from the leaf of a stack wins (see loadtests.reporting.flame.categorize).
CATEGORIES = (
    ("model", ("shared/predictor.py", "/xgboost/", "/sklearn/", "/numpy/", "/scipy/")),
    ("pydantic (validation, serialization)", ("/pydantic/", "/pydantic_core/", "shared/schema")),
    ("metrics", ("/prometheus_client/",)),
    ("logging", ("/logging/",)),
    (
        "BentoML middleware",
        ("/bentoml/_internal/server/http/", "/opentelemetry/", "bento_app/common.py"),
    ),
    (
        "framework and HTTP",
        (
            "/uvicorn/",
            "/h11/",
            "/httptools/",
            "/starlette/",
            "/anyio/",
            "/asyncio/",
            "/uvloop/",
            "/gunicorn/",
            "/werkzeug/",
            "/flask/",
            "/_bentoml_impl/",
            "/bentoml/",
            "/_bentoml_sdk/",
            "/json/",
            "/socket",
            "/selectors",
            "/email/",
            "/http/",
            "flask_app/",
        ),
    ),  # fmt: skip
)


@dataclass(frozen=True)
class ProfileSummary(Summary):
    samples: int
    share: dict[str, float]  # category -> share of the worker's samples
    gc_full_collections: int  # generation-2 collections during the hold
    gc_full_max_ms: float | None
    gc_full_median_ms: float | None
    gc_pauses_over_50ms: int  # any generation
    gc_pause_ms_per_s: float  # all notable pauses (gen 2 or > 5 ms) per second of hold
    p99_ms: float | None
    flame: str  # the flame graph, relative to the comparison's report.md


def worker_pids(root_pid: int) -> list[int]:
    """The serving workers: the leaves of the server's process tree."""
    import psutil

    root = psutil.Process(root_pid)
    return sorted(p.pid for p in root.children(recursive=True) if not p.children())


class Profile(Scenario):
    name = "profile"
    order = 90
    in_all = False
    shows = "where one request's CPU goes, and the garbage collector's pauses, per server"
    defaults = {"rate": 250.0, "duration": 30.0}

    def phases(self, k: Knobs) -> list[Phase]:
        return [*self.warmup(k), phase("hold", k.duration, k.rate, k.user_rate)]

    def describe(self, k: Knobs) -> str:
        return f"{k.rate:g} req/s for {k.duration:g} s, py-spy at {SAMPLE_HZ} Hz on every worker"

    def server_env(self, profile: str, base: Path) -> dict[str, str]:
        return {GC_ENV: str(base / f"gc-{profile}")}

    def act(self, phase_label: str, op) -> list:
        if phase_label != "hold":
            return []
        server = op.require_server()
        spy = str(Path(sys.executable).with_name("py-spy"))
        seconds = max(1, int(op.knobs.duration) - 1)
        started = []
        for pid in worker_pids(server.process.pid):
            out = op.out_dir / f"pyspy-{pid}.txt"
            argv = [spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate",
                    str(SAMPLE_HZ), "--format", "raw", "--full-filenames", "--nonblocking",
                    "-o", str(out)]  # fmt: skip
            started.append(
                subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            )
        op.saved["pyspy"] = started
        return [op.event(phase_label, "py-spy", f"{len(started)} worker(s), {seconds} s")]

    def finish(self, op) -> None:
        for proc in op.saved.get("pyspy", []):
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        if op.server is not None:
            op.extras["gc_log_dir"] = op.server.env.get(GC_ENV, "")

    # --- the numbers -------------------------------------------------------------------------

    def summarize(self, run) -> ProfileSummary:
        from loadtests.reporting import flame

        stacks = flame.read_stacks(sorted(run.path.glob("pyspy-*.txt")))
        counts = flame.categorize(stacks, CATEGORIES)
        total = sum(counts.values())
        flame.svg(stacks, f"{run.record.profile.label}: worker CPU samples", run.path / "flame.svg")
        hold = run.record.phase("hold")
        pauses = _gc_pauses(Path(run.record.extras.get("gc_log_dir", "")), hold.start, hold.end)
        full = [ms for gen, ms in pauses if gen == 2]
        seconds = max((hold.end or hold.start) - hold.start, 1e-9)
        return ProfileSummary(
            **Summary.common(run),
            samples=total,
            share={k: v / total for k, v in counts.items()} if total else {},
            gc_full_collections=len(full),
            gc_full_max_ms=max(full) if full else None,
            gc_full_median_ms=statistics.median(full) if full else None,
            gc_pauses_over_50ms=sum(ms > 50 for _, ms in pauses),
            gc_pause_ms_per_s=sum(ms for _, ms in pauses) / seconds,
            p99_ms=self.stats(run, "hold").p99_ms,
            flame=f"runs/{run.path.name}/flame.svg",
        )

    def section(self, cmp) -> list[str]:
        from loadtests.reporting import markdown, tables
        from loadtests.reporting.tables import Metric

        cats = [c for c, _ in CATEGORIES] + ["other"]
        rows = []
        for cat in cats:
            rows.append(
                tables.row(
                    cmp,
                    Metric(
                        f"{cat} (ms of CPU per request)",
                        lambda s, c=cat: (
                            (s.share.get(c, 0.0) * s.server_cpu_ms_per_request)
                            if s.server_cpu_ms_per_request is not None and s.samples
                            else None
                        ),
                        3,
                    ),
                )
            )
        rows.append(
            tables.row(
                cmp,
                Metric(
                    "server CPU per request (ms, all)", lambda s: s.server_cpu_ms_per_request, 3
                ),
            )
        )
        rows.append(tables.row(cmp, Metric("py-spy samples", lambda s: s.samples, ratio=False)))
        lines = [
            "Where one request's CPU goes: the server's CPU per request (its process tree, "
            "during the hold) split by the share of py-spy samples whose innermost known frame is "
            "in each kind of code:",
            "",
            *markdown.table(tables.header(cmp), rows),
            "",
            "Garbage collection in the workers during the hold (shared.gcwatch):",
            "",
            *tables.metric_table(
                cmp,
                [
                    Metric("full (generation 2) collections", lambda s: s.gc_full_collections),
                    Metric("longest full collection (ms)", lambda s: s.gc_full_max_ms, 1, "none"),
                    Metric("median full collection (ms)", lambda s: s.gc_full_median_ms, 1, "none"),
                    Metric("pauses over 50 ms", lambda s: s.gc_pauses_over_50ms),
                    Metric(
                        "paused ms per second (gen 2 or > 5 ms)", lambda s: s.gc_pause_ms_per_s, 1
                    ),
                    Metric("p99 latency under the profiler (ms)", lambda s: s.p99_ms),
                ],
            ),
            "",
            "Flame graphs (hover a frame for its name and share): "
            + ", ".join(
                f"[{p.label}]({s.flame})" for p in cmp.profiles for s in cmp.summaries(p)[:1]
            ),
        ]
        return lines

    def charts(self, cmp, out) -> list[tuple[str, str]]:
        return []  # the flame graphs are SVGs beside the report, linked from its section


def _gc_pauses(directory: Path, start: float, end: float | None) -> list[tuple[int, float]]:
    """(generation, ms) of every notable pause recorded by the workers in [start, end]."""
    pauses = []
    for path in sorted(directory.glob("gc-*.json")) if directory.name else []:
        data = json.loads(path.read_text())
        for at, gen, ms, _collected in data["notable"]:
            if start <= at <= (end or at):
                pauses.append((int(gen), float(ms)))
    return pauses
