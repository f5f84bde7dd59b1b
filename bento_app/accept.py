"""A uvloop event loop that accepts every pending connection when its listening socket wakes it.

uvloop 0.23 bundles libuv 1.52.1, which accepts ONE connection per event-loop iteration (libuv
PR #3696, "unix: don't accept() connections in a loop", merged 2022): under load each iteration
runs a request or more, so a burst of new connections waits in the kernel's accept queue, where
no deadline in the worker can see it (measured: 700 connections at once on a loop busy 4 ms per
iteration are accepted in 2.9 s on uvloop, in 0.07 s on asyncio's own loop, which accepts up to
the backlog per wake-up). For a worker that sheds load by how long a request waited, a queue it
cannot see is a queue it cannot shed (docs/resiliency.md), so with the queue deadline on, a
uvloop worker serves its listening socket with this loop: on each wake-up it accepts up to
``backlog`` connections (as asyncio does) and hands each to uvloop as an accepted socket.

The cost, stated: with several workers on one shared socket, a greedy worker takes connections
another idle worker could have taken (libuv's reason for the change); the profiles that shed
run one worker.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import uvloop


class _Listener:
    """The part of ``asyncio.Server`` uvicorn uses (close, wait_closed, sockets, is_serving)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, factory: Any, sock: socket.socket,
                 backlog: int) -> None:  # fmt: skip
        self._loop, self._factory, self._sock = loop, factory, sock
        self._backlog = max(1, backlog)
        sock.setblocking(False)
        loop.add_reader(sock.fileno(), self._accept)
        self._serving = True

    def _accept(self) -> None:
        for _ in range(self._backlog):
            try:
                conn, _addr = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as exc:  # EMFILE and friends: say so, try again on the next wake-up
                self._loop.call_exception_handler(
                    {"message": "accept() failed on the listening socket", "exception": exc}
                )
                return
            conn.setblocking(False)
            task = self._loop.create_task(self._loop.connect_accepted_socket(self._factory, conn))
            task.add_done_callback(_close_if_failed(conn))

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return (self._sock,)

    def is_serving(self) -> bool:
        return self._serving

    def close(self) -> None:
        if self._serving:
            self._serving = False
            self._loop.remove_reader(self._sock.fileno())

    async def wait_closed(self) -> None:
        return None


def _close_if_failed(conn: socket.socket):
    def done(task: asyncio.Task) -> None:
        if task.cancelled() or task.exception() is not None:  # e.g. reset before it was wrapped
            conn.close()

    return done


class GreedyAcceptLoop(uvloop.Loop):
    """uvloop, except that a server on an existing plain socket accepts all that is pending."""

    async def create_server(self, protocol_factory, host=None, port=None, *args, **kwargs):
        sock, backlog = kwargs.get("sock"), kwargs.get("backlog", 100)
        if sock is None or kwargs.get("ssl") is not None or host is not None or args:
            return await super().create_server(protocol_factory, host, port, *args, **kwargs)
        return _Listener(self, protocol_factory, sock, backlog)


def greedy_uvloop_factory(use_subprocess: bool = False):
    """uvicorn's loop-factory signature (uvicorn.config.LOOP_FACTORIES)."""
    return GreedyAcceptLoop
