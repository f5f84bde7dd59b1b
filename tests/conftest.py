"""Shared fixtures: one trained artifact per session in a temporary model dir and store.

The environment is pointed at temporary folders before any project module reads its settings
(pytest_configure runs before test modules are imported), so tests never touch models/ or
the user's BentoML store. The data comes from the project's data cache (CI seeds it from
../shared; users get it downloaded and checksum-verified).
"""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="credit-tests-"))
MODEL_DIR = _TMP / "models"
BENTOML_HOME = _TMP / "bentoml"


def pytest_configure(config: pytest.Config) -> None:
    os.environ["CREDIT_MODEL_DIR"] = str(MODEL_DIR)
    os.environ.pop("CREDIT_MODEL_VERSION", None)
    os.environ["BENTOML_HOME"] = str(BENTOML_HOME)
    os.environ["BENTOML_DO_NOT_TRACK"] = "true"
    # a killed run (SIGTERM: a CI time limit, `timeout`) unwinds like Ctrl-C, so the servers
    # tests start in `with` blocks and fixtures are stopped, not left running
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@pytest.fixture(scope="session")
def settings():
    from shared.settings import Settings

    return Settings()


@pytest.fixture(scope="session")
def trained(settings):
    """(path, metadata) of the course model trained once for the whole session; CURRENT."""
    from shared.training.train import TrainParams, train_and_save

    return train_and_save(settings, TrainParams())


@pytest.fixture(scope="session")
def predictor(trained):
    from shared.predictor import Predictor

    return Predictor.from_artifact(trained[0])


@pytest.fixture(scope="session")
def splits(settings):
    from shared.training.data import load_raw
    from shared.training.features import prepare

    return prepare(load_raw(settings).frame)


@pytest.fixture(scope="session")
def test_rows(splits):
    """The test split as the JSON dicts a client sends."""
    from shared.training.features import to_records

    return to_records(splits.test)


@pytest.fixture(scope="session")
def data_source(trained) -> str:
    return trained[1]["data"]["source"]


@pytest.fixture(scope="session")
def imported(trained):
    """The session's artifact imported into the session's BentoML store."""
    from bento_app.import_model import import_artifact

    return import_artifact(trained[0])
