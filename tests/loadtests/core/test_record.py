"""loadtests.core.record: the typed run record (run.json), complete or refused."""

from __future__ import annotations

import copy
import json

import pytest

from loadtests.core.knobs import Knobs
from loadtests.core.phases import PhaseRun, phase
from loadtests.core.record import RecordError, RunRecord

T0 = 1_800_000_000.0
SHA = "a" * 40
SHA256 = "b" * 64


def schedule(*labels_durations: tuple[str, float]) -> list[dict]:
    out, start = [], T0
    for index, (label, duration) in enumerate(labels_durations):
        begun = PhaseRun.begin(index, phase(label, duration, 10, 2), start)
        out.append(begun.model_copy(update={"end": start + duration}).model_dump())
        start += duration
    return out


def record_data(**over) -> dict:
    """Every field of a run record, filled in (a flask run of the steady scenario)."""
    data = {
        "run_id": "20261125-120000-steady-flask",
        "scenario": "steady",
        "profile": {
            "name": "flask",
            "kind": "flask",
            "label": "Flask + gunicorn",
            "description": "the baseline",
            "workers": None,
            "settings": {},
        },
        "purpose": "comparison run",
        "repeat": 1,
        "repeats": 3,
        "requested_workers": 1,
        "server_runs_before": 0,
        "restarted_before_run": False,
        "date": "2026-11-25T12:00:00+00:00",
        "wall_seconds": 31.5,
        "code": {
            "sha": SHA,
            "dirty": False,
            "server_code_sha256": SHA256,
            "load_code_sha256": "c" * 64,
        },
        "machine": {
            "cpu_model": "Test CPU",
            "cpu_count": 4,
            "cpus_usable": 4,
            "platform": "Linux",
            "python": "3.11.9",
            "taskset": True,
        },
        "versions": {"locust": "2.47.0", "bentoml": "1.4.40"},
        "model": {"version": "v1", "sha256": SHA256, "data_source": "real"},
        "server": {
            "url": "http://127.0.0.1:9696",
            "started_by_run": True,
            "workers": 1,
            "cpus": "0",
            "reported": {"server": "gunicorn"},
        },
        "budget": {
            "server_cpus": "0",
            "locust_cpus": "3",
            "shared": False,
            "statement": "server pinned to CPU 0, locust to CPU 3 with taskset.",
        },
        "knobs": Knobs().model_dump(),
        "plan": "100 req/s for 20 s",
        "schedule": schedule(("warmup", 3), ("hold", 20)),
        "stop_reason": "plan complete",
        "pool": {"size": 100, "source": "real", "data_sha256": SHA256, "split": "test", "seed": 7},
        "load_generator": {
            "tool": "locust 2.47.0",
            "command": "locust -f loadtests/locustfiles/locustfile.py",
            "cpus": "3",
            "processes": 1,
            "cpu_seconds_during_test": 5.0,
            "cpu_seconds_with_startup": 6.0,
            "cpu_percent_of_one_core": 22.0,
            "cpu_warning": False,
            "cpu_samples_percent": [20.0, 24.0],
            "exit_code": 0,
        },
        "host": {
            "load_average_before": [0.1, 0.2, 0.3],
            "load_average_after": [1.1, 0.5, 0.4],
            "cpu_window_seconds": 23.0,
            "other_cpu_seconds": 0.4,
            "other_cpu_percent": 1.7,
            "neighbours_cpu_seconds": {"bento": 0.1},
            "speed_probe_ms": [9.4, 9.8],
            "steal_percent": 0.0,
        },
        "server_cpu": {"seconds": 4.0, "percent_of_one_core": 17.0, "ms_per_request": 1.7},
        "phase_server_cpu": {"warmup": 0.5, "hold": 3.4},
        "server_rss": [[T0 + 2, {"100 master": 50.5, "101 worker": 210.0}]],
        "adaptive_batches": None,
        "events": [{"at": T0 + 5, "phase": "hold", "action": "switch", "detail": "v2"}],
        "extras": {"note": 1},
        "requests": 2300,
    }
    data.update(over)
    return data


def write(tmp_path, data) -> object:
    path = tmp_path / "run.json"
    path.write_text(json.dumps(data))
    return path


def test_a_complete_record_round_trips(tmp_path):
    rec = RunRecord.model_validate(record_data())
    path = rec.write(tmp_path / "runs" / "flask-w1-r1" / "run.json")
    back = RunRecord.read(path)
    assert back == rec
    assert back.model_dump(mode="json") == json.loads(json.dumps(record_data()))
    assert back.profile.name == "flask" and back.schedule[1].label == "hold"


