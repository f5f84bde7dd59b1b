"""The ``bentoml`` command with a Prometheus directory of this server's own.

``python -m bento_app.serve_cli <dir> serve ...`` is ``bentoml serve ...`` (what
``bento_app.serve`` execs), except that the server keeps its multiprocess metrics in ``<dir>``.
BentoML 1.4.40 keeps them in ``$BENTOML_HOME/prometheus_multiproc_dir`` and empties that
directory whenever a server starts: a second server on the same home deletes the first one's
files, and the first one's /metrics then reports the second one's counts
(docs/upstream-bentoml-shared-metrics-dir.md). ``metrics_dir`` picks the directory.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def metrics_dir(home: Path, pid: int) -> Path:
    """The Prometheus directory of the server process ``pid``: ``<home>/prometheus/<pid>``.

    One per server, so that servers sharing a BentoML home keep their own /metrics
    (main, below). Directories of processes that no longer run are removed first."""
    import shutil

    root = home / "prometheus"
    if root.is_dir():
        for old in root.iterdir():
            if old.name.isdigit() and int(old.name) != pid and not _running(int(old.name)):
                shutil.rmtree(old, ignore_errors=True)
    return root / str(pid)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        pass
    return True


def main(argv: list[str]) -> int:
    from bentoml._internal.configuration.containers import BentoMLContainer
    from bentoml_cli.cli import cli

    directory, *rest = argv
    # read by ensure_prometheus_dir() when the server starts; the workers get it through
    # PROMETHEUS_MULTIPROC_DIR in their environment, set from the same value
    BentoMLContainer.prometheus_multiproc_dir.set(directory)
    return cli.main(args=rest, prog_name="bentoml", standalone_mode=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
