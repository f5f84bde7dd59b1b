"""Each `bentoml serve` keeps its own Prometheus directory (bento_app.serve_cli): BentoML
1.4.40 empties $BENTOML_HOME/prometheus_multiproc_dir whenever a server starts, which left the
first of two servers on one home reporting the second one's counts at /metrics."""

import os
import subprocess
import sys

import httpx
import pytest

from bento_app.serve import serve_command
from bento_app.serve_cli import metrics_dir
from loadtests.core import profiles
from loadtests.harness.metrics import batch_histogram
from loadtests.harness.servers import running
from shared.schema import SAMPLE_APPLICATION
from shared.settings import Settings


def test_bentoml_still_empties_the_shared_directory_at_start(tmp_path):
    """The upstream behaviour the workaround is for; when this fails, BentoML changed it and
    bento_app.serve_cli may go (docs/upstream-bentoml-shared-metrics-dir.md)."""
    from bentoml.serving import ensure_prometheus_dir

    shared = tmp_path / "prometheus_multiproc_dir"
    shared.mkdir()
    (shared / "histogram_12345.db").write_bytes(b"another server's samples")
    assert ensure_prometheus_dir(str(shared)) == str(shared)
    assert list(shared.iterdir()) == []


def test_metrics_dir_is_per_process_and_prunes_dead_ones(tmp_path):
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = tmp_path / "prometheus" / gone.stdout.strip()
    alive = tmp_path / "prometheus" / str(os.getppid())
    for d in (dead, alive):
        d.mkdir(parents=True)
    mine = metrics_dir(tmp_path, os.getpid())
    assert mine == tmp_path / "prometheus" / str(os.getpid())
    assert not dead.exists() and alive.exists()


def test_serve_command_passes_the_directory():
    argv, _env = serve_command(Settings())
    assert argv[1:3] == ["-m", "bento_app.serve_cli"]
    assert argv[3].endswith(os.path.join("prometheus", str(os.getpid())))
    assert argv[4:6] == ["serve", Settings().bento_service]


@pytest.mark.servers
def test_two_servers_on_one_home_keep_their_own_metrics(imported, tmp_path):
    def batches(client, url, n=0):
        for _ in range(n):
            assert (
                client.post(f"{url}/classify_batch", json=[SAMPLE_APPLICATION]).status_code == 200
            )
        return batch_histogram(client.get(f"{url}/metrics").text)["count"]

    profile = profiles.get("bento-notrace")
    with (
        httpx.Client(timeout=30) as client,
        running(profile, log_path=tmp_path / "first.log", timeout=180) as first,
    ):
        assert batches(client, first.url, 5) == 5
        with running(profile, log_path=tmp_path / "second.log", timeout=180) as second:
            assert batches(client, first.url) == 5  # the second's start left the first's files
            assert batches(client, second.url, 3) == 3
            assert batches(client, first.url, 2) == 7
