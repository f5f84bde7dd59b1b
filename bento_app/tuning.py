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
"""

from __future__ import annotations

import asyncio
from typing import Any

_ORIGINAL_CALL: Any = None


def choose_uvicorn(loop: str, http: str) -> None:
    """Make uvicorn's "auto" mean the chosen loop / HTTP implementation ("auto": no change)."""
    from uvicorn import config

    if loop != "auto":
        config.LOOP_FACTORIES["auto"] = config.LOOP_FACTORIES[loop]
    if http != "auto":
        config.HTTP_PROTOCOLS["auto"] = config.HTTP_PROTOCOLS[http]


async def _timeout_call(self, scope, receive, send) -> None:
    """TimeoutMiddleware.__call__ of BentoML 1.4.40, with the timer handle cancelled."""
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

    fut = asyncio.ensure_future(self.app(scope, receive, _send), loop=loop)
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


def apply(settings: Any) -> dict[str, Any]:
    choose_uvicorn(settings.bento_loop, settings.bento_http)
    fix_timeout_timers(settings.bento_timer_fix)
    return {
        "event_loop": settings.bento_loop,
        "http_parser": settings.bento_http,
        "timeout_timer_fix": settings.bento_timer_fix,
    }
