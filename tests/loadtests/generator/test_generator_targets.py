"""loadtests.generator.targets: one concrete user class per target and traffic kind.

Importing it imports locust, which monkey-patches the process with gevent at once: so it is
only ever imported in a child process here, never inside pytest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from shared.settings import PROJECT_ROOT

SCRIPT = """
import json
from loadtests.generator.targets import class_name, user_classes
made = user_classes()
print(json.dumps({
    "classes": {
        name: {"target": cls.target, "host": cls.host, "abstract": cls.abstract,
               "traffic": cls.traffic, "base": cls.__mro__[1].__name__}
        for name, cls in made.items()
    },
    "explicit": sorted(user_classes({"x-y": "http://h:1"})),
    "name": class_name("bento-tuned", "classify_batch"),
}))
"""

SUFFIX = {"classify": "Classify", "classify_batch": "ClassifyBatch", "bad_input": "BadInput"}


def test_user_classes_are_made_for_every_target_in_load_targets():
    env = {
        **os.environ,
        "LOAD_TARGETS": "flask=http://127.0.0.1:19696,bento-tuned=http://127.0.0.1:13000",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    classes = out["classes"]
    assert sorted(classes) == sorted(
        [
            "FlaskClassify",
            "FlaskClassifyBatch",
            "FlaskBadInput",
            "BentoTunedClassify",
            "BentoTunedClassifyBatch",
            "BentoTunedBadInput",
        ]
    )
    assert classes["BentoTunedClassifyBatch"] == {
        "target": "bento-tuned",
        "host": "http://127.0.0.1:13000",
        "abstract": False,
        "traffic": "classify_batch",
        "base": "ClassifyBatchUser",
    }
    for name, cls in classes.items():
        assert not cls["abstract"]
        assert cls["host"] == (
            "http://127.0.0.1:19696" if name.startswith("Flask") else "http://127.0.0.1:13000"
        )
        assert name.endswith(SUFFIX[cls["traffic"]])
    assert out["explicit"] == ["XYBadInput", "XYClassify", "XYClassifyBatch"]
    assert out["name"] == "BentoTunedClassifyBatch"
