"""Serving choices BentoML 1.4 has no setting for, applied from shared.settings in the worker.

Applied when bento_app.service is imported, i.e. in each `bentoml serve` worker before it
builds its uvicorn server: that import is the only hook BentoML gives into the worker ahead of
``uvicorn.Config`` (so this is deliberate import-time work, and the only such work here).

- ``bento_loop`` / ``bento_http``: BentoML builds ``uvicorn.Config`` without ``loop`` or
  ``http``, so uvicorn's "auto" decides: uvloop and httptools when they are installed, asyncio
  and h11 otherwise. "asyncio"/"h11" reproduce a plain `pip install bentoml` environment (the
  service as landed); "uvloop"/"httptools" insist on the fast ones.
- ``bento_timer_fix``: BentoML 1.4.40's TimeoutMiddleware schedules ``loop.call_later(timeout,
  ...)`` for every request and never cancels it, so ``rate × timeout`` timer handles (each
  holding a future) stay alive and every full garbage collection walks them
  (docs/upstream-bentoml-timeout-timer-leak.md). The fix cancels the handle as soon as the
  response starts; behaviour is otherwise the same (504 after ``timeout``).
- ``bento_batch_wait_fix``: adaptive batching's learned wait bounded, so that BentoML 1.4.40's
  dispatcher recovers after an overload (bento_app.batching).
- ``bento_root_schema_cache``: a list API's root model's JSON schema memoized, instead of built
  twice per request by BentoML 1.4.40 (bento_app.rootschema).
- ``bento_queue_deadline_ms``: load shedding. A request that waited longer than this in the
  worker's queue (parsed by uvicorn, its work not yet started by the event loop) is answered 503
  with Retry-After at once, so an overloaded worker spends its time on requests that can still
  meet the SLO instead of on requests whose clients are about to give up (docs/resiliency.md).
  BentoML's TimeoutMiddleware runs the rest of every request in a task of its own, queued
  behind everything already waiting, so the wait is checked twice: when uvicorn starts the
  request and when that inner task starts (the replacement TimeoutMiddleware call below; a
  deadline therefore installs it, with its timer fix). A refusal at the second check has
  already paid for BentoML's middleware (metrics, tracing), so the first check also refuses a
  request whose wait it can predict: the POSTs admitted ahead of it whose task has not started,
  times the event loop's recent time between two such starts (``_Queue``).
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from collections import deque
from typing import Any

from bento_app import batching, rootschema

_ORIGINAL_CALL: Any = None
_DEADLINE_S = 0.0  # shed_after: 0 = never shed
_ARRIVED = "credit.arrived"  # scope key: when uvicorn parsed the request (time.monotonic())
_QUEUED = "credit.queued"  # scope key: admitted by the first check, its work not started yet
_SMOOTHING = 0.05  # weight of the newest interval in the running mean (~20 starts)


class _Queue:
    """The worker's queue as the deadline sees it (one event loop per worker: no locks).

    ``waiting``: POSTs admitted whose work has not started. ``per_start``: running mean of the
    time between the start of a request's work and the next start, measured only when the next
    request was already waiting then (so it is the loop's time per request under backlog, not a
    gap between arrivals) and the earlier one was served (a request refused at its start costs
    next to nothing: counting those gaps would make a refusing worker think its queue is fast,
    admit more, and refuse still more late)."""

    waiting = 0
    last_start = 0.0
    last_served = False
    per_start = 0.0

    @classmethod
    def predicted_wait(cls) -> float:
        return cls.waiting * cls.per_start

    @classmethod
    def admit(cls, scope) -> None:
        cls.waiting += 1
        scope[_QUEUED] = True

    @classmethod
    def started(cls, scope, served: bool) -> None:
        """The request's work starts now, ``served`` or refused (or it ended without starting:
        called again, it does nothing)."""
        if not scope.pop(_QUEUED, False):
            return
        cls.waiting -= 1
        now = time.monotonic()
        if cls.last_served and scope[_ARRIVED] < cls.last_start:
            gap = now - cls.last_start
            cls.per_start += _SMOOTHING * (gap - cls.per_start) if cls.per_start else gap
        cls.last_start, cls.last_served = now, served

    @classmethod
    def reset(cls) -> None:
        cls.waiting, cls.last_start, cls.last_served, cls.per_start = 0, 0.0, False, 0.0
        _Turns.waiting.clear()
        _Turns.granting = False


class _Turns:
    """One admitted request starts its work per event-loop iteration.

    An event loop runs every callback that was ready when an iteration began before it polls its
    sockets again; when the work of several admitted requests is ready at once, one iteration
    runs them all (tens of ms) and no new request is read, let alone refused, meanwhile. A turn
    is granted from a callback, and the granted task runs one iteration later, so the loop polls
    (reads, parses, and refuses at the first check) between the starts of two requests."""

    waiting: deque = deque()
    granting = False

    @classmethod
    async def take(cls) -> None:
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        cls.waiting.append(fut)
        if not cls.granting:
            cls.granting = True
            loop.call_soon(cls._grant, loop)
        await fut

    @classmethod
    def _grant(cls, loop) -> None:
        while cls.waiting:
            fut = cls.waiting.popleft()
            if not fut.done():  # a cancelled waiter (504, client gone) gives its turn on
                fut.set_result(None)
                break
        if cls.waiting:
            loop.call_soon(cls._grant, loop)
        else:
            cls.granting = False


def choose_uvicorn(loop: str, http: str, accept_all: bool = False) -> None:
    """Make uvicorn's "auto" mean the chosen loop / HTTP implementation ("auto": no change);
    ``accept_all``: on uvloop, accept every pending connection per wake-up (bento_app.accept)."""
    from uvicorn import config

    if loop != "auto":
        config.LOOP_FACTORIES["auto"] = config.LOOP_FACTORIES[loop]
    # "auto" is uvloop when it is installed (uvicorn.loops.auto)
    on_uvloop = loop == "uvloop" or (loop == "auto" and importlib.util.find_spec("uvloop"))
    if accept_all and on_uvloop:
        config.LOOP_FACTORIES["auto"] = "bento_app.accept:greedy_uvloop_factory"
    if http != "auto":
        config.HTTP_PROTOCOLS["auto"] = config.HTTP_PROTOCOLS[http]


def in_use() -> dict[str, str]:
    """What this worker really runs (called in a request, on its event loop): the loop's
    module and the HTTP protocol class uvicorn's "auto" stands for."""
    from uvicorn import config

    try:
        loop = type(asyncio.get_running_loop()).__module__.split(".")[0]
    except RuntimeError:
        loop = "none"
    accept = "all pending per wake-up"  # asyncio's own loop does, and bento_app.accept's
    if loop == "bento_app":
        loop = "uvloop"
    elif loop == "uvloop":
        accept = "one per event-loop iteration (libuv)"
    http = config.HTTP_PROTOCOLS["auto"]
    if isinstance(http, str) and http.endswith(":AutoHTTPProtocol"):
        from uvicorn.protocols.http.auto import AutoHTTPProtocol

        http = AutoHTTPProtocol.__name__
    return {
        "event_loop_in_use": loop,
        "connections_accepted": accept,
        "batching_wait_in_use": batching.in_use(),
        "root_schema_cache_in_use": rootschema.in_use(),
        "http_protocol_in_use": str(http).rsplit(":", 1)[-1],
    }


