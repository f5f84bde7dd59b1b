"""What a scenario may do around its run (loadtests.scenarios.base: prepare / act / finish):
reach the server it runs against, record events and facts, and keep what it must undo."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtests.core.profiles import ServerProfile
from loadtests.core.record import Event
from loadtests.harness.servers import Server


@dataclass
class Operator:
    profile: ServerProfile
    out_dir: Path
    server: Server | None = None  # None: an external server (nothing to act on)
    knobs: Any = None  # the run's knobs
    pool_file: Path | None = None  # the payload pool locust used
    generator_cpus: str | None = None  # the cores of the load generator (another may use them)
    extras: dict[str, Any] = field(default_factory=dict)  # facts for the run record
    saved: dict[str, Any] = field(default_factory=dict)  # what finish() restores

    def require_server(self) -> Server:
        if self.server is None:
            raise RuntimeError("this scenario acts on the server: it needs one the run starts")
        return self.server

    @staticmethod
    def event(phase: str, action: str, detail: str = "", at: float | None = None) -> Event:
        return Event(at=at or time.time(), phase=phase, action=action, detail=detail)
