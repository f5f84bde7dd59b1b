"""loadtests.core.timeline: locust's rounding, nearest-rank percentiles, the per-second record
and its windows."""

from __future__ import annotations

import json
import math
import random
from fractions import Fraction

import pytest

from loadtests.core.timeline import (
    INTERVAL_S,
    Timeline,
    bucket_ms,
    named,
    per_second,
    percentile,
    prefix,
    read_rows,
    window,
)


@pytest.mark.parametrize(
    ("ms", "bucket"),
    [
        (0.0, 0),
        (3.4, 3),
        (3.6, 4),
        (99.4, 99),
        (99.6, 100),
        (100.0, 100),
        (104.0, 100),
        (106.0, 110),
        (254.0, 250),
        (999.0, 1000),
        (1000.0, 1000),
        (1234.0, 1200),
        (1260.0, 1300),
        (15_049.0, 15_000),
    ],
)
def test_bucket_ms_rounds_like_locust(ms, bucket):
    assert bucket_ms(ms) == bucket
    assert isinstance(bucket_ms(ms), int)


def nearest_rank(hist: dict[int, int], q: float) -> float | None:
    """By hand (as loadtests/timeline.py did before c6308db), with an exact rank: the
    smallest value with at least ceil(q * N) of the N requests at or below it."""
    total = sum(hist.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(Fraction(str(q)) * total))  # exact: 0.07 * 100 is 7, not 7.0000001
    seen = 0
    for value in sorted(hist):
        seen += hist[value]
        if seen >= rank:
            return float(value)
    raise AssertionError("unreachable")


QS = (0.0, 0.01, 0.07, 0.1, 0.14, 0.25, 0.28, 0.5, 0.55, 0.9, 0.95, 0.96, 0.99, 0.999, 1.0)
HISTOGRAMS = [
    {5: 1},  # a single value is every percentile
    {1: 50, 2: 45, 100: 5},
    {1200: 3, 7: 2, 300: 1},  # not in order
    {3: 0, 7: 2, 9: 0},  # zero counts are no requests
    {v: 1 for v in range(1, 101)},  # 100 distinct values: every percent is a boundary
    {v: 1 for v in range(1, 8)},
    {10: 999, 5000: 1},  # the max shows only at q above 0.999
]


@pytest.mark.parametrize("hist", HISTOGRAMS)
def test_percentile_is_the_nearest_rank(hist):
    for q in QS:
        assert percentile(hist, q) == nearest_rank(hist, q), q


def test_percentile_extremes_and_examples():
    hist = {1: 50, 2: 45, 100: 5}
    assert [percentile(hist, q) for q in (0.0, 0.5, 0.95, 0.96, 1.0)] == [
        1.0,
        1.0,
        2.0,
        100.0,
        100.0,
    ]
    assert percentile({5: 1}, 0.0) == percentile({5: 1}, 1.0) == 5.0
    assert percentile({10: 999, 5000: 1}, 0.999) == 10.0
    assert percentile({10: 999, 5000: 1}, 1.0) == 5000.0
    assert percentile({}, 0.5) is None
    assert percentile({3: 0}, 0.5) is None


def test_percentile_on_random_histograms():
    rng = random.Random(11)
    for _ in range(300):
        hist = {rng.randint(0, 5000): rng.randint(1, 40) for _ in range(rng.randint(1, 25))}
        for q in QS:
            assert percentile(hist, q) == nearest_rank(hist, q), (hist, q)


def _two_timelines() -> tuple[Timeline, Timeline]:
    a, b = Timeline(), Timeline()
    a.record("flask classify", 100.2, 3.4, 200, version="v1")
    a.record("flask classify", 100.9, 250.0, 500, error="HTTP 500", version="v1")
    b.record("flask classify", 101.5, 1234.0, 0, error="timeout")
    b.record("flask classify", 100.0, 3.0, 200, version="v2")
    b.record("bento classify", 101.5, 5.0, 200, version="v2")
    return a, b


def test_record_rows_drain_merge_round_trip():
    a, b = _two_timelines()
    shipped = json.loads(json.dumps(b.drain()))  # as a locust worker ships them
    assert b.rows() == [] and b.drain() == []
    a.merge(shipped)
    rows = a.rows()
    assert [(r["t"], r["name"]) for r in rows] == [
        (100, "flask classify"),
        (101, "bento classify"),
        (101, "flask classify"),
    ]
    first = rows[0]
    assert (first["n"], first["fail"]) == (3, 1)
    assert first["codes"] == {"200": 2, "500": 1}
    assert first["rt"] == {"3": 2, "250": 1}
    assert first["errors"] == {"HTTP 500": 1}
    assert first["versions"] == {"v1": 2, "v2": 1}
    timeout = rows[2]
    assert (timeout["n"], timeout["fail"], timeout["codes"], timeout["rt"]) == (
        1,
        1,
        {"0": 1},
        {"1200": 1},
    )
    assert timeout["errors"] == {"timeout": 1} and timeout["versions"] == {}
    # merging the rows into an empty timeline gives the same rows back
    again = Timeline()
    again.merge(json.loads(json.dumps(rows)))
    assert again.rows() == rows
    # and merging twice counts twice
    again.merge(rows)
    assert again.rows()[0]["n"] == 6 and again.rows()[0]["errors"] == {"HTTP 500": 2}