def test_derived_values():
    rec = RunRecord.model_validate(record_data())
    assert rec.workers == 1
    assert (rec.start, rec.end) == (T0, T0 + 23)
    assert [p.label for p in rec.phases()] == ["warmup", "hold"]
    assert rec.phase("hold").start == T0 + 3
    external = RunRecord.model_validate(
        record_data(server={**record_data()["server"], "workers": None})
    )
    assert external.workers == 0


def test_phase_needs_exactly_one_phase_of_that_label():
    rec = RunRecord.model_validate(record_data(schedule=schedule(("step", 1), ("step", 1))))
    with pytest.raises(RecordError, match="expected one 'step' phase, found 2"):
        rec.phase("step")
    with pytest.raises(RecordError, match="expected one 'hold' phase, found 0"):
        rec.phase("hold")
    assert len(rec.phases("step")) == 2


def _without(data: dict, dotted: str) -> dict:
    data = copy.deepcopy(data)
    *parents, last = dotted.split(".")
    node = data
    for key in parents:
        node = node[key]
    del node[last]
    return data


@pytest.mark.parametrize(
    "field",
    ["model", "code.sha", "server.cpus", "server_cpu", "adaptive_batches", "pool.seed", "requests"],
)
def test_a_missing_field_is_refused_naming_it(tmp_path, field):
    path = write(tmp_path, _without(record_data(), field))
    with pytest.raises(RecordError, match=rf"run\.json: {field}: Field required"):
        RunRecord.read(path)


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ("machine", "cpu_model"),
        ("model", "version"),
        ("model", "data_source"),
        ("budget", "statement"),
        ("server", "url"),
        (None, "stop_reason"),
        (None, "run_id"),
    ],
)
def test_a_blank_string_is_refused_naming_the_field(tmp_path, section, key):
    data = record_data()
    (data[section] if section else data)[key] = ""
    field = f"{section}.{key}" if section else key
    with pytest.raises(RecordError, match=rf"{field}: String should have at least 1 character"):
        RunRecord.read(write(tmp_path, data))


def test_a_phase_without_end_is_refused(tmp_path):
    data = record_data()
    data["schedule"][-1]["end"] = None
    with pytest.raises(RecordError, match="a phase in the schedule never ended"):
        RunRecord.read(write(tmp_path, data))


@pytest.mark.parametrize(
    "over",
    [
        {"schedule": []},
        {"repeat": 0},
        {"purpose": "a test"},
        {"surprise": 1},
        {"code": {**record_data()["code"], "sha": "not-a-sha"}},
        {"model": {**record_data()["model"], "sha256": "B" * 64}},
        {"pool": {**record_data()["pool"], "size": 0}},
        {"profile": {**record_data()["profile"], "settings": {"bento_turbo": 1}}},
    ],
)
def test_other_broken_records_are_refused(tmp_path, over):
    with pytest.raises(RecordError):
        RunRecord.read(write(tmp_path, record_data(**over)))


def test_a_file_that_is_no_json_is_a_record_error(tmp_path):
    path = tmp_path / "run.json"
    path.write_text("{not json")
    with pytest.raises(RecordError, match="run.json"):
        RunRecord.read(path)


def test_like_for_like_keys_and_what_may_differ():
    rec = RunRecord.model_validate(record_data())
    same = rec.like_for_like()
    assert set(same) == {
        "model version",
        "knobs",
        "payload pool",
        "server code",
        "load code",
        "CPU model",
        "package versions",
    }
    assert same["model version"] == "v1" and same["server code"] == SHA256
    # another run of the comparison: other profile, repeat, commit, date and numbers
    other = RunRecord.model_validate(
        record_data(
            run_id="other",
            repeat=2,
            date="2026-11-25T12:05:00+00:00",
            requests=10,
            code={**record_data()["code"], "sha": "d" * 40, "dirty": True},
        )
    )
    assert other.like_for_like() == same
    changed = [
        record_data(knobs={**Knobs().model_dump(), "rate": 5.0}),
        record_data(model={**record_data()["model"], "version": "v2"}),
        record_data(pool={**record_data()["pool"], "seed": 8}),
        record_data(machine={**record_data()["machine"], "cpu_model": "Other CPU"}),
        record_data(versions={"locust": "2.48.0", "bentoml": "1.4.40"}),
        record_data(code={**record_data()["code"], "load_code_sha256": "e" * 64}),
        record_data(code={**record_data()["code"], "server_code_sha256": "e" * 64}),
    ]
    for data in changed:
        assert RunRecord.model_validate(data).like_for_like() != same
