"""What each side of the load tests imports at import time.

The harness runs locust as a subprocess: importing locust (and with it gevent's monkey
patching and child watcher) in the harness once made gevent reap the locust subprocess
before the harness could. The reports import matplotlib only to draw, and nothing inside
locust may load the model stack.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from shared.settings import PROJECT_ROOT

HEAVY = ("locust", "gevent", "pandas", "matplotlib", "bentoml", "flask", "sklearn", "xgboost")


def _imported(modules: list[str]) -> set[str]:
    """Every module (and its top-level package) loaded by importing ``modules`` afresh."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    return loaded | {name.split(".")[0] for name in loaded}


def test_the_harness_and_the_reports_import_no_locust_gevent_or_model_stack():
    modules = [
        "loadtests.__main__",
        "loadtests.harness.runner",
        "loadtests.harness.compare",
        "loadtests.harness.dashboard",
        "loadtests.reporting.report",
    ]
    loaded = _imported(modules)
    assert set(modules) <= loaded  # they really were imported
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.parametrize(
    "module",
    [
        "loadtests.core.measures",
        "loadtests.core.record",
        "loadtests.generator.payloads",
        "loadtests.generator.checks",
        "loadtests.generator.options",
        "loadtests.scenarios",
    ],
)
def test_what_locust_loads_besides_locust_is_light(module):
    loaded = _imported([module])
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_the_check_sees_a_heavy_import():
    """The same check on a module that does import locust (so it can fail)."""
    assert {"locust", "gevent"} <= _imported(["loadtests.generator.targets"])
