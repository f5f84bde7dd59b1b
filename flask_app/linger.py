"""A close that does not wait for the client (setting ``flask_linger_fix``, on by default).

gunicorn >= 26 ends every connection with ``gunicorn.util.close_graceful`` (RFC 9112 section
9.6): it half-closes, then *blocks* reading until the client closes its side too (up to 2 s).
A sync worker serves one connection at a time and closes each after one request (no
keep-alive), so every request's serial time gains the client's delay before it closes: the
worker idles while requests queue behind it, and its capacity depends on how fast the load
generator closes (docs/upstream-gunicorn-lingering-close.md). A client that never closes holds
the worker 2 s per request.

The replacement keeps the point of the upstream change (never close with unread request bytes
in the kernel's buffer, which makes the kernel answer RST and can cut the response short): it
half-closes, drains what is *already* buffered without waiting, and closes.
"""

from __future__ import annotations

import contextlib
import socket

MAX_DRAIN = 65536  # as upstream: a cap on what a close reads


def close_without_waiting(sock: socket.socket, timeout: float = 2.0, max_drain: int = MAX_DRAIN):
    """gunicorn.util.close_graceful's signature; ``timeout`` is accepted and not used."""
    try:
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            return
        drained = 0
        while drained < max_drain:
            try:
                data = sock.recv(4096, socket.MSG_DONTWAIT)
            except OSError:  # BlockingIOError: nothing buffered; or the peer reset
                break
            if not data:
                break
            drained += len(data)
    finally:
        with contextlib.suppress(OSError):
            sock.close()


def install() -> None:
    """Make this gunicorn worker close with ``close_without_waiting`` (its workers call
    ``util.close_graceful`` through the module, so replacing the attribute suffices)."""
    from gunicorn import util

    util.close_graceful = close_without_waiting


def in_use() -> bool:
    from gunicorn import util

    return util.close_graceful is close_without_waiting