def test_merge_accepts_rows_without_errors_or_versions():
    t = Timeline()
    t.merge([{"t": 5, "name": "x a", "n": 2, "fail": 0, "codes": {"200": 2}, "rt": {"4": 2}}])
    assert t.rows()[0]["errors"] == {} and t.rows()[0]["versions"] == {}
    t.clear()
    assert t.rows() == []


def test_write_and_read_rows(tmp_path):
    a, _ = _two_timelines()
    path = tmp_path / "sub" / "timeline.json"
    a.write(path)
    assert read_rows(path) == a.rows()
    assert json.loads(path.read_text())["interval_s"] == INTERVAL_S
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"interval_s": 10, "rows": []}))
    with pytest.raises(ValueError, match="1-second"):
        read_rows(other)


def test_name_filters():
    assert prefix("flask")("flask classify")
    assert not prefix("flask")("flask-2w classify")
    assert not prefix("flask")("bento classify")
    assert named("a b", "c d")("c d") and not named("a b")("a")


def test_window_counts_whole_seconds_inside_the_interval():
    a, b = _two_timelines()
    a.merge(b.drain())
    rows = a.rows()
    w = window(rows, 99.5, 102.0, prefix("flask"))  # whole seconds 100 and 101
    assert (w.first, w.last, w.seconds) == (100, 102, 2)
    assert (w.n, w.failures) == (4, 2)
    assert (w.rps, w.ok_rps, w.error_ratio) == (2.0, 1.0, 0.5)
    assert w.codes == {200: 2, 500: 1, 0: 1}
    assert w.hist == {3: 2, 250: 1, 1200: 1}
    assert w.errors == {"HTTP 500": 1, "timeout": 1}
    assert w.versions == {"v1": 2, "v2": 1}
    assert w.pct(1.0) == 1200.0 and w.pct(0.5) == 3.0
    # second 100 is not whole inside [100.5, 102)
    assert window(rows, 100.5, 102.0, prefix("flask")).n == 1
    # second 101 is not whole inside [100, 101.9)
    assert window(rows, 100.0, 101.9, prefix("flask")).n == 3
    # a phase begins a few ms after its whole second (the shape waits for it): that second counts
    assert window(rows, 100.04, 102.0, prefix("flask")).first == 100
    assert window(rows, 100.2, 102.0, prefix("flask")).first == 101
    assert window(rows, 99.0, 102.0, prefix("bento")).n == 1
    assert window(rows, 99.0, 102.0, named("bento classify", "flask classify")).n == 5


def test_an_empty_or_inverted_window_has_no_rate():
    w = window([], 10.2, 10.8, prefix("flask"))  # no whole second inside
    assert (w.seconds, w.n, w.rps, w.ok_rps, w.error_ratio, w.pct(0.99)) == (
        0,
        0,
        0.0,
        0.0,
        0.0,
        None,
    )


def test_per_second_gives_every_whole_second_empty_ones_included():
    a, b = _two_timelines()
    a.merge(b.drain())
    rows = a.rows()
    seconds = per_second(rows, 98.5, 103, prefix("flask"))
    assert [(w.first, w.n, w.failures) for w in seconds] == [
        (99, 0, 0),
        (100, 3, 1),
        (101, 1, 1),
        (102, 0, 0),
    ]
    assert all(w.seconds == 1 for w in seconds)
    assert [w.n for w in per_second(rows, 99, 103, prefix("bento"))] == [0, 0, 1, 0]
    assert per_second(rows, 100.5, 100.9, prefix("flask")) == []


def test_failed_latencies_are_kept_apart():
    from loadtests.core.timeline import Timeline, prefix, window

    tl = Timeline()
    tl.record("a classify", 10.1, 5, 200)
    tl.record("a classify", 10.2, 7, 200)
    tl.record("a classify", 10.3, 30, 503, "HTTP 503")
    w = window(tl.rows(), 10, 11, prefix("a"))
    assert w.fail_hist == {30: 1}
    assert w.ok_hist == {5: 1, 7: 1}
    assert w.ok_within(6) == 1 and w.ok_within(100) == 2
