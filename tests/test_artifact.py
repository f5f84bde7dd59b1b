import json
import shutil
import warnings

import pytest

from shared import artifact
from shared.artifact import ArtifactError, VersionMismatchWarning
from shared.settings import Settings


@pytest.fixture
def copy(tmp_path, trained):
    """A private copy of the session artifact (bin + sidecar) to tamper with."""
    path, _ = trained
    target = tmp_path / path.name
    shutil.copy2(path, target)
    shutil.copy2(artifact.sidecar_path(path), artifact.sidecar_path(target))
    return target


def test_round_trip(copy, trained):
    with warnings.catch_warnings():
        warnings.simplefilter("error", VersionMismatchWarning)
        art = artifact.load(copy)
    assert art.version == trained[1]["version"]
    assert hasattr(art.vectorizer, "vocabulary_")
    assert art.booster.num_boosted_rounds() == 175


def test_tampered_pickle_is_refused_before_unpickling(copy, monkeypatch):
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    monkeypatch.setattr(artifact.pickle, "loads", lambda *_: pytest.fail("unpickled!"))
    with pytest.raises(ArtifactError, match="does not match"):
        artifact.load(copy)


def test_missing_sidecar_is_refused(copy):
    artifact.sidecar_path(copy).unlink()
    with pytest.raises(ArtifactError, match="sidecar"):
        artifact.load(copy)


def test_sidecar_for_other_bytes_is_refused(copy):
    side = artifact.sidecar_path(copy)
    meta = json.loads(side.read_text())
    meta["sha256"] = "0" * 64
    side.write_text(json.dumps(meta))
    with pytest.raises(ArtifactError):
        artifact.load(copy)


def test_library_version_mismatch_warns(copy):
    side = artifact.sidecar_path(copy)
    meta = json.loads(side.read_text())
    meta["libraries"]["scikit-learn"] = "0.24.2"
    side.write_text(json.dumps(meta))
    with pytest.warns(VersionMismatchWarning, match=r"scikit-learn trained 0\.24\.2"):
        artifact.load(copy)


def test_python_patch_release_is_not_a_mismatch():
    installed = artifact.installed_versions()
    major, minor, *_ = installed["python"].split(".")
    recorded = {**installed, "python": f"{major}.{minor}.999"}
    assert artifact.version_mismatches(recorded) == {}


def test_resolve_version_needs_a_choice(tmp_path):
    with pytest.raises(ArtifactError, match="make train"):
        artifact.resolve_version(Settings(model_dir=tmp_path))
    artifact.set_current(tmp_path, "abc123")
    assert artifact.resolve_version(Settings(model_dir=tmp_path)) == "abc123"
    assert artifact.resolve_version(Settings(model_dir=tmp_path, model_version="fff")) == "fff"


def test_version_is_a_valid_bentoml_version(trained):
    import re

    assert re.fullmatch(r"[a-z0-9]([-._a-z0-9]*[a-z0-9])?", trained[1]["version"])
