"""The ``bentoml`` command with a Prometheus directory of this server's own.

``python -m bento_app.serve_cli <dir> serve ...`` is ``bentoml serve ...`` (what
``bento_app.serve`` execs), except that the server keeps its multiprocess metrics in ``<dir>``.
BentoML 1.4.40 keeps them in ``$BENTOML_HOME/prometheus_multiproc_dir`` and empties that
directory whenever a server starts: a second server on the same home deletes the first one's
files, and the first one's /metrics then reports the second one's counts
(docs/upstream-bentoml-shared-metrics-dir.md). ``bento_app.serve.metrics_dir`` picks the
directory.
"""

from __future__ import annotations

import sys


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
