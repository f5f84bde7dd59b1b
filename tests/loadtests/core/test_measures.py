"""loadtests.core.measures: one phase's numbers from the timeline, and its SLO verdict."""

from __future__ import annotations

from loadtests.core.knobs import Knobs
from loadtests.core.measures import phase_stats, phase_window
from loadtests.core.phases import PhaseRun, phase
from loadtests.core.timeline import Timeline, named

T0 = 1_800_000_000


def _entry(rate: float = 10, end: float | None = T0 + 5.0) -> PhaseRun:
    run = PhaseRun.begin(1, phase("hold", 5, rate, 2), float(T0))
    return run.model_copy(update={"end": end})


def _rows(per_second: int = 10, slow_ms: float = 5.0, fail_each: int = 0) -> list[dict]:
    t = Timeline()
    for second in range(-1, 7):
        for i in range(per_second):
            failed = fail_each and i < fail_each
            t.record(
                "flask classify",
                T0 + second + i / per_second,
                slow_ms if i == 0 else 2.0,
                500 if failed else 200,
                error="HTTP 500" if failed else None,
            )
        t.record("bento classify", T0 + second, 900.0, 200)
    return t.rows()


def test_a_phase_is_measured_over_its_whole_seconds_after_settle():
    k = Knobs.build({"settle": 1})
    w = phase_window(_rows(), _entry(), "flask", k)
    assert (w.first, w.last, w.n) == (T0 + 1, T0 + 5, 40)
    assert phase_window(_rows(), _entry(), "flask", Knobs.build({"settle": 0})).n == 50
    # a phase still running: its planned end
    assert phase_window(_rows(), _entry(end=None), "flask", k).last == T0 + 5
    assert phase_window(_rows(), _entry(), "flask", k, named("bento classify")).n == 4


def test_phase_stats_within_the_slo():
    s = phase_stats(_rows(), _entry(), "flask", Knobs.build({"settle": 1}))
    assert (s.label, s.offered_rps, s.achieved_rps, s.ok_rps) == ("hold", 10.0, 10.0, 10.0)
    assert (s.requests, s.failures, s.error_pct, s.seconds) == (40, 0, 0.0, 4)
    assert (s.p50_ms, s.p95_ms, s.p99_ms, s.max_ms) == (2.0, 5.0, 5.0, 5.0)
    assert s.slo_ok and s.slo_reasons == ()
    assert s.codes == {200: 40} and s.errors == {}


def test_phase_stats_name_what_broke_the_slo():
    k = Knobs.build({"settle": 1, "slo_p99_ms": 100})
    slow = phase_stats(_rows(slow_ms=300), _entry(), "flask", k)
    assert not slow.slo_ok and slow.slo_reasons == ("p99 300 ms > 100 ms",)
    failing = phase_stats(_rows(fail_each=1), _entry(), "flask", k)
    assert failing.error_pct == 10.0 and failing.ok_rps == 9.0
    assert failing.errors == {"HTTP 500": 4} and failing.codes == {200: 36, 500: 4}
    assert failing.slo_reasons == ("errors 10.00 % > 0.1 %",)
    short = phase_stats(_rows(), _entry(rate=20), "flask", k)  # 10/s sent of 20/s
    assert short.slo_reasons == ("sent 10/s of 20/s offered",)
    nothing = phase_stats([], _entry(), "flask", k)
    assert nothing.p99_ms is None and "no completed requests" in nothing.slo_reasons
