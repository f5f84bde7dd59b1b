"""Model versions: listing (shared.tools.versions), promotion (shared.artifact.promote), the
BentoML store round trip, the bento's pinned lock.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import bentoml
import httpx
import pytest

from shared import artifact
from shared.artifact import ArtifactError
from shared.schema import SAMPLE_APPLICATION
from shared.settings import Settings
from shared.tools import versions
from shared.training.train import TrainParams, train_and_save


@pytest.fixture
def two_versions(tmp_path):
    settings = Settings(model_dir=tmp_path)
    _, v1 = train_and_save(settings, TrainParams(num_boost_round=40))
    _, v2 = train_and_save(settings, TrainParams(num_boost_round=80, max_depth=4))
    return settings, v1["version"], v2["version"]


def test_listing_shows_both_versions_and_current(two_versions):
    settings, v1, v2 = two_versions
    found = versions.rows(settings)
    assert [r["version"] for r in found] == [v1, v2]
    assert [r["current"] for r in found] == [False, True]
    table = versions.format_table(found)
    assert f"* {v2}" in table and f"  {v1}" in table
    assert "rounds=40" in table and "rounds=80" in table


def test_promote_switches_current_and_refuses_tampered(two_versions):
    settings, v1, v2 = two_versions
    artifact.promote(settings, v1)
    assert artifact.current_version(settings.model_dir) == v1
    path = artifact.bin_path(settings.model_dir, settings.model_name, v2)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ArtifactError):
        artifact.promote(settings, v2)
    assert artifact.current_version(settings.model_dir) == v1  # unchanged
    with pytest.raises(ArtifactError):
        artifact.promote(settings, "nosuchversion")


def test_import_is_idempotent_and_tags_by_version(imported, trained):
    from bento_app.import_model import import_artifact

    again = import_artifact(trained[0])
    assert again.tag == imported.tag
    assert imported.tag.version == trained[1]["version"]
    assert imported.info.labels["data_source"] == trained[1]["data"]["source"]
    assert imported.info.metadata["sha256"] == trained[1]["sha256"]
    assert imported.info.metadata["lib_scikit-learn"] == trained[1]["libraries"]["scikit-learn"]


@pytest.mark.servers
def test_exported_model_reimports_on_a_clean_store_and_serves_identically(
    imported, predictor, tmp_path
):
    from loadtests.core import profiles
    from loadtests.harness.servers import running

    exported = tmp_path / "model.bentomodel"
    bentoml.models.export_model(str(imported.tag), str(exported))
    clean_home, no_models = tmp_path / "clean-bentoml", tmp_path / "no-models"
    no_models.mkdir()
    env = {
        "BENTOML_HOME": str(clean_home),
        "CREDIT_MODEL_DIR": str(no_models),  # nothing on disk: the store is the only source
        "CREDIT_MODEL_VERSION": imported.tag.version,
    }
    bentoml_cli = [sys.executable, "-m", "bentoml"]
    subprocess.run(
        [*bentoml_cli, "models", "import", str(exported)], env={**_env(), **env}, check=True
    )
    listed = subprocess.run(
        [*bentoml_cli, "models", "list", "-o", "json"],
        env={**_env(), **env},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert str(imported.tag) in listed
    bento = profiles.get("bento")
    with running(bento, workers=1, env=env, log_path=tmp_path / "bento.log", timeout=180) as srv:
        resp = httpx.post(f"{srv.url}/classify", json=SAMPLE_APPLICATION, timeout=10)
    assert resp.status_code == 200
    assert resp.json() == predictor.predict_one(SAMPLE_APPLICATION).to_dict()


def _env():
    return dict(os.environ)


def _locked(requirements: str) -> dict[str, str]:
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", requirements, flags=re.M))


def test_bento_lock_pins_the_artifacts_library_versions(trained, imported):
    from bento_app.build import build
    from shared.settings import get_settings

    bento = build(get_settings())
    locked = _locked(Path(bento.path_of("env/python/requirements.txt")).read_text())
    recorded = trained[1]["libraries"]
    assert locked["numpy"] == recorded["numpy"]
    assert locked["scikit-learn"] == recorded["scikit-learn"]
    assert locked["xgboost-cpu"] == recorded["xgboost"]
    pinned = Path(bento.path_of("src/bento_app/model_version.txt")).read_text().strip()
    assert pinned == trained[1]["version"]
    assert bento.info.labels["model_version"] == trained[1]["version"]
    src = Path(bento.path_of("src"))  # and its code is the serving core: no training, no tools
    assert not (src / "shared" / "training").exists() and not (src / "shared" / "tools").exists()
    assert (src / "shared" / "predictor.py").is_file()
