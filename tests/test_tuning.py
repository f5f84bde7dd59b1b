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


def _patched() -> bool:
    return TimeoutMiddleware.__call__ is tuning._timeout_call


@pytest.fixture
def fixed():
    before = _patched()  # a service imported earlier in this process applied its settings
    tuning.fix_timeout_timers(True)
    yield
    tuning.fix_timeout_timers(before)


@pytest.fixture
def unpatched():
    before = _patched()
    tuning.fix_timeout_timers(False)
    yield
    tuning.fix_timeout_timers(before)


def test_bentoml_timeout_middleware_still_leaks_its_timers(unpatched):
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
        greedy = "bento_app.accept:greedy_uvloop_factory"
        for loop in ("uvloop", "auto"):  # "auto" is uvloop here (it is in the lock)
            config.LOOP_FACTORIES["auto"] = saved[0]["auto"]
            tuning.choose_uvicorn(loop, "auto", accept_all=True)
            assert config.LOOP_FACTORIES["auto"] == greedy
        tuning.choose_uvicorn("asyncio", "auto", accept_all=True)  # asyncio accepts greedily
        assert config.LOOP_FACTORIES["auto"] == config.LOOP_FACTORIES["asyncio"]
    finally:
        config.LOOP_FACTORIES.update(saved[0])
        config.HTTP_PROTOCOLS.update(saved[1])


SERVER = """
import sys, time, uvicorn
from bento_app import tuning

tuning.shed_after(float(sys.argv[2]))

async def work(scope, receive, send):
    if scope["type"] != "http":
        return
    end = time.thread_time() + 0.02  # 20 ms of CPU per request, on the event loop
    while time.thread_time() < end:
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})

app = work
if sys.argv[4] == "bentoml":  # as in BentoML's stack: the work runs in the middleware's own task
    from bentoml._internal.server.http.traffic import TimeoutMiddleware

    tuning.fix_timeout_timers(True)
    app = TimeoutMiddleware(work, timeout=30)

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), loop="asyncio", http=sys.argv[3],
            log_level="error")
"""


def _burst(
    deadline_ms: float, http: str, stack: str, method: str = "POST", rounds: int = 1
) -> list[tuple[int, float, str, str]]:
    """20 requests at once on a server that needs 20 ms of CPU for each, ``rounds`` times (one
    after the other, same server): status, seconds, Retry-After, body of each, in order sent.

    The client is 20 raw sockets connected before the clock starts, each request written in one
    call and read with one selector, so it costs microseconds per request: the latencies are the
    server's (an HTTP client per request in threads once cost ~0.5 s a round on a busy 2-core
    runner, which hid the difference this module measures)."""
    import selectors
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port), str(deadline_ms), http, stack]
    )
    request = (
        f"{method} / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    ).encode()
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        results: list[tuple[int, float, str, str]] = []
        for _ in range(rounds):
            socks = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(20)]
            time.sleep(0.05)  # let the server accept them all before the clock starts
            raw = {s: b"" for s in socks}
            took: dict[socket.socket, float] = {}
            with selectors.DefaultSelector() as sel:
                start = time.perf_counter()
                for s in socks:
                    s.sendall(request)
                    sel.register(s, selectors.EVENT_READ)
                while len(took) < len(socks):
                    events = sel.select(timeout=10)
                    assert events, "no answer within 10 s"
                    for key, _ in events:
                        chunk = key.fileobj.recv(65536)
                        raw[key.fileobj] += chunk
                        if not chunk:  # Connection: close: the response is whole
                            took[key.fileobj] = time.perf_counter() - start
                            sel.unregister(key.fileobj)
            for s in socks:
                s.close()
                head, _, body = raw[s].partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = dict(line.lower().split(": ", 1) for line in lines[1:])
                retry = headers.get("retry-after", "")
                if headers.get("transfer-encoding") == "chunked":
                    body = b"".join(body.split(b"\r\n")[1::2])
                results.append((int(lines[0].split()[1]), took[s], retry, body.decode()))
        return results
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize(
    ("http", "stack"), [("h11", "plain"), ("httptools", "plain"), ("httptools", "bentoml")]
)
def test_a_request_that_waited_past_the_deadline_is_shed_with_503(http, stack):
    """With "bentoml" the work runs in TimeoutMiddleware's own task, which starts only after every
    request already parsed has started (so a check when uvicorn starts a request sees no wait:
    the overload runs of 2026-11-25 shed too late); the second check at that task sheds."""
    shed = _burst(30, http, stack)
    codes = sorted(code for code, *_ in shed)
    assert 200 in codes and 503 in codes  # the first ones served, the rest refused
    assert all(retry == "1" for code, _, retry, _ in shed if code == 503)
    served = _burst(0, http, stack)
    assert {code for code, *_ in served} == {200}  # 0: never shed
    probes = _burst(30, http, stack, method="GET")
    assert {code for code, *_ in probes} == {200}  # health probes and scrapes: never shed


def test_once_it_knows_the_cost_the_worker_refuses_by_the_queue_ahead_at_once():
    """In BentoML's stack the first check (before BentoML's middleware) refuses a request the
    queue ahead of it would keep past the deadline ("would wait"), so the refusal costs neither
    the middleware nor the wait: once the first round has measured ~20 ms a request, the later
    rounds are refused that way, sooner than the served ones are answered."""
    rounds = _burst(30, "httptools", "bentoml", rounds=3)
    later = rounds[20:]
    predicted = [secs for code, secs, _, body in later if code == 503 and "would wait" in body]
    served = [secs for code, secs, *_ in later if code == 200]
    assert predicted, "no refusal by the queue ahead"
    assert served  # the first in each round still served
    assert sorted(predicted)[len(predicted) // 2] < sorted(served)[len(served) // 2]


def test_admitted_requests_start_one_per_loop_iteration():
    """Between two starts the loop polls its sockets, so new requests are read (and refused at
    once when they must be) instead of waiting for a run of queued model calls to end."""
    iterations = 0
    ticking = True

    async def main() -> list[int]:
        loop = asyncio.get_running_loop()

        def tick() -> None:  # rescheduled from itself: runs once per loop iteration
            nonlocal iterations
            iterations += 1
            if ticking:
                loop.call_soon(tick)

        loop.call_soon(tick)
        starts: list[int] = []

        async def one() -> None:
            await tuning._Turns.take()
            starts.append(iterations)

        await asyncio.gather(*(one() for _ in range(5)))
        return starts

    tuning._Queue.reset()
    try:
        starts = asyncio.run(main())
    finally:
        ticking = False
    assert len(starts) == 5 and len(set(starts)) == 5 and starts == sorted(starts)
