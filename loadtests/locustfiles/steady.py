"""steady: a fixed arrival rate both servers sustain -> latency percentiles under normal load.

Production-readiness property: latency (and its tail) at a realistic, constant load. Open
workload: many users at a low fixed rate each, so a slow server does not slow the arrivals.
"""

from loadtests.shapes import PlanShape


class SteadyShape(PlanShape):
    scenario = "steady"
