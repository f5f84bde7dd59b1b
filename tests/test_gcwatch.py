"""shared/gcwatch.py: freezing after start-up, and the pause recorder used for diagnosis."""

import gc
import json

from shared import gcwatch


def test_freeze_moves_everything_into_the_permanent_generation():
    try:
        frozen = gcwatch.freeze()
        assert frozen == gc.get_freeze_count() > 1000
        assert gc.get_count()[2] == 0
    finally:
        gc.unfreeze()


def test_watch_records_each_collection_by_generation(tmp_path):
    watcher = gcwatch.watch(tmp_path)
    try:
        gc.collect(0)
        gc.collect(2)
        watcher.flush()
    finally:
        gc.callbacks.remove(watcher)
    data = json.loads(watcher.path.read_text())
    assert data["count"][0] >= 1 and data["count"][2] >= 1
    assert data["max_ms"][2] > 0
    full = [n for n in data["notable"] if n[1] == 2]
    assert full and full[0][2] > 0  # [when, generation, ms, collected]


def test_apply_follows_the_settings(tmp_path):
    class Off:
        gc_freeze = False
        gc_log_dir = None

    class On:
        gc_freeze = True
        gc_log_dir = tmp_path

    assert gcwatch.apply(Off()) == {"gc_freeze": False}
    before = list(gc.callbacks)
    try:
        facts = gcwatch.apply(On())
        assert facts["gc_freeze"] and facts["frozen_objects"] > 0
        assert facts["gc_log"] == f"on ({tmp_path.name}/)"
    finally:
        gc.unfreeze()
        gc.callbacks[:] = before
