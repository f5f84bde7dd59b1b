"""spike: baseline rate, a sudden x N burst, back to baseline -> errors, tail, recovery time.

Production-readiness property: behaviour under overload and recovery afterwards (queueing
into timeouts, or shedding load with fast errors, and how long the tail takes to heal).
"""

from loadtests.shapes import PlanShape


class SpikeShape(PlanShape):
    scenario = "spike"
