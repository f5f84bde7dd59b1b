"""flask_app/linger.py: a gunicorn sync worker that does not wait for the client to close.

test_gunicorn_still_waits_for_the_client_to_close documents the upstream behaviour the fix
works around (docs/upstream-gunicorn-lingering-close.md): when it FAILS, gunicorn no longer
blocks a worker on the client's close, and flask_app.linger can go. Both servers run our real
gunicorn configuration (flask_app/gunicorn_conf.py) with a tiny WSGI app in place of the model.
"""

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from shared.settings import PROJECT_ROOT

APP = """
def app(environ, start_response):
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    body = b"x" * BIG + b"ok" if environ["PATH_INFO"] == "/big" else b"ok"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
"""
BIG = 8 * 2**20  # a response larger than the kernel's socket buffers: still in flight at close
HOLD_S = 1.0  # how long the first client keeps its side open after the response


@contextlib.contextmanager
def _server(tmp_path, fix: bool):
    """Our gunicorn configuration, one sync worker, the tiny app; its port."""
    (tmp_path / "tinyapp.py").write_text(f"BIG = {BIG}\n{APP}")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "CREDIT_HOST": "127.0.0.1",
        "CREDIT_FLASK_PORT": str(port),
        "CREDIT_FLASK_WORKERS": "1",
        "CREDIT_FLASK_METRICS": "false",
        "CREDIT_FLASK_LINGER_FIX": str(fix).lower(),
        "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), str(tmp_path)]),
    }
    argv = [sys.executable, "-m", "gunicorn", "-c", "flask_app/gunicorn_conf.py", "tinyapp:app"]
    proc = subprocess.Popen(argv, cwd=PROJECT_ROOT, env=env, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                _exchange(port, close=True)
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def _exchange(
    port: int, close: bool, extra: bytes = b"", path: str = "/"
) -> tuple[bytes, socket.socket]:
    """One POST on a new connection (``extra`` bytes sent after it, unread by the app), read
    until the server's FIN; the socket is left open unless ``close``."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{{}}".encode()
    sock.sendall(head + extra)
    if extra:
        time.sleep(0.5)  # the server has written what its buffers hold and closed before we read
    raw = b""
    while chunk := sock.recv(65536):
        raw += chunk
    if close:
        sock.close()
    return raw, sock


def _served_while_another_client_lingers(port: int) -> tuple[bytes, float]:
    """The first client reads its response and keeps its side open HOLD_S seconds; the second
    one's response and how long it took."""
    first, held = _exchange(port, close=False)
    assert first.startswith(b"HTTP/1.1 200") and first.endswith(b"ok")
    threading.Timer(HOLD_S, held.close).start()
    start = time.perf_counter()
    second, _ = _exchange(port, close=True)
    return second, time.perf_counter() - start


def test_gunicorn_still_waits_for_the_client_to_close(tmp_path):
    with _server(tmp_path, fix=False) as port:
        second, took = _served_while_another_client_lingers(port)
    assert second.endswith(b"ok")
    assert took >= 0.8 * HOLD_S, "gunicorn no longer waits for the client: drop flask_app.linger"


def test_the_fix_serves_the_next_client_at_once(tmp_path):
    with _server(tmp_path, fix=True) as port:
        second, took = _served_while_another_client_lingers(port)
    assert second.endswith(b"ok") and took < 0.5 * HOLD_S


@pytest.mark.parametrize("fix", [False, True], ids=["gunicorn's close", "linger fix"])
def test_unread_request_bytes_do_not_cut_the_response_short(tmp_path, fix):
    """What the upstream change is for, kept by the fix: bytes the app never read (here 64 KB
    sent after the request) are drained before the close, so the kernel does not answer RST
    and drop the part of a large response still in its send buffer: the client gets it whole,
    under either close."""
    with _server(tmp_path, fix) as port:
        raw, _ = _exchange(port, close=True, extra=b"y" * 65536, path="/big")
    assert raw.startswith(b"HTTP/1.1 200") and raw.endswith(b"ok") and len(raw) > BIG
