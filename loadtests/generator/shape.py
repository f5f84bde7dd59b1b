"""The one LoadTestShape: plays the plan of the scenario named by ``--scenario``, phase by
phase, and records when each phase really ran.

The plan starts on a whole second of the wall clock and a tick that comes less than
a second or so before a phase's planned start waits for it, so each phase begins within
milliseconds of its planned second (locust ticks about once a second, late by its loop's
jitter). The timeline counts requests by the whole second they started in: a phase begun
mid-second lost a second at its start (a 4-s step with 1 s to settle measured over 2 s, where
k6, counting to the millisecond, measured 3; docs/performance.md, section 3).

Each tick finds the phase for the elapsed time and asks for ``phase.users`` users per target,
all of the user classes whose ``traffic`` the phase names; the phase's real start and end go
into the run's schedule (written to ``--meta-file``), which the reports use to cut the
timeline, and a line into ``--phase-file`` for the harness (a scenario may act on the server
when a phase starts). Knobs are read when the test starts, so the web UI form can change them.
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import Any

import gevent
from locust import LoadTestShape

from loadtests import scenarios
from loadtests.core.phases import Phase, PhaseRun, phase_at, planned_time
from loadtests.generator import hooks, options

log = logging.getLogger(__name__)


class ScenarioShape(LoadTestShape):
    def __init__(self) -> None:
        super().__init__()
        self._phases: list[Phase] | None = None
        self._current: int | None = None
        self._traffic = ""  # the kind of traffic the running users send
        self._origin = 0.0  # wall-clock second the plan began at
        self.scenario: scenarios.Scenario | None = None

    def reset_time(self) -> None:
        super().reset_time()
        self._phases = None  # re-read the knobs at the next tick (web UI restarts)

    @property
    def run(self) -> hooks.RunState:
        return hooks.state(self.runner.environment)

    def _begin(self) -> None:
        parsed = self.runner.environment.parsed_options
        self.scenario = scenarios.get(getattr(parsed, "scenario", "") or "steady")
        knobs = self.scenario.knobs(options.knob_values(parsed))
        self._phases = self.scenario.phases(knobs)
        self._current = None
        self._traffic = ""
        run = self.run
        run.scenario, run.knobs = self.scenario.name, knobs
        run.schedule, run.live, run.stop_reason = [], {}, ""
        log.info("%s: %s", self.scenario.name, self.scenario.describe(knobs))

    def _enter(self, index: int) -> None:
        now = time.time()
        self._close(now)
        entry = PhaseRun.begin(index, self._phases[index], now)
        self.run.schedule.append(entry)
        self._current = index
        log.info(
            "%s: phase %r at %.0f req/s per target", self.scenario.name, entry.label, entry.rate
        )
        if path := options.file_option(self.runner.environment.parsed_options, "phase_file"):
            with Path(path).open("a") as out:
                out.write(json.dumps({"index": index, "label": entry.label, "start": now}) + "\n")

    def _close(self, now: float) -> None:
        schedule = self.run.schedule
        if schedule and schedule[-1].end is None:
            schedule[-1] = schedule[-1].model_copy(update={"end": now})

    def classes_for(self, traffic: str) -> list[type]:
        return [
            c for c in self.runner.environment.user_classes if getattr(c, "traffic", "") == traffic
        ]

    def targets(self) -> list[str]:
        return sorted({c.target for c in self.runner.environment.user_classes})

    def _wait_until(self, wall: float) -> None:
        if (left := wall - time.time()) > 0:
            gevent.sleep(left)

    def _elapsed(self) -> float:
        """Seconds since the plan began, after waiting for a phase boundary that is near."""
        if self._phases is None:
            self._begin()
            self._origin = float(math.ceil(time.time()))
            self._wait_until(self._origin)
            return 0.0
        at = planned_time(self._phases, time.time() - self._origin)
        self._wait_until(self._origin + at)
        return max(at, time.time() - self._origin)

    def tick(self) -> tuple[int, float, list[type]] | None:
        elapsed = self._elapsed()  # begins the plan at the first tick
        index = phase_at(self._phases, elapsed)
        run = self.run
        reason = "plan complete" if index is None else ""
        if not reason:
            reason = self.scenario.stop_reason(run.knobs, run, self.targets())
        if not reason:
            item: Any = self._phases[index]
            classes = self.classes_for(item.traffic)
            if not classes:
                reason = f"no selected user class sends {item.traffic!r} traffic"
        if reason:
            self._close(time.time())
            run.stop_reason = reason
            log.info("%s: stopping (%s)", self.scenario.name, reason)
            return None
        if index != self._current:
            self._enter(index)
        users = item.users * len({c.target for c in classes})
        # locust ramps up AND down by floor(spawn_rate) users per second: make it one step
        rate = float(max(users, self.get_current_user_count(), 1))
        if self._traffic and item.traffic != self._traffic:
            # Locust keeps the running users when only the classes change at the same count:
            # stop them all for one tick (in-flight requests finish), then spawn the new kind.
            self._traffic = ""
            return 0, rate, classes
        self._traffic = item.traffic
        return users, rate, classes
