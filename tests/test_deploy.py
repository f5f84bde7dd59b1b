"""The container files, offline (no Docker engine): the lock cut the images install, the
Dockerfiles (hadolint), the compose file (`docker compose config`) and its contract, the
health probe the images run. The stack itself runs in tests/compose (make test-compose).
"""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from deploy import lock_subset
from loadtests.core.profiles import KINDS
from loadtests.core.targets import parse as parse_targets
from loadtests.harness.servers import free_port
from shared.settings import PROJECT_ROOT

BIN = Path(sys.executable).parent
DOCKERFILES = ["flask_app/Dockerfile", "bento_app/Dockerfile", "deploy/locust.Dockerfile"]
LOCK = (PROJECT_ROOT / "requirements.lock").read_text()
DEV_LOCK = (PROJECT_ROOT / "requirements-dev.lock").read_text()


# --- the lock cut ------------------------------------------------------------------------------


def names(text: str) -> set[str]:
    return set(lock_subset.parse(text))


def test_the_full_cut_is_the_lock_itself():
    assert lock_subset.subset(LOCK) == LOCK


def test_flask_cut_drops_bentoml_and_what_only_it_needs():
    cut = lock_subset.subset(LOCK, without={"bentoml", "pandas"})
    kept = names(cut)
    assert {"flask", "gunicorn", "xgboost-cpu", "scikit-learn", "numpy", "pydantic"} <= kept
    assert {"bentoml", "pandas", "opentelemetry-api", "a2wsgi"}.isdisjoint(kept)
    assert "click" in kept  # also needed by flask, so it stays
    entries = lock_subset.parse(LOCK)
    for name in kept:  # verbatim: same pins, same hashes
        assert entries[name].text in cut
        assert "--hash=sha256:" in entries[name].text


@pytest.mark.parametrize(
    ("text", "roots"),
    [(LOCK, None), (LOCK, {"flask", "xgboost-cpu"}), (DEV_LOCK, {"locust", "pydantic"})],
)
def test_a_cut_is_closed_under_the_locks_dependencies(text, roots):
    """Nothing a kept package needs is left out (the ``# via`` graph has no edge leaving)."""
    entries = lock_subset.parse(text)
    kept = names(lock_subset.subset(text, roots))
    for name, entry in entries.items():
        if entry.needed_by & kept:
            assert name in kept, f"{name} is needed by {entry.needed_by & kept}"


def test_unknown_root_is_an_error():
    with pytest.raises(SystemExit, match="not in the lock"):
        lock_subset.subset(LOCK, {"no-such-package"})


def test_via_comments_in_both_forms_are_parsed():
    text = (
        "a==1 \\\n    --hash=sha256:aa\n    # via credit-risk-serving (pyproject.toml)\n"
        "b==2 \\\n    --hash=sha256:bb\n    # via\n    #   a\n    #   -c requirements.lock\n"
        "c==3 \\\n    --hash=sha256:cc\n    # via b\n"
        "d==4 \\\n    --hash=sha256:dd\n    # via credit-risk-serving (pyproject.toml)\n"
    )
    assert names(lock_subset.subset(text)) == {"a", "b", "c", "d"}
    assert names(lock_subset.subset(text, without={"d"})) == {"a", "b", "c"}
    assert names(lock_subset.subset(text, {"d"})) == {"d"}


def test_the_cli_matches_the_library(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text(LOCK)
    done = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "deploy" / "lock_subset.py"), str(lock),
         "--without", "bentoml pandas"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout == lock_subset.subset(LOCK, without={"bentoml", "pandas"})


# --- Dockerfiles and compose file --------------------------------------------------------------


def test_dockerfiles_pass_hadolint():
    done = subprocess.run(
        [str(BIN / "hadolint"), *DOCKERFILES], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def compose_config(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "docker-compose"), "--profile", "load", "config", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env=env,
    )


def test_compose_file_is_valid():
    done = compose_config("-q")
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def compose() -> dict:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(PROJECT_ROOT)}  # defaults, not this shell's
    done = compose_config("--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["services"]


def test_servers_have_equal_limits_healthchecks_and_restart(compose):
    flask, bento = compose["flask"], compose["bento"]
    assert flask["deploy"]["resources"] == bento["deploy"]["resources"]
    limits = flask["deploy"]["resources"]["limits"]
    assert float(limits["cpus"]) > 0 and int(limits["memory"]) > 0
    for name, service in (("flask", flask), ("bento", bento)):
        assert service["restart"] == "unless-stopped"
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"]
        test = service["healthcheck"]["test"]
        assert test[:3] == ["CMD", "python", "deploy/healthcheck.py"]
        assert test[3] == KINDS[name].health_path


def test_servers_publish_their_default_ports_on_loopback(compose):
    for name, port in (("flask", 9696), ("bento", 3000)):
        (published,) = compose[name]["ports"]
        assert (published["host_ip"], published["published"], published["target"]) == (
            "127.0.0.1",
            str(port),
            port,
        )


def test_locust_targets_the_servers_by_service_name(compose):
    for name in ("locust-master", "locust-worker"):
        service = compose[name]
        assert service["profiles"] == ["load"]
        env = service["environment"]
        assert parse_targets(env["LOAD_TARGETS"]) == {
            "flask": "http://flask:9696",
            "bento": "http://bento:3000",
        }
        assert (PROJECT_ROOT / env["LOCUST_LOCUSTFILE"]).is_file()
    assert compose["locust-master"]["depends_on"]["flask"]["condition"] == "service_healthy"
    assert "--master" in compose["locust-master"]["command"]
    assert "--scenario steady" in " ".join(compose["locust-master"]["command"])
    assert "--worker" in compose["locust-worker"]["command"]


# --- the image health probe --------------------------------------------------------------------


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200 if self.path == "/healthz" else 503)
        self.end_headers()

    def log_message(self, *args):
        pass


def probe(path: str, port: int) -> int:
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "deploy" / "healthcheck.py"), path, "PROBE_PORT"],
        env={"PROBE_PORT": str(port)},
        capture_output=True,
    ).returncode


def test_health_probe_exit_codes():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        assert probe("/healthz", port) == 0
        assert probe("/readyz", port) == 1  # 503
    finally:
        server.shutdown()
    assert probe("/healthz", free_port()) == 1  # nothing listens
