"""An exclusive lock between processes, for work two commands may start at the same moment.

`make flask` and `make bento` started together on a fresh clone both find no model and would
both train it (and `make bento` with `make bento-build` would both import it into the BentoML
store, where saving an existing tag raises). With the lock, the second waits for the first and
then finds the work done.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an advisory ``flock`` on ``path`` (created if missing) for the ``with`` block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
