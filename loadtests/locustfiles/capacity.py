"""capacity: stepped arrival rate until the SLO breaks -> the highest sustained rate.

Production-readiness property: capacity, and (run at 1 and 2 server workers) scalability.
A step holds if its p99 <= slo_p99_ms, its errors <= slo_error_pct and at least min_achieved
of its rate was really sent. Each finished step is judged live from the timeline (a few
seconds after it ends, so its requests can complete); the run stops once every target has
``stop_after`` failing steps in a row. The report re-judges every step from the full data.
"""

import time

from loadtests import analysis
from loadtests.shapes import PlanShape

JUDGE_AFTER_S = 3.0  # let a step's last requests complete before judging it live


class CapacityShape(PlanShape):
    scenario = "capacity"

    def stop_reason(self) -> str:
        run, params = self.run, self.params
        now = time.time()
        judged = {(s["index"], s["target"]) for s in run.steps}
        rows = None
        for entry in run.schedule:
            if not entry["measured"] or entry["end"] is None or now - entry["end"] < JUDGE_AFTER_S:
                continue
            for target in self.targets():
                if (entry["index"], target) in judged:
                    continue
                rows = rows if rows is not None else run.timeline.rows()
                result = analysis.phase_result(rows, entry, target, params)
                run.steps.append({"index": entry["index"], "target": target, **result})
        broken = []
        for target in self.targets():
            steps = [s for s in run.steps if s["target"] == target]
            if analysis.consecutive_failures(steps) >= params.stop_after:
                broken.append(target)
        if broken and len(broken) == len(self.targets()):
            return f"SLO broken in {params.stop_after} consecutive steps"
        return ""
