"""batch: the same application rate on /classify, then on /classify_batch -> batching's effect.

Production-readiness property: efficiency under load. BentoML merges concurrent
/classify_batch requests into one model call (adaptive batching; its batch sizes are read from
/metrics by the runner); Flask scores each request's list on its own.
"""

from loadtests.shapes import PlanShape


class BatchShape(PlanShape):
    scenario = "batch"
