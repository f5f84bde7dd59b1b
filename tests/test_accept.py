"""bento_app/accept.py: a uvloop loop that accepts every pending connection per wake-up.

test_uvloop_still_accepts_one_connection_per_iteration documents the behaviour the loop works
around (libuv >= 1.45 accepts once per iteration): when it FAILS, uvloop accepts greedily again
and bento_app.accept can go.
"""

import asyncio
import socket

import uvloop

from bento_app.accept import GreedyAcceptLoop

PENDING = 50


class _Counted(asyncio.Protocol):
    accepted = 0

    def connection_made(self, transport) -> None:
        type(self).accepted += 1
        self.transport = transport

    def connection_lost(self, exc) -> None:
        pass


def _accepted_per_iteration(loop_class, iterations: int = 5) -> list[int]:
    """Connections accepted after each of the first loop iterations, with PENDING waiting in the
    kernel's accept queue before the loop starts (the handshake needs no accept())."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    clients = [socket.create_connection(listener.getsockname()) for _ in range(PENDING)]
    _Counted.accepted = 0
    loop = loop_class()
    counts: list[int] = []

    async def main() -> None:
        server = await loop.create_server(_Counted, sock=listener, backlog=128)
        for _ in range(iterations):  # one sleep(0) = one loop iteration (the poll included)
            await asyncio.sleep(0)
            counts.append(_Counted.accepted)
        for _ in range(200):  # let the rest in, to close them cleanly
            if _Counted.accepted == PENDING:
                break
            await asyncio.sleep(0.001)
        server.close()
        await server.wait_closed()

    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
        for c in clients:
            c.close()
        listener.close()
    return counts


def test_uvloop_still_accepts_one_connection_per_iteration():
    counts = _accepted_per_iteration(uvloop.Loop)
    assert counts[-1] < PENDING / 2, "uvloop accepts greedily again: drop bento_app.accept"


def test_the_greedy_loop_accepts_all_pending_connections_at_once():
    counts = _accepted_per_iteration(GreedyAcceptLoop)
    assert counts[-1] == PENDING
    assert counts[2] == PENDING  # one wake-up, and the tasks that wrap each connection


def test_the_greedy_loop_serves_requests_and_closes():
    received: list[bytes] = []

    class Echo(asyncio.Protocol):
        def connection_made(self, transport) -> None:
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            received.append(data)
            self.transport.write(data.upper())

    loop = GreedyAcceptLoop()

    async def main() -> bytes:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        server = await loop.create_server(Echo, sock=listener, backlog=8)
        assert server.is_serving() and server.sockets == (listener,)
        reader, writer = await asyncio.open_connection(*listener.getsockname())
        writer.write(b"ping")
        answer = await reader.readexactly(4)
        writer.close()
        server.close()
        await server.wait_closed()
        assert not server.is_serving()
        listener.close()
        return answer

    try:
        assert loop.run_until_complete(main()) == b"PING"
    finally:
        loop.close()
    assert received == [b"ping"]
