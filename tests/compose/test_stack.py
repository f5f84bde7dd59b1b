"""The whole stack for real: the built images under docker compose, the course sample through
the published ports, a locust scenario from the compose locust services against both servers
by service name, and the containers' user.

    make test-compose      (engine, base image, images, lint, then this module)

Runs as its own compose project on free host ports, so it neither disturbs a stack started
with `make compose-up` nor local servers on 9696/3000, and always tears down what it started.
No engine or no built images is a failure, never a skip.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from loadtests.harness.servers import free_port
from shared.predictor import Predictor
from shared.schema import SAMPLE_APPLICATION
from shared.settings import PROJECT_ROOT

pytestmark = pytest.mark.compose

MANIFEST = PROJECT_ROOT / "deploy" / ".cache" / "images.json"
PROJECT = "credit-risk-test"
COMPOSE = str(Path(sys.executable).parent / "docker-compose")
SERVERS = ("flask", "bento")
IMAGE_USER = "10001:10001"


def run(argv: list[str], env: dict[str, str] | None = None, check: bool = True, timeout=300):
    done = subprocess.run(
        argv, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and done.returncode != 0:
        pytest.fail(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


@dataclass
class Stack:
    env: dict[str, str]
    ports: dict[str, int]

    def compose(self, *args: str, env: dict[str, str] | None = None, check: bool = True):
        return run([COMPOSE, "-p", PROJECT, *args], env=env or self.env, check=check)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def container(self, service: str) -> dict:
        cid = self.compose("ps", "-q", service).stdout.strip()
        assert cid, f"no running {service} container"
        return json.loads(run(["docker", "inspect", cid]).stdout)[0]


@pytest.fixture(scope="module")
def manifest() -> dict:
    if run(["docker", "info"], check=False).returncode != 0:
        pytest.fail("no Docker engine answers `docker info` (make test-compose starts one)")
    if not MANIFEST.exists():
        pytest.fail(f"{MANIFEST} is missing: build the images first (make test-compose does)")
    data = json.loads(MANIFEST.read_text())
    for name, facts in data["images"].items():
        image_id = run(["docker", "image", "inspect", facts["ref"], "--format", "{{.Id}}"])
        assert image_id.stdout.strip() == facts["id"], f"{name}: not the image images.py built"
    return data


@pytest.fixture(scope="module")
def stack(manifest, tmp_path_factory):
    ports = {"flask": free_port(), "bento": free_port(), "locust": free_port()}
    env = {
        **os.environ,
        "CREDIT_IMAGE_TAG": manifest["tag"],
        "CREDIT_PUBLISH_HOST": "127.0.0.1",
        "CREDIT_FLASK_PORT": str(ports["flask"]),
        "CREDIT_BENTO_PORT": str(ports["bento"]),
        "LOCUST_WEB_PORT": str(ports["locust"]),
    }
    stack = Stack(env, ports)
    stack.compose("--profile", "load", "down", "--volumes", "--remove-orphans", check=False)
    try:
        up = stack.compose(
            "up", "--detach", "--wait", "--wait-timeout", "240", *SERVERS, check=False
        )
        if up.returncode != 0:
            logs = stack.compose("logs", "--no-color", "--tail", "40", check=False).stdout
            pytest.fail(f"compose up --wait failed:\n{up.stdout}\n{up.stderr}\n{logs}")
        yield stack
    finally:
        logs = stack.compose("--profile", "load", "logs", "--no-color", check=False)
        log_file = tmp_path_factory.mktemp("compose") / "stack.log"
        log_file.write_text(logs.stdout + logs.stderr)
        print(f"\ncompose logs: {log_file}")
        stack.compose("--profile", "load", "down", "--volumes", "--remove-orphans", check=False)


@pytest.mark.parametrize("service", SERVERS)
def test_containers_are_healthy_with_the_composed_settings(stack, service):
    info = stack.container(service)
    assert info["State"]["Health"]["Status"] == "healthy"
    assert info["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert info["HostConfig"]["ReadonlyRootfs"] is True


def test_the_containers_serve_the_tuned_defaults(stack):
    """The images run the project's defaults: the same tuning as `make flask` / `make bento`."""
    flask = httpx.get(stack.url("flask") + "/info", timeout=10).json()["serving"]
    bento = httpx.get(stack.url("bento") + "/info", timeout=10).json()["serving"]
    assert flask["gc_freeze"] is True and bento["gc_freeze"] is True
    assert (bento["event_loop_in_use"], bento["http_protocol_in_use"]) == (
        "uvloop", "HttpToolsProtocol"
    )  # fmt: skip
    assert bento["timeout_timer_fix"] is True


def test_both_servers_get_the_same_cpu_and_memory(stack):
    limits = {
        s: (c["HostConfig"]["NanoCpus"], c["HostConfig"]["Memory"])
        for s in SERVERS
        for c in [stack.container(s)]
    }
    assert limits["flask"] == limits["bento"]
    assert all(value > 0 for value in limits["flask"])


