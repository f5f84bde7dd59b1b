"""A model swapped in place, without restarting the worker (setting ``model_hot_swap``).

Each worker keeps serving its Predictor and, at most once per ``model_swap_check_s`` (checked
on the request path, a ``stat`` of models/CURRENT), notices when CURRENT names another
version. It then loads and verifies that artifact in a background thread while it keeps
answering with the old one, and swaps the reference in one assignment when the new one is
ready: no process restart, no listening socket handed over, no keep-alive connection closed,
so a rollout (``make promote``) costs the clients nothing but the loading thread's share of
the CPU. A version that fails to load is reported and the old one stays.

Not used when CREDIT_MODEL_VERSION pins the version (a pinned server never changes model).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from shared import artifact
from shared.predictor import Predictor
from shared.settings import Settings

log = logging.getLogger(__name__)


class LivePredictor:
    def __init__(self, settings: Settings, predictor: Predictor | None = None) -> None:
        self.settings = settings
        self.marker = Path(settings.model_dir) / artifact.CURRENT_FILE
        self.interval = settings.model_swap_check_s
        self.current = predictor or Predictor.from_settings(settings)
        self._stamp = self._read_stamp()
        self._next = time.monotonic() + self.interval
        self._loading: threading.Thread | None = None
        self.swaps = 0
        self.last_error = ""

    def _read_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.marker.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_ino

    def get(self) -> Predictor:
        """The Predictor to answer this request with (never blocks on a load)."""
        now = time.monotonic()
        if now >= self._next:
            self._next = now + self.interval
            stamp = self._read_stamp()
            if stamp != self._stamp and (self._loading is None or not self._loading.is_alive()):
                self._stamp = stamp
                self._loading = threading.Thread(target=self._load, daemon=True)
                self._loading.start()
        return self.current

    def _load(self) -> None:
        try:
            version = artifact.current_version(self.settings.model_dir)
            if version is None or version == self.current.version:
                return
            path = artifact.bin_path(self.settings.model_dir, self.settings.model_name, version)
            # verified before unpickling
            self.current = Predictor.from_artifact(path, self.settings.model_cost_ms)
            self.swaps += 1
            log.info("model %s is now served (hot swap)", version)
        except Exception as exc:  # keep serving the old version; say why
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.error("hot swap failed, still serving %s: %s", self.current.version, exc)
