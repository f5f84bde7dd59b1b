"""loadtests/harness/k6.py: the independent open-loop generator (k6 from the dev lock)."""

import http.server
import json
import threading
import time

import pytest

from loadtests import scenarios
from loadtests.harness import k6

KNOBS = scenarios.get("capacity").knobs({"duration": 2, "stop_after": 1})


def window(steps, cpu_s=0.3, dropped=0):
    """A k6 window's result: ``steps`` as (count, failed, p99) per step, each step 3 s long
    (1 s settle + 2 s measured) after a 3-s warm-up, k6 using ``cpu_s`` per step."""
    metrics = {"http_reqs": {"values": {"count": 99999}}}  # untagged: whole run, not counted
    for i, (count, failed, p99) in enumerate(steps):
        tag = f"{{measured:{i}}}"
        metrics["http_reqs" + tag] = {"values": {"count": count}}
        metrics["started" + tag] = {"values": {"count": count}}
        metrics["http_req_failed" + tag] = {"values": {"passes": failed}}
        metrics["http_req_duration" + tag] = {"values": {"p(99)": p99}}
    if dropped:
        metrics["dropped_iterations"] = {"values": {"count": dropped}}
    cpu = [(1000.0, 0.0), (1003.0, 0.0)] + [
        (1003.0 + 3 * (i + 1), cpu_s * (i + 1)) for i in range(len(steps))
    ]
    return {"metrics": metrics, "started_at": 1000.0, "cpu": cpu}


def test_a_step_is_judged_with_the_same_slo():
    knobs = KNOBS.changed(warmup=3)
    result = window([(200, 0, 12.0), (200, 0, 250.0), (150, 0, 12.0), (200, 2, 12.0)], 0.3, 50)
    ok, slow, short, failing = (k6.step_result(result, i, 100, knobs) for i in range(4))
    assert ok.slo_ok and ok.achieved_rps == 100 and ok.error_pct == 0 and ok.dropped == 0
    assert ok.k6_cpu_percent == 10.0  # 0.3 s over the step's 3 s (settle included)
    assert not slow.slo_ok
    assert not short.slo_ok and short.dropped == 50  # only 75 % of the rate was sent
    assert not failing.slo_ok and failing.error_pct == 1.0


def test_bracket_goes_lower_or_higher_until_the_stop_rule_decides(monkeypatch, tmp_path):
    rates = [float(r) for r in range(10, 200, 10)]  # 19 steps
    knobs = KNOBS.changed(stop_after=2, warmup=3)
    windows = []

    def fake(url, pool, window_rates, knobs, out, cpus=None, vus=None):
        windows.append((window_rates, vus))
        return window([(r * 2, 0, 10.0 if r <= held else 500.0) for r in window_rates])

    monkeypatch.setattr(k6, "run_window", fake)
    held = 60.0  # locust said 150: every step of the first two windows fails
    found = k6.bracket("http://x", tmp_path / "pool", rates, 14, knobs, tmp_path)
    assert [w[0] for w in windows] == [rates[12:18], rates[8:12], rates[4:8]]
    assert [w[1] for w in windows] == [75, 60, 40]  # locust's users at the anchor step
    assert found["sustained_rps"] == 60 and len(found["windows"]) == 3
    windows.clear()
    held = 150.0  # locust said 50: the stop rule fires two windows above the first
    found = k6.bracket("http://x", tmp_path / "pool", rates, 4, knobs, tmp_path)
    assert [w[0] for w in windows] == [rates[2:8], rates[8:11], rates[11:14], rates[14:17]]
    assert found["sustained_rps"] == 150 and not found["capped"]
    windows.clear()
    held = 1000.0  # never broke: capped at the plan's last step
    found = k6.bracket("http://x", tmp_path / "pool", rates, 16, knobs, tmp_path)
    assert [w[0] for w in windows] == [rates[14:19]] and found["capped"]


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


def test_k6_from_the_lock_drives_a_real_server(server, tmp_path):
    pool = tmp_path / "pool.json"
    pool.write_text(json.dumps({"records": [{"seniority": 3}, {"seniority": 4}]}))
    knobs = KNOBS.changed(slo_p99_ms=2000, stop_after=1)  # what is tested is k6, not latency
    result = k6.bracket(server, pool, [20.0, 40.0], 0, knobs, tmp_path / "k6")
    assert len(result["windows"]) == 1  # both steps in one k6 process
    first, second = result["steps"]
    assert 0 < first["k6_cpu_percent"] < k6.BUSY_PCT and result["generator_limited_steps"] == []
    assert first["offered_rps"] == 20 and first["slo_ok"]
    assert 18 <= first["achieved_rps"] <= 22 and 36 <= second["achieved_rps"] <= 44
    # the users that connected while warming up are the ones measured, in every step: the
    # keep-alive server saw no new connection while measuring
    assert first["new_connections"] == 0 and second["new_connections"] == 0
    assert result["sustained_rps"] == 40 and result["capped"]


def test_wait_drained_waits_for_three_fast_answers_in_a_row(server):
    _Fast.slow_left = 4
    took = k6.wait_drained(server + "/health", timeout=30)
    assert _Fast.slow_left == 0
    assert took >= 4 * 2 * k6.DRAINED_MS / 1000 + 3 * 0.1 - 0.05  # 4 slow, then 3 fast checks


def test_bracket_after_a_search_drains_then_warms_up_unjudged(server, tmp_path):
    pool = tmp_path / "pool.json"
    pool.write_text(json.dumps({"records": [{"seniority": 3}]}))
    knobs = KNOBS.changed(slo_p99_ms=2000, warmup=1)
    _Fast.slow_left = 2
    near = k6.bracket(server, pool, [10.0, 20.0], 1, knobs, tmp_path / "k6", health=server + "/h")
    assert _Fast.slow_left == 0 and near["drained_after_s"] > 0
    assert near["windows"] == [{"rates": [10.0, 20.0], "vus": 10, "warmup_s": 1}]
    # the warm-up is not a step: 10 req/s, then 20 req/s measured for 2 s each
    assert [s["offered_rps"] for s in near["steps"]] == [10, 20]
    assert [round(s["achieved_rps"]) for s in near["steps"]] == [10, 20]
