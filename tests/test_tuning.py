"""bento_app/tuning.py: the serving choices BentoML 1.4 has no setting for.

test_bentoml_timeout_middleware_still_leaks_its_timers documents the upstream bug the timer
fix works around (docs/upstream-bentoml-timeout-timer-leak.md): when it FAILS, BentoML has
fixed the leak, and bento_app.tuning.fix_timeout_timers can go.
"""

import asyncio

import pytest
from bentoml._internal.server.http.traffic import TimeoutMiddleware

from bento_app import tuning


async def _ok(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def _slow(scope, receive, send):
    await asyncio.sleep(1)
    await _ok(scope, receive, send)


def _timers_left_after(requests: int, app=_ok, timeout: float = 30.0) -> tuple[int, list]:
    """Scheduled timer handles left on the loop after ``requests`` finished requests."""
    sent: list = []

    async def main() -> int:
        middleware = TimeoutMiddleware(app, timeout=timeout)

        async def receive():
            return {"type": "http.request", "body": b""}

        async def send(message):
            sent.append(message)

        loop = asyncio.get_running_loop()
        before = len(loop._scheduled)
        for _ in range(requests):
            await middleware({"type": "http"}, receive, send)
        await asyncio.sleep(0.01)  # let a cancelled app task unwind (its own sleep timer)
        return len([h for h in loop._scheduled if not h.cancelled()]) - before

    return asyncio.run(main()), sent


@pytest.fixture
def fixed():
    tuning.fix_timeout_timers(True)
    yield
    tuning.fix_timeout_timers(False)


def test_bentoml_timeout_middleware_still_leaks_its_timers():
    left, _ = _timers_left_after(200)
    assert left == 200, "BentoML cancels its timeout timers now: drop the workaround"


def test_the_fix_leaves_no_timer_behind(fixed):
    left, sent = _timers_left_after(200)
    assert left == 0
    assert sum(m["type"] == "http.response.start" for m in sent) == 200


def test_the_fix_keeps_the_504_for_a_request_slower_than_the_timeout(fixed):
    left, sent = _timers_left_after(1, app=_slow, timeout=0.05)
    assert left == 0
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 504


def test_choose_uvicorn_makes_auto_mean_the_choice():
    from uvicorn import config

    saved = dict(config.LOOP_FACTORIES), dict(config.HTTP_PROTOCOLS)
    try:
        tuning.choose_uvicorn("asyncio", "h11")
        assert config.LOOP_FACTORIES["auto"] == config.LOOP_FACTORIES["asyncio"]
        assert config.HTTP_PROTOCOLS["auto"] == config.HTTP_PROTOCOLS["h11"]
        tuning.choose_uvicorn("uvloop", "httptools")
        assert config.HTTP_PROTOCOLS["auto"] == config.HTTP_PROTOCOLS["httptools"]
    finally:
        config.LOOP_FACTORIES.update(saved[0])
        config.HTTP_PROTOCOLS.update(saved[1])