async def _timeout_call(self, scope, receive, send) -> None:
    """TimeoutMiddleware.__call__ of BentoML 1.4.40, with the timer handle cancelled and the
    queue deadline checked again when the request's own task starts."""
    if scope["type"] not in ("http", "websocket"):
        return await self.app(scope, receive, send)
    from starlette.responses import JSONResponse

    loop = asyncio.get_running_loop()
    waiter = loop.create_future()
    handle = loop.call_later(self.timeout, self._set_timer_out, waiter)

    async def _send(message) -> None:
        if not waiter.done():
            waiter.set_result(None)
            handle.cancel()  # the response started: the timeout no longer applies
        await send(message)

    async def _run() -> None:  # BentoML's own task for the request: it may wait long to start
        if scope.get(_QUEUED):
            await _Turns.take()
        waited = _late(scope)
        _Queue.started(scope, served=waited is None)
        await (self.app if waited is None else _overloaded(waited))(scope, receive, _send)

    fut = asyncio.ensure_future(_run(), loop=loop)
    try:
        await waiter
    except TimeoutError:
        if fut.cancel():
            resp = JSONResponse(
                {"error": f"Not able to process the request in {self.timeout} seconds"},
                status_code=504,
            )
            await resp(scope, receive, send)
    else:
        await fut
    finally:
        handle.cancel()


