"""Writes the small comparison directories under tests/fixtures/load/ (run once, committed).

    PYTHONPATH=. python tests/load_fixtures.py

Hand-chosen numbers, so tests can check the report against values worked out by hand:
- compare-steady-fixture: 2 repeats per server; per second 10 requests (hold: 5 seconds).
  flask r1 latencies 5x2 ms, 4x3 ms, 1x10 ms; r2 5x4, 4x5, 1x20; bento r1 5x6, 4x7, 1x30;
  r2 5x8, 4x9, 1x50 and one HTTP 500 per second (10 % errors). Server CPU per request:
  flask 0.5 / 0.7 ms, bento 1.0 / 1.4 ms.
- compare-capacity-fixture: 1 repeat per server at 1 and 2 workers, steps of 3 s at 10, 20,
  40, 80 req/s; a failing step has 2 requests at 200 ms per second. Highest sustained:
  flask 40 (w1) and >= 80 (w2), bento 10 (w1) and 40 (w2, past an isolated failing step).
- compare-bad_input-fixture: 1 repeat per server, fixed status codes per request kind.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from loadtests.payloads import INVALID_KINDS

ROOT = Path(__file__).parent / "fixtures" / "load"
T0 = 1_800_000_000.0


def params(**over: Any) -> dict[str, Any]:
    base = {
        "rate": 10.0,
        "duration": 6.0,
        "user_rate": 2.0,
        "warmup": 2.0,
        "settle": 1.0,
        "max_rate": 80.0,
        "step_factor": 2.0,
        "stop_after": 2,
        "spike_factor": 8.0,
        "batch_size": 1,
        "invalid_share": 0.5,
        "slo_p99_ms": 100.0,
        "slo_error_pct": 0.1,
        "min_achieved": 0.95,
    }
    return {**base, **over}


def phase(label: str, start: float, duration: float, rate: float, kind: str, index: int,
          measured: bool = True) -> dict[str, Any]:  # fmt: skip
    return {
        "label": label,
        "duration": duration,
        "users": int(rate / 2),
        "user_rate": 2.0,
        "kind": kind,
        "measured": measured,
        "items_per_request": 1,
        "rate": rate,
        "index": index,
        "start": start,
        "end": start + duration,
    }


def run_json(scenario: str, target: str, workers: int, repeat: int, repeats: int,
             schedule: list[dict], prm: dict, requests: int, cpu_ms: float) -> dict:  # fmt: skip
    server = {
        "target": target,
        "url": "http://127.0.0.1:1",
        "started_by_run": True,
        "workers": workers,
        "cpus": "0" if workers == 1 else "0,1",
        "validation": "none (baseline)" if target == "flask" else "pydantic",
        "batching": "none" if target == "flask" else "/classify_batch adaptive",
        "access_log": False,
    }
    if target == "flask":
        server.update(worker_class="sync", threads_per_worker=1)
    else:
        server.update(api_style="async def")
    shared = workers > 1
    return {
        "run_id": f"{target}-w{workers}-r{repeat}",
        "scenario": scenario,
        "target": target,
        "kind": "comparison run",
        "repeat": repeat,
        "repeats": repeats,
        "date": f"2027-01-15T10:{repeat:02d}:00+00:00",
        "wall_seconds": 20.0,
        "git": {
            "sha": "0" * 40,
            "dirty": False,
            "server_code_sha256": "c" * 64,
            "load_code_sha256": "e" * 64,
        },
        "machine": {
            "cpu_model": "Fixture CPU",
            "cpu_count": 2,
            "cpus_usable": 2,
            "platform": "Linux-fixture",
            "python": "3.11.7",
            "taskset": True,
        },
        "versions": {"locust": "2.47.0", "bentoml": "1.4.40", "flask": "3.1.3", "gunicorn": "27"},
        "model": {"version": "abc123def456", "sha256": "f" * 64, "data_source": "real"},
        "server": server,
        "budget": {
            "server_cpus": server["cpus"],
            "locust_cpus": "1",
            "shared": shared,
            "statement": f"fixture budget, {workers} worker(s)" + (", shared" if shared else ""),
        },
        "scenario_params": prm,
        "plan": f"fixture {scenario} plan",
        "schedule": schedule,
        "stop_reason": "plan complete",
        "pool": {
            "size": 891,
            "source": "real",
            "data_sha256": "d" * 64,
            "split": "test",
            "seed": 7,
        },
        "load_generator": {
            "tool": "locust FastHttpUser",
            "command": "locust ...",
            "cpus": "1",
            "processes": 1,
            "client_timeout_s": 10.0,
            "cpu_seconds_during_test": 1.0,
            "cpu_percent_of_one_core": 10.0 + repeat,
            "cpu_warning": target == "bento" and repeat == 2,
            "cpu_samples_percent": [],
            "exit_code": 0,
        },
        "host": {
            "load_average_before": [0.1, 0.1, 0.1],
            "load_average_after": [0.2, 0.1, 0.1],
            "cpu_window_seconds": 10.0,
            "other_processes_cpu_seconds": 0.1,
            "other_processes_cpu_percent_of_one_core": 1.0,
            "idle_neighbour_server_cpu_seconds": {"other": 0.01},
        },
        "server_cpu": {"seconds": 1.0, "percent_of_one_core": 10.0, "ms_per_request": cpu_ms},
        "bento_batches": "not applicable (Flask has no batching)",
        "requests": requests,
    }


def row(t: int, name: str, rt: dict[int, int], codes: dict[int, int], fail: int = 0) -> dict:
    return {
        "t": t,
        "name": name,
        "n": sum(rt.values()),
        "fail": fail,
        "codes": {str(k): v for k, v in codes.items()},
        "rt": {str(k): v for k, v in rt.items()},
    }


def stats_json(rows: list[dict]) -> list[dict]:
    by_name: dict[str, dict] = {}
    for r in rows:
        entry = by_name.setdefault(
            r["name"], {"name": r["name"], "method": "POST", "num_requests": 0, "num_failures": 0}
        )
        entry["num_requests"] += r["n"]
        entry["num_failures"] += r["fail"]
    return list(by_name.values())


def write_run(directory: Path, meta: dict, rows: list[dict]) -> None:
    directory.mkdir(parents=True)
    (directory / "run.json").write_text(json.dumps(meta, indent=1) + "\n")
    (directory / "timeline.json").write_text(json.dumps({"interval_s": 1, "rows": rows}) + "\n")
    (directory / "stats.json").write_text(json.dumps(stats_json(rows), indent=1) + "\n")


def steady(root: Path) -> None:
    prm = params()
    latencies = {
        ("flask", 1): {2: 5, 3: 4, 10: 1},
        ("flask", 2): {4: 5, 5: 4, 20: 1},
        ("bento", 1): {6: 5, 7: 4, 30: 1},
        ("bento", 2): {8: 5, 9: 4, 50: 1},
    }
    cpu = {("flask", 1): 0.5, ("flask", 2): 0.7, ("bento", 1): 1.0, ("bento", 2): 1.4}
    for (target, repeat), rt in latencies.items():
        start = T0 + 100 * repeat + (50 if target == "bento" else 0)
        schedule = [
            phase("warmup", start, 2.0, 10.0, "classify", 0, measured=False),
            phase("hold", start + 2.0, 6.0, 10.0, "classify", 1),
        ]
        failing = target == "bento" and repeat == 2
        rows = []
        for t in range(int(start), int(start) + 8):
            codes = {200: 9, 500: 1} if failing else {200: 10}
            rows.append(row(t, f"{target} classify", rt, codes, fail=1 if failing else 0))
        meta = run_json("steady", target, 1, repeat, 2, schedule, prm, 80, cpu[(target, repeat)])
        write_run(root / "runs" / f"{target}-w1-r{repeat}", meta, rows)


def capacity(root: Path) -> None:
    prm = params(rate=10.0, duration=3.0, max_rate=80.0, step_factor=2.0, warmup=0.0)
    rates = (10, 20, 40, 80)
    held = {  # which steps hold the SLO (a run stops after 2 failing steps in a row)
        ("flask", 1): (True, True, True, False),  # -> 40
        ("bento", 1): (True, False, False),  # -> 10
        ("flask", 2): (True, True, True, True),  # never breaks: >= 80, a lower bound
        ("bento", 2): (True, False, True, False),  # an isolated failure at 20 -> 40
    }
    for (target, workers), oks in held.items():
        start = T0 + 1000 * workers + (500 if target == "bento" else 0)
        schedule, rows = [], []
        for i, (rate, ok) in enumerate(zip(rates[: len(oks)], oks, strict=True)):
            begin = start + 3.0 * i
            schedule.append(phase(f"step {i + 1}", begin, 3.0, float(rate), "classify", i))
            for t in range(int(begin), int(begin) + 3):
                rt = {5: rate} if ok else {5: rate - 2, 200: 2}
                rows.append(row(t, f"{target} classify", rt, {200: rate}))
        stop = "SLO broken in 2 consecutive steps" if len(oks) < len(rates) else "plan complete"
        meta = run_json("capacity", target, workers, 1, 1, schedule, prm, 450, 0.9)
        meta["stop_reason"] = stop
        write_run(root / "runs" / f"{target}-w{workers}-r1", meta, rows)


# Per invalid kind: the status codes each server gives (4 requests of each kind).
BAD_CODES = {
    "flask": {
        "missing_field": 200,
        "wrong_type": 200,
        "unknown_category": 200,
        "negative_amount": 200,
        "json_list": 500,
        "malformed_json": 400,
        "non_json": 415,
        "empty_body": 400,
        "huge_body": 200,
    },
    "bento": dict.fromkeys(INVALID_KINDS, 400),
}


def bad_input(root: Path) -> None:
    prm = params(rate=20.0, duration=4.0, warmup=1.0)
    for target, codes in BAD_CODES.items():
        start = T0 + 5000 + (100 if target == "bento" else 0)
        schedule = [
            phase("warmup", start, 1.0, 20.0, "bad_input", 0, measured=False),
            phase("hold", start + 1.0, 4.0, 20.0, "bad_input", 1),
        ]
        t = int(start) + 2
        rows = [row(t, f"{target} classify", {4: 10}, {200: 10})]
        for kind, code in codes.items():
            fail = 0 if 400 <= code < 500 else 4
            rows.append(row(t, f"{target} invalid {kind}", {3: 4}, {code: 4}, fail=fail))
        meta = run_json("bad_input", target, 1, 1, 1, schedule, prm, 46, 1.0)
        write_run(root / "runs" / f"{target}-w1-r1", meta, rows)


def main() -> None:
    for name, writer in (("steady", steady), ("capacity", capacity), ("bad_input", bad_input)):
        target = ROOT / f"compare-{name}-fixture"
        shutil.rmtree(target, ignore_errors=True)
        writer(target)
        print(target)


if __name__ == "__main__":
    main()
