"""loadtests/harness/k6.py: the independent open-loop generator (k6 from the dev lock)."""

import http.server
import json
import threading
import time

import pytest

from loadtests import scenarios
from loadtests.harness import k6

KNOBS = scenarios.get("capacity").knobs({"duration": 2, "stop_after": 1})


def metrics(count, failed, p99, dropped=0, cpu_s=0.3):
    m = k6.MEASURED
    out = {
        "http_reqs" + m: {"values": {"count": count}},
        "http_req_failed" + m: {"values": {"passes": failed}},
        "http_req_duration" + m: {"values": {"p(99)": p99}},
        "http_reqs": {"values": {"count": count + 999}},  # the settle second is not counted
        "k6_cpu_seconds": cpu_s,
    }
    if dropped:
        out["dropped_iterations"] = {"values": {"count": dropped}}  # untagged: the whole step
    return out


def test_a_step_is_judged_with_the_same_slo():
    ok = k6.step_result(metrics(200, 0, 12.0), 100, 2, KNOBS)
    assert ok.slo_ok and ok.achieved_rps == 100 and ok.error_pct == 0
    assert ok.k6_cpu_percent == 10.0  # 0.3 s over 2 s measured + 1 s settle
    slow = k6.step_result(metrics(200, 0, 250.0), 100, 2, KNOBS)
    assert not slow.slo_ok
    short = k6.step_result(metrics(150, 0, 12.0, dropped=50), 100, 2, KNOBS)
    assert not short.slo_ok and short.dropped == 50  # only 75 % of the rate was sent
    failing = k6.step_result(metrics(200, 2, 12.0), 100, 2, KNOBS)
    assert not failing.slo_ok and failing.error_pct == 1.0


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
    knobs = KNOBS.changed(slo_p99_ms=2000)  # what is tested is k6's run, not a latency
    result = k6.capacity(server, pool, [20.0, 40.0], knobs, tmp_path / "k6")
    first = result["steps"][0]
    assert 0 < first["k6_cpu_percent"] < k6.BUSY_PCT and result["generator_limited_steps"] == []
    assert first["offered_rps"] == 20 and first["slo_ok"]
    assert 18 <= first["achieved_rps"] <= 22
    # the users that connected while settling are the ones measured: no connection is new
    assert first["new_connections"] == 0
    assert result["sustained_rps"] == 40 and result["capped"]
    near = k6.bracket(server, pool, [10.0, 20.0, 40.0], 1, knobs, tmp_path / "k6b")
    assert [s["offered_rps"] for s in near["steps"]] == [20, 40] and near["sustained_rps"] == 40


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
    assert (tmp_path / "k6" / "k6-warmup.json").exists()  # run, and not one of the steps
    assert [s["offered_rps"] for s in near["steps"]] == [20]