def fix_timeout_timers(enabled: bool) -> None:
    """Install (or remove) the cancelling TimeoutMiddleware.__call__."""
    global _ORIGINAL_CALL
    from bentoml._internal.server.http.traffic import TimeoutMiddleware

    if _ORIGINAL_CALL is None:
        _ORIGINAL_CALL = TimeoutMiddleware.__call__
    TimeoutMiddleware.__call__ = _timeout_call if enabled else _ORIGINAL_CALL


def _overloaded(waited_s: float, predicted: bool = False):
    """A tiny ASGI app: 503 with Retry-After, what a shed request gets (no model, no parsing)."""
    why = b"would wait" if predicted else b"waited"
    body = b'{"error":"overloaded: %s %d ms in the worker\'s queue"}' % (why, int(1000 * waited_s))
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", b"1"),
    ]

    async def app(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def _late(scope) -> float | None:
    """Seconds this request has waited since uvicorn parsed it, if past the deadline. Only the
    APIs (POST) are shed: health probes and metrics scrapes (GET) are answered however late, or
    an overloaded worker would look dead to its supervisor and blank to its monitoring."""
    if not _sheddable(scope):
        return None
    waited = time.monotonic() - scope[_ARRIVED]
    return waited if waited > _DEADLINE_S else None


def _sheddable(scope) -> bool:
    return bool(_DEADLINE_S) and _ARRIVED in scope and scope.get("method") == "POST"


def shed_after(deadline_ms: float) -> None:
    """Answer 503 at once to a request that waited longer than ``deadline_ms`` since uvicorn
    parsed its headers: checked when the event loop starts it, and again in the replacement
    TimeoutMiddleware call when BentoML's own task for it starts (BentoML's max_concurrency
    counts only the requests that already run, so it never fills with async APIs). 0: never."""
    global _DEADLINE_S
    from uvicorn.protocols.http import h11_impl, httptools_impl

    _DEADLINE_S = deadline_ms / 1000
    _Queue.reset()
    for module in (h11_impl, httptools_impl):
        cycle = module.RequestResponseCycle
        if not hasattr(cycle, "_credit_original"):
            cycle._credit_original = (cycle.__init__, cycle.run_asgi)
        init, run = cycle._credit_original
        if not deadline_ms:
            cycle.__init__, cycle.run_asgi = init, run
            continue

        def __init__(self, *args, _init=init, **kwargs) -> None:
            _init(self, *args, **kwargs)
            self.scope[_ARRIVED] = time.monotonic()

        async def run_asgi(self, app, _run=run) -> None:
            scope = self.scope
            waited = _late(scope)
            if waited is not None:
                return await _run(self, _overloaded(waited))
            if _sheddable(scope):
                wait = time.monotonic() - scope[_ARRIVED] + _Queue.predicted_wait()
                if wait > _DEADLINE_S:
                    return await _run(self, _overloaded(wait, predicted=True))
                _Queue.admit(scope)
            try:
                return await _run(self, app)
            finally:
                _Queue.started(scope, served=False)  # ended before its work started

        cycle.__init__, cycle.run_asgi = __init__, run_asgi


def apply(settings: Any) -> dict[str, Any]:
    shedding = bool(settings.bento_queue_deadline_ms)
    # a deadline cannot shed what waits in the kernel's accept queue: accept it all (on uvloop)
    accept_all = shedding
    choose_uvicorn(settings.bento_loop, settings.bento_http, accept_all)
    shed_after(settings.bento_queue_deadline_ms)
    timer_fix = settings.bento_timer_fix or shedding
    fix_timeout_timers(timer_fix)
    batching.bound_batching_wait(settings.bento_batch_wait_fix)
    rootschema.cache_root_schemas(settings.bento_root_schema_cache)
    return {
        "event_loop": settings.bento_loop,
        "http_parser": settings.bento_http,
        "timeout_timer_fix": timer_fix,
        "batching_wait_bound": settings.bento_batch_wait_fix,
        "root_schema_cache": settings.bento_root_schema_cache,
        "queue_deadline_ms": settings.bento_queue_deadline_ms,
    }
