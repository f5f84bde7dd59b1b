"""loadtests.harness.metrics: BentoML's adaptive batch sizes from two /metrics scrapes."""

from __future__ import annotations

import http.server
import socket
import threading

import pytest

from loadtests.harness.metrics import batch_delta, batch_histogram, scrape

WORKER = """\
bentoml_service_adaptive_batch_size_sum{{method_name="classify_batch",worker_index="{w}"}} {sum}
bentoml_service_adaptive_batch_size_count{{method_name="classify_batch",worker_index="{w}"}} {n}
bentoml_service_adaptive_batch_size_bucket{{le="1.0",method_name="classify_batch",worker_index="{w}"}} {b1}
bentoml_service_adaptive_batch_size_bucket{{le="2.0",method_name="classify_batch",worker_index="{w}"}} {b2}
bentoml_service_adaptive_batch_size_bucket{{le="4.0",method_name="classify_batch",worker_index="{w}"}} {n}
bentoml_service_adaptive_batch_size_bucket{{le="+Inf",method_name="classify_batch",worker_index="{w}"}} {n}
"""  # noqa: E501
HEAD = """\
# HELP bentoml_service_adaptive_batch_size Service adaptive batch size
# TYPE bentoml_service_adaptive_batch_size histogram
"""
# what must not count: another method, another metric
NOISE = """\
bentoml_service_adaptive_batch_size_count{method_name="other",worker_index="1"} 50
bentoml_service_adaptive_batch_size_sum{method_name="other",worker_index="1"} 500
# HELP bentoml_service_request_total Total requests
# TYPE bentoml_service_request_total counter
bentoml_service_request_total{endpoint="/classify_batch",http_response_code="200"} 99
"""


def _before() -> str:
    return HEAD + WORKER.format(w=1, sum=2, n=2, b1=2, b2=2)


def _after() -> str:
    # worker 1 formed 4 more batches (10 requests), worker 2 its first (4 requests)
    one = WORKER.format(w=1, sum=12, n=6, b1=3, b2=5)
    two = WORKER.format(w=2, sum=4, n=1, b1=0, b2=0)
    return HEAD + one + two + NOISE


def test_the_histogram_is_summed_over_workers():
    hist = batch_histogram(_after())
    assert hist == {
        "count": 7.0,
        "sum": 16.0,
        "buckets": {1.0: 3.0, 2.0: 5.0, 4.0: 7.0, float("inf"): 7.0},
    }
    assert batch_histogram(_after(), method="other")["count"] == 50.0


def test_without_the_metric_there_is_nothing():
    assert batch_histogram("") == {"count": 0.0, "sum": 0.0, "buckets": {}}
    other_metric = "# HELP" + NOISE.split("# HELP")[1]
    assert batch_histogram(other_metric) == {"count": 0.0, "sum": 0.0, "buckets": {}}


def test_batch_delta_counts_batches_requests_and_sizes():
    delta = batch_delta(batch_histogram(_before()), batch_histogram(_after()))
    assert delta is not None
    assert (delta.batches, delta.requests) == (5, 14)
    assert delta.mean_requests_per_batch == pytest.approx(2.8)
    # per bucket, not cumulative: 1 batch of 1, 2 of 2, 2 of 3-4, none above
    assert delta.size_buckets == {"1": 1, "2": 2, "3-4": 2, ">4": 0}
    assert sum(delta.size_buckets.values()) == delta.batches


def test_batch_delta_from_nothing_counts_everything():
    delta = batch_delta(batch_histogram(""), batch_histogram(_after()))
    assert (delta.batches, delta.requests) == (7, 16)
    assert delta.size_buckets == {"1": 3, "2": 2, "3-4": 2, ">4": 0}


def test_no_batch_is_none():
    before = batch_histogram(_before())
    assert batch_delta(before, before) is None
    assert batch_delta(batch_histogram(""), batch_histogram("")) is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_scrape_of_an_unreachable_url_is_empty():
    assert scrape(f"http://127.0.0.1:{_free_port()}", timeout=2) == ""


class _Metrics(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = _after().encode() if self.path == "/metrics" else b""
        self.send_response(200 if self.path == "/metrics" else 404)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_scrape_reads_metrics_under_the_base_url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Metrics)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        text = scrape(url)
        assert text == _after()
        assert batch_histogram(text)["count"] == 7.0
    finally:
        server.shutdown()
        server.server_close()
