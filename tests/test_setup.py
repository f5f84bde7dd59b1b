"""Set-up from the project's own files: nothing a developer installed by hand may be needed.

Each test runs its commands with PATH cut down to the system directories plus a directory
holding only the base python3.11, so a global uv (or any other tool) cannot help. CI runs the
whole suite that way too (.ci/run); these tests make a plain `make test` check it as well.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from shared.schema import SAMPLE_APPLICATION
from shared.settings import PROJECT_ROOT

SYSTEM_PATH = ("/usr/sbin", "/usr/bin", "/sbin", "/bin")
# What the project's own environment hands to the commands it starts; no outside tool.
PROJECT_ENV_KEYS = ("CREDIT_MODEL_DIR", "CREDIT_MODEL_VERSION", "BENTOML_HOME", "PYTHONPATH")


def clean_path(into: Path) -> str:
    """System directories plus a folder with nothing but the base interpreter."""
    shim = into / "python-only"
    shim.mkdir(exist_ok=True)
    link = shim / "python3.11"
    if not link.exists():
        link.symlink_to(Path(sys._base_executable).resolve())
    return os.pathsep.join([str(shim), *SYSTEM_PATH])


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PROJECT_ENV_KEYS}
    return {**env, "PATH": clean_path(tmp_path), **extra}


def locked_version(package: str, lock: Path = PROJECT_ROOT / "requirements-dev.lock") -> str:
    for line in lock.read_text().splitlines():
        if line.startswith(f"{package}=="):
            return line.split("==", 1)[1].split()[0]
    raise AssertionError(f"{package} is not pinned in {lock.name}")


def test_bentoml_build_finds_the_locked_uv_without_a_global_one(tmp_path):
    """`bentoml build` asks for uv: on PATH, else installed beside BentoML, else it runs
    `pip install uv`. With no global uv it must find the one requirements-dev.lock pins."""
    from importlib.metadata import version

    assert version("uv") == locked_version("uv")  # installed from the lock, with its hashes
    probe = (
        "import json, logging; logging.basicConfig(level=logging.INFO); "
        "from bentoml._internal.configuration import get_uv_command; "
        "print(json.dumps(get_uv_command()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "installing it" not in done.stderr  # BentoML's own `pip install uv` never ran
    command = json.loads(done.stdout.strip().splitlines()[-1])
    assert command == [sys.executable, "-m", "uv"]
    version = subprocess.run(
        [*command, "--version"], env=clean_env(tmp_path), capture_output=True, text=True
    )
    assert version.stdout.split()[1] == locked_version("uv")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _copy_checkout(into: Path) -> Path:
    """The project's files as a fresh clone has them (tracked and new, nothing ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in listed)):
        source = PROJECT_ROOT / name
        if source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    data = PROJECT_ROOT / "data" / "CreditScoring.csv"  # the seeded cache, as in CI
    if data.exists():
        (into / "data").mkdir()
        shutil.copy2(data, into / "data" / data.name)
    return into


def _answer(url: str) -> dict | None:
    try:
        resp = httpx.post(f"{url}/classify", json=SAMPLE_APPLICATION, timeout=5)
    except httpx.HTTPError:
        return None
    return resp.json() if resp.status_code == 200 else None


@pytest.mark.servers
@pytest.mark.slow
def test_make_flask_and_make_bento_started_together_on_a_fresh_clone(tmp_path, predictor):
    """The README's quick start: two terminals, two commands, a fresh clone, no global uv.
    Both set up the same venv and model; one waits for the other, both serve."""
    checkout = _copy_checkout(tmp_path / "clone")
    ports = {"flask": _free_port(), "bento": _free_port()}
    env = clean_env(
        tmp_path,
        HOST="127.0.0.1",
        FLASK_PORT=str(ports["flask"]),
        BENTO_PORT=str(ports["bento"]),
        FLASK_WORKERS="1",
        BENTO_WORKERS="1",
    )
    procs, logs = {}, {}
    try:
        for target in ("flask", "bento"):
            logs[target] = tmp_path / f"make-{target}.log"
            procs[target] = subprocess.Popen(
                ["make", target],
                cwd=checkout,
                env=env,
                stdout=logs[target].open("wb"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        answers: dict[str, dict] = {}
        deadline = time.monotonic() + 600
        while len(answers) < 2 and time.monotonic() < deadline:
            for target, proc in procs.items():
                if target in answers:
                    continue
                assert proc.poll() is None, (
                    f"make {target} exited:\n" + logs[target].read_text()[-3000:]
                )
                if (body := _answer(f"http://127.0.0.1:{ports[target]}")) is not None:
                    answers[target] = body
            time.sleep(1)
        assert len(answers) == 2, {t: logs[t].read_text()[-2000:] for t in procs}
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    expected = predictor.predict_one(SAMPLE_APPLICATION).to_dict()
    assert answers["flask"] == answers["bento"]
    assert answers["flask"]["status"] == expected["status"]
    assert answers["flask"]["default_probability"] == pytest.approx(
        expected["default_probability"], abs=1e-6
    )
    text = "".join(log.read_text() for log in logs.values())
    assert text.count("training the course model") == 1  # the second command waited, then used it
    assert (checkout / ".venv" / "bin" / "uv").exists()
