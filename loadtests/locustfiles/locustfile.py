"""The locustfile: one shape that plays any scenario, user classes for every target.

    locust -f loadtests/locustfiles/locustfile.py --scenario spike --pool-file pool.json
    (python -m loadtests run|dashboard builds this command line; targets from LOAD_TARGETS)

Locust loads this file as a top-level module and collects the classes below.
"""

from loadtests.generator import hooks  # noqa: F401  (registers the options and listeners)
from loadtests.generator.shape import ScenarioShape  # noqa: F401
from loadtests.generator.targets import user_classes

globals().update(user_classes())
