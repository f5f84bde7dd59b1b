"""The crash scenario against the compose stack (make compose-crash): for each server container,
under a steady load on its published port, the container's main process is SIGKILLed from the
host; compose's restart policy (`restart: unless-stopped`) restarts it. One comparison report,
like `make crash`'s, in reports/compare-crash-containers-<stamp>/.

The containers run as docker-compose.yml says (2 workers, a 1-CPU limit each, not pinned);
locust is pinned to the last CPU as for any external server, and the budget line says so.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from loadtests import scenarios
from loadtests.core import profiles
from loadtests.harness.budget import external
from loadtests.harness.pool import ensure_pool
from loadtests.harness.runner import REPORTS, RunSpec, execute, stamp
from loadtests.reporting.runs import COMPARISON_FILE
from shared.settings import get_settings

PROJECT = "credit-risk"  # docker-compose.yml's name
HEALTH = {"flask": "/healthz", "bento": "/readyz"}


def container_of(service: str, project: str = PROJECT) -> str:
    out = subprocess.run(
        ["docker", "ps", "--quiet", "--filter", f"label=com.docker.compose.project={project}",
         "--filter", f"label=com.docker.compose.service={service}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    ids = out.stdout.split()
    if len(ids) != 1:
        raise SystemExit(f"expected one running {service} container, found {len(ids)}: "
                         "start the stack with `make compose-up`")  # fmt: skip
    return ids[0]


def url_of(service: str) -> str:
    settings = get_settings()
    port = settings.flask_port if service == "flask" else settings.bento_port
    return f"http://127.0.0.1:{port}"


def wait_healthy(service: str, url: str, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + HEALTH[service], timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise TimeoutError(f"the {service} container is not healthy after {timeout:g} s")


def crash_containers(
    services: Sequence[str],
    repeats: int,
    overrides: dict[str, str],
    root: Path = REPORTS,
    project: str = PROJECT,
    urls: dict[str, str] | None = None,
) -> Path:
    from loadtests.reporting.report import build_report

    scenario = scenarios.get("crash")
    out = root / f"compare-crash-containers-{stamp()}"
    out.mkdir(parents=True)
    base = scenario.knobs({"duration": 45, **overrides})
    chosen = [_container_profile(s) for s in services]
    (out / COMPARISON_FILE).write_text(json.dumps({
        "scenario": scenario.name, "profiles": [p.name for p in chosen], "repeats": repeats,
        "knobs": base.model_dump(),
    }, indent=2))  # fmt: skip
    pool = ensure_pool(out / "pool.json")
    total, done = len(services) * repeats, 0
    for repeat in range(1, repeats + 1):
        for profile in chosen:
            done += 1
            service = profile.name
            url = (urls or {}).get(service) or url_of(service)
            wait_healthy(service, url)
            time.sleep(5)  # past the health check: the workers are up, not only the first one
            container = container_of(service, project)
            workers = int(get_json(url + "/info").get("serving", {}).get("workers", 2))
            spec = RunSpec(
                scenario=scenario,
                profile=profile,
                knobs=scenario.knobs({**base.model_dump(), "container": container}),
                requested_workers=workers,
                budget=external(),
                out_dir=out / "runs" / f"{service}-w{workers}-r{repeat}",
                pool_file=pool,
                title=f"[{done}/{total}] crash of the {service} container, rep {repeat}",
                purpose="comparison run",
                repeat=repeat,
                repeats=repeats,
            )
            execute(spec, None, url, echo=lambda s: print(s, flush=True))
    report = build_report(out)
    print(f"report: {report}", flush=True)
    return report


def _container_profile(service: str) -> profiles.ServerProfile:
    """The service's profile, relabelled: the container runs docker-compose.yml's settings (the
    project's defaults), which the server reports at GET /info and the run records."""
    base = profiles.get(service)
    return base.model_copy(update={
        "label": f"{base.label.split(',')[0]} container (compose)",
        "description": "docker-compose.yml's settings: the project's defaults, 2 workers, 1 CPU",
        "settings": {},
    })  # fmt: skip


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())
