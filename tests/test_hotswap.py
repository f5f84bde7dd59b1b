"""shared/hotswap.py: a new CURRENT is served without a restart, a broken one is not."""

import time

from shared import artifact
from shared.hotswap import LivePredictor
from shared.schema import SAMPLE_APPLICATION
from shared.settings import Settings
from shared.training.train import TrainParams, train_and_save


def _wait_for(condition, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_a_promoted_version_is_swapped_in_without_blocking_a_request(tmp_path):
    settings = Settings(model_dir=tmp_path, model_swap_check_s=0.05)
    _, v1 = train_and_save(settings, TrainParams(num_boost_round=30))
    _, v2 = train_and_save(settings, TrainParams(num_boost_round=60), make_current=False)
    live = LivePredictor(settings)
    assert live.get().version == v1["version"]
    artifact.promote(settings, v2["version"])
    time.sleep(0.06)
    assert live.get().version == v1["version"]  # this request does not wait for the load
    assert _wait_for(lambda: live.get().version == v2["version"])
    assert live.swaps == 1 and live.last_error == ""
    assert live.get().predict_one(SAMPLE_APPLICATION).model_version == v2["version"]


def test_a_version_that_does_not_load_is_reported_and_the_old_one_stays(tmp_path):
    settings = Settings(model_dir=tmp_path, model_swap_check_s=0.05)
    _, v1 = train_and_save(settings, TrainParams(num_boost_round=30))
    live = LivePredictor(settings)
    artifact.set_current(tmp_path, "nosuchversion")
    assert _wait_for(lambda: (live.get(), live.last_error)[1] != "")
    assert "ArtifactError" in live.last_error
    assert live.get().version == v1["version"] and live.swaps == 0
