"""Serving needs only the model core, shared/*.py: not shared/training, not shared/tools.

What the Flask image and the bento are made from holds no training or tools module, and both
servers import and score the course's sample from a copy of just those files, with
shared.training and shared.tools made unimportable.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shared.schema import SAMPLE_APPLICATION
from shared.settings import PROJECT_ROOT

CORE = {
    f"shared/{name}.py"
    for name in (
        "__init__",
        "settings",
        "artifact",
        "predictor",
        "schema",
        "decision",
        "locks",
        "gcwatch",
        "hotswap",
    )
}
NOT_SERVING = ("shared/training/", "shared/tools/")


def not_serving(paths) -> list[str]:
    return sorted(p for p in paths if p.startswith(NOT_SERVING))


def shared_files(paths) -> set[str]:
    return {p for p in paths if p.startswith("shared/")}


def files_under(root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]


def test_the_training_and_tools_modules_exist():
    """The checks below mean something: there are modules for them to leave out."""
    repo = files_under(PROJECT_ROOT / "shared")
    assert {"training/train.py", "tools/drift_demo.py"} <= set(repo)


def test_the_flask_image_context_holds_the_core_only(trained, settings):
    from deploy.images import flask_context

    staged = flask_context(settings).files  # path in the context -> source; no Docker needed
    assert "flask_app/__init__.py" in staged
    assert not_serving(staged) == []
    assert shared_files(staged) == CORE


def test_the_bento_holds_the_core_only(tmp_path):
    from bentoml._internal.bento.build_config import BentoPathSpec

    from bento_app.build import BENTO_INCLUDE, stage

    staged = files_under(stage("0123456789ab", tmp_path))  # the bento's build context
    assert "bento_app/service.py" in staged
    assert not_serving(staged) == []
    assert shared_files(staged) == CORE
    # The include list itself takes no training/tools file, even from the whole repo.
    spec = BentoPathSpec(BENTO_INCLUDE, [], str(PROJECT_ROOT))
    repo = [f"shared/{p}" for p in files_under(PROJECT_ROOT / "shared")]
    taken = [p for p in repo if spec.includes(p)]
    assert not_serving(taken) == [] and set(taken) == CORE


# Runs in a copy of the served files only, with training and tools blocked on top: it prints
# both servers' answers, what was blocked, and the shared modules it loaded (and from where).
SERVE_WITH_THE_CORE_ONLY = """
import importlib.abc, json, sys

blocked = []

class NotServing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == p or name.startswith(p + ".") for p in ("shared.training", "shared.tools")):
            blocked.append(name)
            raise ModuleNotFoundError(f"{name} is not part of the serving core", name=name)
        return None

sys.meta_path.insert(0, NotServing())

import bento_app.serve  # what the bento image's entry point imports
import shared
from bento_app.service import CreditRiskClassifier
from flask_app import create_app
from starlette.testclient import TestClient

sample = json.loads(sys.argv[1])
flask = create_app().test_client().post("/classify", json=sample)
with TestClient(CreditRiskClassifier.to_asgi()) as client:
    bento = client.post("/classify", json=sample)
print(json.dumps({
    "flask": [flask.status_code, flask.get_json()],
    "bento": [bento.status_code, bento.json()],
    "blocked": blocked,
    "shared": sorted(m for m in sys.modules if m == "shared" or m.startswith("shared.")),
    "from": shared.__file__,
}))
"""


@pytest.mark.slow
def test_both_servers_import_and_score_with_the_core_only(
    imported, trained, predictor, settings, tmp_path
):
    from bento_app.build import stage
    from deploy.images import flask_context

    version = trained[1]["version"]
    served = stage(version, tmp_path / "served")  # the bento's files ...
    for name, source in flask_context(settings).files.items():  # ... and the Flask image's
        if name.endswith(".py"):
            (served / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, served / name)
    assert not_serving(files_under(served)) == []

    env = {**os.environ, "PYTHONPATH": str(served), "CREDIT_MODEL_VERSION": version}
    done = subprocess.run(
        [sys.executable, "-c", SERVE_WITH_THE_CORE_ONLY, json.dumps(SAMPLE_APPLICATION)],
        cwd=served,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    expected = predictor.predict_one(SAMPLE_APPLICATION).to_dict()
    assert result["flask"] == [200, expected]
    assert result["bento"] == [200, expected]
    assert result["blocked"] == []  # nothing even tried to import training or tools
    assert Path(result["from"]).parent == served / "shared"
    assert {f"shared/{m.split('.')[1]}.py" for m in result["shared"] if "." in m} <= CORE
