"""bad_input: valid applications mixed with invalid ones -> what each server does with garbage.

Production-readiness property: input validation. Each invalid kind has its own stats row;
a clear 4xx is a success, a 5xx a failure, and a 200 that scored an invalid application is
the dangerous failure (a made-up credit decision).
"""

from loadtests.shapes import PlanShape


class BadInputShape(PlanShape):
    scenario = "bad_input"
