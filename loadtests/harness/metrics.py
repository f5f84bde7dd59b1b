"""Adaptive batch sizes from a server's Prometheus /metrics, before and after a run.

``bentoml_service_adaptive_batch_size`` is a histogram per worker: ``_count`` batches, ``_sum``
requests merged into them (BentoML observes ``len(batches)``: one entry per request, whatever
the length of its list), cumulative ``_bucket{le=...}``. The difference of two scrapes, summed over
workers, says how many batches one run produced and how big they were. A server without
/metrics, or without that metric, formed no adaptive batch.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections import defaultdict
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from loadtests.core.record import BatchStats

METRIC = "bentoml_service_adaptive_batch_size"


def scrape(base_url: str, timeout: float = 5.0) -> str:
    try:
        with urllib.request.urlopen(base_url.rstrip("/") + "/metrics", timeout=timeout) as resp:
            return resp.read().decode()
    except (urllib.error.URLError, OSError):
        return ""


def batch_histogram(text: str, method: str = "classify_batch") -> dict[str, Any]:
    """{count, sum, buckets: {le: cumulative count}} summed over workers."""
    count = total = 0.0
    buckets: dict[float, float] = defaultdict(float)
    for family in text_string_to_metric_families(text):
        if family.name != METRIC:
            continue
        for sample in family.samples:
            if sample.labels.get("method_name") != method:
                continue
            if sample.name.endswith("_count"):
                count += sample.value
            elif sample.name.endswith("_sum"):
                total += sample.value
            elif sample.name.endswith("_bucket"):
                buckets[float(sample.labels["le"])] += sample.value
    return {"count": count, "sum": total, "buckets": dict(buckets)}


def batch_delta(before: dict[str, Any], after: dict[str, Any]) -> BatchStats | None:
    """Batches between two scrapes; None if there were none."""
    batches = after["count"] - before["count"]
    if batches <= 0:
        return None
    items = after["sum"] - before["sum"]
    cumulative = {
        le: after["buckets"].get(le, 0.0) - before["buckets"].get(le, 0.0)
        for le in sorted(after["buckets"])
    }
    per_bucket, previous, bound = {}, 0.0, 0
    for le, cum in cumulative.items():
        if le == float("inf"):
            label = f">{bound}"
        else:
            low, bound = bound + 1, int(le)
            label = str(bound) if low == bound else f"{low}-{bound}"
        per_bucket[label] = int(round(cum - previous))
        previous = cum
    return BatchStats(
        batches=int(round(batches)),
        requests=int(round(items)),
        mean_requests_per_batch=items / batches,
        size_buckets=per_bucket,
    )