def test_course_sample_same_answer_through_both_published_ports(stack, manifest):
    """Same status and probability as the local servers give (their Predictor, same artifact)."""
    local = Predictor.from_artifact(Path(manifest["model_file"])).predict_one(SAMPLE_APPLICATION)
    answers = {}
    with httpx.Client(timeout=10) as client:
        for service in SERVERS:
            resp = client.post(f"{stack.url(service)}/classify", json=SAMPLE_APPLICATION)
            assert resp.status_code == 200, (service, resp.text)
            assert resp.headers["x-model-version"] == manifest["model_version"]
            answers[service] = resp.json()
    print(f"\ncourse sample: {answers}")
    for service, body in answers.items():
        assert body["model_version"] == local.model_version == manifest["model_version"], service
        assert body["status"] == local.status, service
        assert body["default_probability"] == pytest.approx(local.default_probability, abs=1e-6)


def test_bento_container_serves_exactly_the_built_bento(stack, manifest):
    listed = stack.compose("exec", "-T", "bento", "bentoml", "list", "-o", "json").stdout
    assert [b["tag"] for b in json.loads(listed)] == [manifest["images"]["bento"]["bento_tag"]]
    models = stack.compose("exec", "-T", "bento", "bentoml", "models", "list", "-o", "json")
    assert [m["tag"] for m in json.loads(models.stdout)] == [
        f"credit_risk_model:{manifest['model_version']}"
    ]


@pytest.mark.parametrize("service", SERVERS)
def test_containers_run_as_non_root(stack, service):
    info = stack.container(service)
    assert info["Config"]["User"] == IMAGE_USER
    exec_uid = stack.compose("exec", "-T", service, "id", "-u").stdout.strip()
    assert exec_uid == IMAGE_USER.split(":")[0]
    top = run(["docker", "top", info["Id"], "-eo", "pid,uid,args"]).stdout.splitlines()[1:]
    assert len(top) >= 2, top  # the server and its workers
    for line in top:  # every process of the container, PID 1 and the workers
        _pid, uid, args = line.split(None, 2)
        assert uid == IMAGE_USER.split(":")[0], f"{service}: {args} runs as uid {uid}"


def test_locust_service_runs_a_scenario_against_both_by_service_name(stack, tmp_path):
    """Master + one worker (the compose `load` profile), headless, a short steady scenario."""
    reports = tmp_path / "reports"
    reports.mkdir()
    reports.chmod(0o777)  # the locust user (uid 10001) writes its reports here
    env = {
        **stack.env,
        "SCENARIO": "steady",
        "LOCUST_HEADLESS": "true",
        "LOCUST_WORKERS": "1",
        "LOAD_ARGS": "--rate 10 --duration 6 --warmup 2",
        "LOAD_REPORT_DIR": str(reports),
    }
    stack.compose("--profile", "load", "up", "--detach", "locust-master", "locust-worker", env=env)
    waited = stack.compose("--profile", "load", "wait", "locust-master", env=env, check=False)
    logs = stack.compose("--profile", "load", "logs", "--no-color", "locust-master", env=env)
    assert waited.returncode == 0, logs.stdout[-3000:]
    assert "exited with status code 0" in waited.stdout + waited.stderr

    stats = {entry["name"]: entry for entry in json.loads((reports / "stats.json").read_text())}
    counts = {name: (e["num_requests"], e["num_failures"]) for name, e in stats.items()}
    print(f"\nlocust in compose (requests, failures): {counts}")
    for service in SERVERS:
        entry = stats[f"{service} classify"]
        assert entry["num_requests"] >= 40, entry["num_requests"]  # ~10 req/s for ~8 s
        assert entry["num_failures"] == 0
    meta = json.loads((reports / "locust_meta.json").read_text())
    assert meta["runner"] == "MasterRunner"
    assert meta["stop_reason"] == "plan complete"
    assert (reports / "report.html").stat().st_size > 0


def test_a_killed_server_container_is_restarted_by_compose(stack, tmp_path):
    """Last in this file: it kills both servers (make compose-crash, tiny). The container's
    main process is SIGKILLed from the host under load; the restart policy brings it back."""
    from loadtests.harness.containers import crash_containers
    from loadtests.reporting.runs import load_run

    before = {s: stack.container(s)["RestartCount"] for s in SERVERS}
    knobs = {"rate": 10, "duration": 50, "warmup": 0}
    urls = {s: stack.url(s) for s in SERVERS}
    report = crash_containers(SERVERS, 1, knobs, root=tmp_path, project=PROJECT, urls=urls)
    for service in SERVERS:
        assert stack.container(service)["RestartCount"] == before[service] + 1, service
        (run_dir,) = (report.parent / "runs").glob(f"{service}-w*-r1")
        s = load_run(run_dir).summary
        assert s.before.failures == 0
        assert sum(s.failed_by_kind.values()) > 0  # the whole server was down for a while
        assert s.recovery_s is not None and s.recovery_s < 50, (service, s.recovery_s)
    assert "container (compose)" in report.read_text()
