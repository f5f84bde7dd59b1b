"""The performance and resiliency tools for real, tiny, on the real servers, each through the
same entry point as its make target, its report built: the tuning ladder's measure (locust,
then k6 on a fresh server), the profile (py-spy and the GC log), the batching crossover (with
the real heavy model), overload and a hung request. The figures are not checked against targets
here (that is what the make targets are for); what is checked is that each measure is made,
recorded and reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadtests import scenarios
from loadtests.core import profiles
from loadtests.harness.compare import compare
from loadtests.harness.crossover import MODES, sweep
from loadtests.reporting.runs import load_run

pytestmark = [pytest.mark.servers, pytest.mark.slow]

STEPS = {"rate": 10, "duration": 3, "step_factor": 1.5, "max_rate": 25, "warmup": 0}


def _compare(scenario: str, names: str, knobs: dict, root, extra: dict | None = None):
    chosen = [profiles.with_settings(p, extra or {}) for p in profiles.parse(names)]
    (report,) = compare([scenarios.get(scenario)], chosen, 1, knobs, root=root)
    runs = sorted((report.parent / "runs").glob("*/run.json"))
    return report, [load_run(r.parent) for r in runs]


def test_a_ladder_step_is_measured_by_locust_then_k6(trained, imported, tmp_path):
    knobs = {**STEPS, "fixed_rate": 10, "fixed_duration": 5, "cross_check": True}
    report, runs = _compare("tuning", "flask,bento", knobs, tmp_path)
    assert len(runs) == 2
    for run in runs:
        s = run.summary
        assert s.sustained_rps and s.sustained_rps >= 10  # the first step holds at 10 req/s
        assert s.k6_sustained_rps and s.k6_sustained_rps >= 10  # k6 ran, and agreed it held
        assert s.fixed.requests >= 20 and s.fixed.failures == 0
        # k6 measured a server of its own, started after locust's run and stopped after k6
        assert run.record.extras["k6"]["server"].startswith("fresh")
        assert (run.path / "k6" / "server.log").stat().st_size > 0
        # k6 replayed locust's plan in one process: the fixed phase (no warm-up here), then
        # the steps from the first
        (k6_run,) = run.record.extras["k6"]["runs"]
        assert [label for label, _, _ in k6_run["phases"][:2]] == ["fixed", "step 1"]
        assert run.record.extras["k6"]["before_steps"]["fixed"]["achieved_rps"] > 0
        # and the fresh server's CPU per step, as locust's run records it for its own server
        assert all(st["server_ms_per_request"] > 0 for st in run.record.extras["k6"]["steps"])
        assert len(run.record.host.speed_probe_ms) == 2  # the host's speed before and after
    assert "k6" in report.read_text()
    assert "probe" in report.read_text()


def test_a_profile_has_a_flame_graph_and_counts_gc_pauses(trained, imported, tmp_path):
    report, runs = _compare("profile", "flask,bento", {"rate": 20, "duration": 6}, tmp_path)
    for run in runs:
        assert (report.parent / run.summary.flame).stat().st_size > 1000
        assert run.summary.samples > 0 and 0.99 < sum(run.summary.share.values()) < 1.01
        logs = sorted(Path(run.record.extras["gc_log_dir"]).glob("gc-*.json"))
        assert logs  # each worker logged its collections (shared.gcwatch)
        assert sum(sum(json.loads(p.read_text())["count"]) for p in logs) > 0
    assert "flame.svg" in report.read_text()


def test_overload_counts_goodput_and_failures_by_kind(trained, imported, tmp_path):
    knobs = {"capacity_rps": 20, "duration": 3, "warmup": 0}
    report, runs = _compare("overload", "flask,bento", knobs, tmp_path)
    for run in runs:
        s = run.summary
        assert s.normal.failures == 0
        assert [o.label for o in s.overloads] == ["1.5x", "3x"]
        # 30 and 60 req/s are far below either server's capacity: all of it is goodput
        assert all(o.goodput_share > 0.9 and not o.failed_by_kind for o in s.overloads)
    assert "goodput" in report.read_text().lower()


def test_a_hung_request_gets_each_stacks_answer(trained, imported, tmp_path):
    knobs = {"rate": 10, "duration": 14, "hang_ms": 6000, "warmup": 0, "client_timeout": 20}
    timeouts = {"flask_timeout": 2, "bento_timeout": 2}
    report, runs = _compare("hung", "flask,bento", knobs, tmp_path, timeouts)
    by_kind = {run.record.profile.kind: run.summary for run in runs}
    # gunicorn's master aborts the stuck worker at its timeout: in gunicorn 27 the worker
    # still writes a 500 page as it exits, and is replaced
    flask, bento = by_kind["flask"], by_kind["bento"]
    assert flask.hung_status == 500 and flask.hung_seconds < 6
    # BentoML's timeout is a timer on the worker's event loop, which the CPU-bound request
    # (async def API) holds: the timer cannot fire, the request gets its 200 after the whole
    # 6 s, and the worker answers nothing else meanwhile
    assert bento.hung_status == 200 and bento.hung_seconds >= 6 and bento.stall_s >= 4
    assert "hung" in report.read_text().lower()


def test_a_hung_request_on_a_thread_pool_api_times_out(trained, imported, tmp_path):
    """The service as written from the docs (sync def, BentoML's thread pool): the event loop
    stays free, so BentoML's timeout fires and the client gets its 504 at the timeout."""
    knobs = {"rate": 10, "duration": 12, "hang_ms": 6000, "warmup": 0, "client_timeout": 20}
    timeouts = {"flask_timeout": 2, "bento_timeout": 2}
    _report, runs = _compare("hung", "flask,bento-docs", knobs, tmp_path, timeouts)
    (docs,) = [run.summary for run in runs if run.record.profile.name == "bento-docs"]
    assert docs.hung_status == 504 and 2 <= docs.hung_seconds < 6


def test_the_crossover_serves_the_real_heavy_model_too(trained, imported, tmp_path):
    report = sweep([0.5], repeats=1, overrides=STEPS, root=tmp_path)
    summary = json.loads((report.parent / "summary.json").read_text())
    keys = {key for key, *_ in MODES}
    assert set(summary["modes"]) == keys and set(summary["heavy"]) == keys
    assert all(summary["modes"][k]["0.5"] for k in keys)  # every way held its first step
    models = summary["models"]
    assert models["heavy"]["trees"] > models["course"]["trees"]
    assert models["heavy"]["one_row_ms"] > models["course"]["one_row_ms"]
    assert models["heavy"]["version"] != models["course"]["version"]
    assert (report.parent / "crossover.png").exists()
    assert "real heavy model" in report.read_text()
    # a server of its own for every run (no state carried out of another run's overload)
    logs = sorted(p.stem for p in (report.parent / "servers").glob("*.log"))
    assert logs == sorted(p.name for p in (report.parent / "runs").iterdir())


def test_tracing_off_creates_no_span(trained, imported, tmp_path):
    """bento_tracing=false (make bento's default): no OpenTelemetry span per request, so no
    x-bentoml-request-id either (it is the span's id; test_servers sees it with tracing on)."""
    import httpx

    from loadtests.harness.servers import running
    from shared.schema import SAMPLE_APPLICATION

    profile = profiles.get("bento-notrace")
    with running(profile, log_path=tmp_path / "bento.log", timeout=180) as server:
        resp = httpx.post(server.url + "/classify", json=SAMPLE_APPLICATION, timeout=10)
        info = httpx.get(server.url + "/info", timeout=10).json()["serving"]
    assert resp.status_code == 200 and "x-bentoml-request-id" not in resp.headers
    assert info["tracing"] is False
