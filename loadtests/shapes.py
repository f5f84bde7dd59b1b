"""LoadTestShape base: runs a plan from loadtests.plans, phase by phase, and records it.

Each tick finds the phase for the elapsed time and asks for ``phase.users`` users per
selected target, all from the user classes whose ``kind`` the phase names; the phase's real
start and end times go into the run's schedule (written to ``--meta-file``), which the
report builder uses to cut the timeline. Parameters come from the scenario arguments
(loadtests.options), read when the test starts, so the web UI form can change them.
"""

from __future__ import annotations

import logging
import time
from typing import Any, ClassVar

from locust import LoadTestShape

from loadtests import hooks, options, plans

log = logging.getLogger(__name__)


class PlanShape(LoadTestShape):
    abstract = True
    scenario: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        self._phases: list[plans.Phase] | None = None
        self._current: int | None = None
        self._kind = ""  # the kind of traffic the running users send
        self.params: plans.Params | None = None

    def reset_time(self) -> None:
        super().reset_time()
        self._phases = None  # re-read the parameters at the next tick (web UI restarts)

    # --- plan --------------------------------------------------------------------------------

    @property
    def run(self) -> hooks.RunState:
        return hooks.state(self.runner.environment)

    def _begin(self) -> None:
        env = self.runner.environment
        self.params = plans.params_for(self.scenario, options.knob_values(env.parsed_options))
        self._phases = plans.plan(self.scenario, self.params)
        self._current = None
        self._kind = ""
        run = self.run
        run.scenario = self.scenario
        run.params = self.params.to_dict()
        run.schedule = []
        run.steps = []
        run.stop_reason = ""
        run.started_at = time.time()
        log.info("%s: %s", self.scenario, plans.describe(self.scenario, self.params))

    def _enter(self, index: int) -> None:
        now = time.time()
        self._close(now)
        phase = self._phases[index]
        self.run.schedule.append({**phase.to_dict(), "index": index, "start": now, "end": None})
        self._current = index
        log.info("%s: phase %r at %.0f req/s per target", self.scenario, phase.label, phase.rate)

    def _close(self, now: float) -> None:
        if self.run.schedule and self.run.schedule[-1]["end"] is None:
            self.run.schedule[-1]["end"] = now

    def classes_for(self, kind: str) -> list[type]:
        return [c for c in self.runner.environment.user_classes if getattr(c, "kind", "") == kind]

    def targets(self) -> list[str]:
        return sorted({c.target for c in self.runner.environment.user_classes})

    def stop_reason(self) -> str:
        """Subclasses may end the run early (capacity: the SLO broke)."""
        return ""

    # --- locust ------------------------------------------------------------------------------

    def tick(self) -> tuple[int, float, list[type]] | None:
        if self._phases is None:
            self._begin()
        index = plans.phase_at(self._phases, self.get_run_time())
        reason = "plan complete" if index is None else self.stop_reason()
        if not reason and index is not None:
            phase = self._phases[index]
            classes = self.classes_for(phase.kind)
            if not classes:
                reason = f"no selected user class sends {phase.kind!r} traffic"
        if reason:
            self._close(time.time())
            self.run.stop_reason = reason
            log.info("%s: stopping (%s)", self.scenario, reason)
            return None
        if index != self._current:
            self._enter(index)
        users = phase.users * len({c.target for c in classes})
        # locust ramps up AND down by floor(spawn_rate) users per second: make it one step
        rate = float(max(users, self.get_current_user_count(), 1))
        if self._kind and phase.kind != self._kind:
            # Locust keeps the running users when only the classes change at the same count:
            # stop them all for one tick (in-flight requests finish), then spawn the new kind.
            self._kind = ""
            return 0, rate, classes
        self._kind = phase.kind
        return users, rate, classes


def tick_safe_copy(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Closed schedule entries only (the running phase has no end yet)."""
    return [e for e in entries if e["end"] is not None]
