"""Comparison directories written at test time, in the run-directory format of loadtests:

    compare-<scenario>-fixture/
        comparison.json                 the profiles in order (loadtests.reporting.runs)
        runs/<profile>-w<workers>-r<repeat>/
            run.json                    a loadtests.core.record.RunRecord
            timeline.json               loadtests.core.timeline rows (errors, versions)
            stats.json                  locust's --json-file, totals equal to the timeline's

The schedule of every run is the scenario's own plan (``Scenario.phases``) laid end to end
from a whole second, and the requests are placed by hand in whole seconds of those phases
with hand-chosen latencies, so the tests can compare every number of a summary or a report
with values worked out by hand. A phase is measured over its whole seconds after ``settle``
(1 s): a phase of d seconds starting at S is measured over the seconds S+1 .. S+d-1.

steady (2 repeats, 1 worker; warm-up 2 s, hold 6 s at 10 req/s, 10 requests every second)
    latencies per second: flask r1 5x2 4x3 1x10 ms, r2 5x4 4x5 1x20; bento r1 5x6 4x7 1x30,
    r2 5x8 4x9 1x50 with one HTTP 500 per second. Hold (5 measured seconds, 50 requests):
    p50 flask 2/4 -> 3, bento 6/8 -> 7 (2.33x); p99 flask 10/20 -> 15, bento 30/50 -> 40
    (2.67x); errors bento 0/10 % -> 5 %; server CPU per request flask 0.5/0.7, bento 1.0/1.4
    ms; SLO held flask 2 of 2, bento 1 of 2. bento r2 has locust's CPU warning (96 %),
    flask r2 other processes at 35 % of a core (noisy). 80 requests per run.
capacity (1 repeat at 1 and 2 workers; steps of 3 s at 10, 20, 40, 80 req/s, no warm-up)
    a step holds with every request at 5 ms; a failing step has 2 requests per second at
    200 ms (p99 200 > 100). flask w1 holds, holds, holds, fails -> 40; bento w1 holds, fails,
    fails (stopped by the SLO) -> 10; flask w2 holds all four -> ">= 80" (capped); bento w2
    holds, fails, holds, fails -> 40 (the isolated failing step does not end the search).
    Scaling 1 -> 2 workers: flask 2.00x, bento 4.00x. The 2-worker budget shares a core.
spike (1 repeat; baseline 4 s at 10 req/s, spike 4 s at 40, recovery 8 s at 10, no warm-up)
    baseline all 5 ms (threshold max(100, 2 x 5) = 100 ms). Spike, per second: flask 30 at
    50 ms + 10 at 900 ms (p50 50, p99 900, answered 40/s); bento 20 at 80 ms + 20 timeouts
    (10 s, no response; p50 80, p99 10000, errors 50 %, answered 20/s). Recovery seconds
    (from the end of the spike): flask 0-1 at 900 ms, then 5 ms -> recovered after 2 s; bento
    second 0: 5 timeouts + 5 at 900 ms, 1-4 at 900 ms, 5-7 at 5 ms -> 5 s.
bad_input (1 repeat; warm-up 1 s + hold 4 s: 5 seconds of traffic)
    every second: 10 valid applications (200, 4 ms) and one request of each invalid kind
    answered with the fixed code of BAD_CODES: 5 of each kind per run. flask scores 5 of the
    9 kinds (25 of 45 invalid requests, 56 %) and answers json_list with a 500 (5 of 45,
    11 %); bento answers every invalid kind with 400.
batch (1 repeat; 40 applications/s in lists of 4: single 40 req/s, batch 10 req/s, 4 s each
    with 1 s warm-ups) flask /classify 3 ms, /classify_batch 8 ms; bento 6 and 12 ms. bento's
    adaptive batches: 20 model calls for 50 requests (2.5 requests of 4 = 10 applications per
    call); flask formed none.
rollout (1 repeat; warm-up 2 s, then v1 / v2 / v1 again, 10 s each at 10 req/s; switches at
    +12.5 s to v2 and +22.5 s back to v1; 5 ms unless said)
    flask: second 12: 7 v1 + 3 v2 (one at 400 ms), 13: 2 v1 + 8 v2, 14-21 v2 only (only the
    new version after 1.5 s; p99 during 400); second 22: 5 v2 + 5 v1, then v1 (0.5 s). 320
    requests, 0 failed, 224 from v1, 96 from v2.
    bento: second 12: 5 v1 + 5 v2 at 1500 ms, 13: 3 v1, 14-15 nothing sent (longest pause
    2 s), 16-21 v2 (1.5 s; p99 during 1500); second 22: 5 v2 + 3 keep-alive-race failures +
    2 v1, then v1 (0.5 s). 293 requests, 3 failed (all KEEPALIVE_RACE, at the 2nd switch),
    220 from v1, 70 from v2.
three (steady at 1 repeat: flask r1, bento r1, and a third profile "bento-c8" that exists only
    in the records, with latencies 5x4 4x5 1x20): p50 2 / 6 / 4 -> 3.00x and 2.00x.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from loadtests import scenarios
from loadtests.core import profiles
from loadtests.core.knobs import Knobs
from loadtests.core.phases import PhaseRun
from loadtests.core.profiles import ServerProfile
from loadtests.core.record import (
    BatchStats,
    Budget,
    CodeInfo,
    Event,
    HostInfo,
    LoadGenerator,
    MachineInfo,
    ModelInfo,
    PoolInfo,
    RunRecord,
    ServerCpu,
    ServerInfo,
)
from loadtests.core.timeline import Timeline
from loadtests.generator.payloads import INVALID_KINDS
from loadtests.reporting.runs import COMPARISON_FILE
from loadtests.scenarios.rollout import KEEPALIVE_RACE, SWITCH

T0 = 1_800_000_000  # a whole second: phases start on whole seconds
MODEL = "abc123def456"
CPU_MODEL = "Fixture CPU 9000"
V1, V2 = "v1aaaa", "v2bbbb"  # rollout's two model versions
TIMEOUT = "no response (ConnectionTimeout)"

FLASK = profiles.get("flask")
BENTO = profiles.get("bento")
# A third profile that has no TOML file: a record embeds its profile, so a report needs none.
BENTO_C8 = ServerProfile(
    name="bento-c8",
    kind="bento",
    label="BentoML, max concurrency 8",
    description="the landed service with at most 8 requests in flight",
    settings={"bento_max_concurrency": 8},
)

# What each server says about itself (GET /info "serving"), as the real ones do.
REPORTED = {
    "flask": {
        "server": "gunicorn + Flask",
        "worker_class": "sync",
        "threads_per_worker": 1,
        "access_log": False,
        "validation": "none (the course's baseline)",
        "batching": "none: /classify_batch scores each request's list on its own",
    },
    "bento": {
        "server": "bentoml serve (uvicorn)",
        "api_style": "async def (event loop, no thread pool)",
        "max_concurrency": 32,
        "access_log": False,
        "validation": "pydantic, strict, extra=forbid",
        "batching": "adaptive on /classify_batch",
    },
}

# The status code each server answers to each invalid kind in the bad_input fixture.
BAD_CODES: dict[str, dict[str, int]] = {
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


# --- one run ---------------------------------------------------------------------------------


def schedule_for(
    scenario: scenarios.Scenario, knobs: Knobs, start: float, count: int | None = None
) -> list[PhaseRun]:
    """The scenario's plan laid end to end from ``start`` (the first ``count`` phases)."""
    out, now = [], float(start)
    for index, item in enumerate(scenario.phases(knobs)[:count]):
        entry = PhaseRun.begin(index, item, now)
        now += item.duration
        out.append(entry.model_copy(update={"end": now}))
    return out


def add(
    tl: Timeline,
    t: float,
    name: str,
    latencies: Mapping[float, int],
    status: int = 200,
    error: str | None = None,
    version: str | None = MODEL,
) -> None:
    """``latencies`` {ms: count} requests started in the second ``t`` (spread inside it)."""
    n = sum(latencies.values())
    i = 0
    for ms, count in latencies.items():
        for _ in range(count):
            tl.record(name, t + (i + 0.5) / (n + 1), ms, status, error,
                      version if status == 200 else None)  # fmt: skip
            i += 1


def stats_json(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Locust's --json-file entries with the same totals as the timeline rows."""
    by_name: dict[str, dict[str, Any]] = {}
    for r in rows:
        e = by_name.setdefault(
            r["name"],
            {
                "name": r["name"],
                "method": "POST",
                "last_request_timestamp": None,
                "start_time": float(r["t"]),
                "num_requests": 0,
                "num_none_requests": 0,
                "num_failures": 0,
                "total_response_time": 0,
                "max_response_time": 0,
                "min_response_time": None,
                "total_content_length": 0,
                "response_times": {},
                "num_reqs_per_sec": {},
                "num_fail_per_sec": {},
            },
        )
        e["num_requests"] += r["n"]
        e["num_failures"] += r["fail"]
        e["last_request_timestamp"] = float(r["t"]) + 0.9
        e["num_reqs_per_sec"][str(r["t"])] = r["n"]
        e["num_fail_per_sec"][str(r["t"])] = r["fail"]
        for ms, count in r["rt"].items():
            e["response_times"][ms] = e["response_times"].get(ms, 0) + count
            e["total_response_time"] += int(ms) * count
            e["max_response_time"] = max(e["max_response_time"], int(ms))
            low = e["min_response_time"]
            e["min_response_time"] = int(ms) if low is None else min(low, int(ms))
    return list(by_name.values())


def budget(workers: int) -> Budget:
    """The same budget for every profile at one worker count (2 workers share locust's core)."""
    cpus = "0" if workers == 1 else "0,1"
    statement = f"server ({workers} worker(s)) pinned to CPU {cpus}, locust to CPU 1 with taskset"
    if workers > 1:
        statement += "; with 2 usable CPUs the server SHARES CPU 1 with locust"
    return Budget(server_cpus=cpus, locust_cpus="1", shared=workers > 1, statement=statement + ".")


def record(
    scenario: scenarios.Scenario,
    profile: ServerProfile,
    knobs: Knobs,
    schedule: list[PhaseRun],
    tl: Timeline,
    *,
    workers: int = 1,
    repeat: int = 1,
    repeats: int = 1,
    cpu_ms: float = 1.0,
    locust_cpu: float = 30.0,
    cpu_warning: bool = False,
    other_cpu: float = 1.0,
    stop_reason: str = "plan complete",
    adaptive: BatchStats | None = None,
    events: list[Event] | None = None,
    extras: dict[str, Any] | None = None,
) -> RunRecord:
    requests = sum(r["n"] for r in tl.rows())
    wall = schedule[-1].end - schedule[0].start
    run_id = f"{profile.name}-w{workers}-r{repeat}"
    return RunRecord(
        run_id=run_id,
        scenario=scenario.name,
        profile=profile,
        purpose="comparison run",
        repeat=repeat,
        repeats=repeats,
        requested_workers=workers,
        server_runs_before=repeat - 1,
        date=f"2027-01-15T10:{repeat:02d}:{workers:02d}+00:00",
        wall_seconds=wall + 5,
        code=CodeInfo(
            sha="0" * 40, dirty=False, server_code_sha256="c" * 64, load_code_sha256="e" * 64
        ),
        machine=MachineInfo(
            cpu_model=CPU_MODEL,
            cpu_count=2,
            cpus_usable=2,
            platform="Linux-fixture",
            python="3.11.9",
            taskset=True,
        ),
        versions={"locust": "2.47.0", "bentoml": "1.4.40", "flask": "3.1.3", "gunicorn": "23.0.0"},
        model=ModelInfo(version=MODEL, sha256="f" * 64, data_source="real"),
        server=ServerInfo(
            url="http://127.0.0.1:1",
            started_by_run=True,
            workers=profile.workers_for(workers),
            cpus=budget(workers).server_cpus,
            reported={**REPORTED[profile.kind], "workers": profile.workers_for(workers)},
        ),
        budget=budget(workers),
        knobs=knobs.model_dump(),
        plan=scenario.describe(knobs),
        schedule=schedule,
        stop_reason=stop_reason,
        pool=PoolInfo(size=891, source="real", data_sha256="d" * 64, split="test", seed=7),
        load_generator=LoadGenerator(
            tool="locust FastHttpUser",
            command="locust -f loadtests/locustfiles/locustfile.py --headless",
            cpus="1",
            processes=1,
            cpu_seconds_during_test=round(locust_cpu * wall / 100, 2),
            cpu_seconds_with_startup=round(locust_cpu * wall / 100 + 1, 2),
            cpu_percent_of_one_core=locust_cpu,
            cpu_warning=cpu_warning,
            cpu_samples_percent=[locust_cpu],
            exit_code=0,
        ),
        host=HostInfo(
            load_average_before=[0.1, 0.1, 0.1],
            load_average_after=[0.2, 0.1, 0.1],
            cpu_window_seconds=wall,
            other_cpu_seconds=round(other_cpu * wall / 100, 2),
            other_cpu_percent=other_cpu,
            neighbours_cpu_seconds={"idle-neighbour": 0.01},
        ),
        server_cpu=ServerCpu(
            seconds=round(cpu_ms * requests / 1000, 3),
            percent_of_one_core=round(cpu_ms * requests / wall / 10, 1),
            ms_per_request=cpu_ms,
        ),
        adaptive_batches=adaptive,
        events=events or [],
        extras=extras or {},
        requests=requests,
    )


def write_run(root: Path, rec: RunRecord, tl: Timeline) -> Path:
    """runs/<run id>/ with run.json, timeline.json and stats.json."""
    out = root / "runs" / rec.run_id
    rec.write(out / "run.json")
    tl.write(out / "timeline.json")
    (out / "stats.json").write_text(json.dumps(stats_json(tl.rows()), indent=1) + "\n")
    return out


def write_comparison(
    root: Path, scenario: scenarios.Scenario, names: list[str], repeats: int, knobs: Knobs
) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / COMPARISON_FILE).write_text(
        json.dumps(
            {
                "scenario": scenario.name,
                "profiles": names,
                "repeats": repeats,
                "knobs": knobs.model_dump(),
            },
            indent=2,
        )
    )


def _phase_seconds(entry: PhaseRun) -> range:
    return range(int(entry.start), int(entry.end))


# --- the comparisons -------------------------------------------------------------------------

STEADY_LATENCIES = {
    ("flask", 1): {2: 5, 3: 4, 10: 1},
    ("flask", 2): {4: 5, 5: 4, 20: 1},
    ("bento", 1): {6: 5, 7: 4, 30: 1},
    ("bento", 2): {8: 5, 9: 4, 50: 1},
    ("bento-c8", 1): {4: 5, 5: 4, 20: 1},
}
STEADY_CPU_MS = {("flask", 1): 0.5, ("flask", 2): 0.7, ("bento", 1): 1.0, ("bento", 2): 1.4,
                 ("bento-c8", 1): 0.8}  # fmt: skip
STEADY_KNOBS = {"rate": 10, "duration": 6, "warmup": 2}


def _steady(root: Path, runs: list[tuple[ServerProfile, int]], repeats: int) -> Path:
    scenario = scenarios.get("steady")
    knobs = scenario.knobs(STEADY_KNOBS)
    write_comparison(root, scenario, list(dict.fromkeys(p.name for p, _ in runs)), repeats, knobs)
    for n, (profile, repeat) in enumerate(runs):
        schedule = schedule_for(scenario, knobs, T0 + 100 * n)
        failing = profile.name == "bento" and repeat == 2
        tl = Timeline()
        name = f"{profile.name} classify"
        for t in range(int(schedule[0].start), int(schedule[-1].end)):
            latencies = dict(STEADY_LATENCIES[(profile.name, repeat)])
            if failing:  # one of the fastest requests answered with a 500
                fastest = min(latencies)
                latencies[fastest] -= 1
                add(tl, t, name, {fastest: 1}, status=500, error="HTTP 500")
            add(tl, t, name, latencies)
        rec = record(
            scenario, profile, knobs, schedule, tl, repeat=repeat, repeats=repeats,
            cpu_ms=STEADY_CPU_MS[(profile.name, repeat)],
            locust_cpu=96.0 if failing else 30.0, cpu_warning=failing,
            other_cpu=35.0 if (profile.name, repeat) == ("flask", 2) else 1.0,
        )  # fmt: skip
        write_run(root, rec, tl)
    return root


def steady(root: Path) -> Path:
    runs = [(FLASK, 1), (BENTO, 1), (FLASK, 2), (BENTO, 2)]
    return _steady(root / "compare-steady-fixture", runs, 2)


def three(root: Path) -> Path:
    runs = [(FLASK, 1), (BENTO, 1), (BENTO_C8, 1)]
    return _steady(root / "compare-three-fixture", runs, 1)


CAPACITY_KNOBS = {"rate": 10, "duration": 3, "max_rate": 80, "step_factor": 2, "warmup": 0}
CAPACITY_HELD = {  # (profile, workers) -> which steps hold the SLO; the run ends after the last
    ("flask", 1): (True, True, True, False),  # -> 40
    ("bento", 1): (True, False, False),  # -> 10 (stopped: 2 failing steps in a row)
    ("flask", 2): (True, True, True, True),  # never broke: >= 80, a lower bound
    ("bento", 2): (True, False, True, False),  # an isolated failure at 20 -> 40
}


def capacity_timeline(target: str, schedule: list[PhaseRun], held: Iterable[bool]) -> Timeline:
    tl = Timeline()
    for entry, ok in zip(schedule, held, strict=True):
        rate = int(entry.rate)
        for t in _phase_seconds(entry):
            add(tl, t, f"{target} classify", {5: rate} if ok else {5: rate - 2, 200: 2})
    return tl


def capacity(root: Path) -> Path:
    root = root / "compare-capacity-fixture"
    scenario = scenarios.get("capacity")
    knobs = scenario.knobs(CAPACITY_KNOBS)
    write_comparison(root, scenario, ["flask", "bento"], 1, knobs)
    for n, ((name, workers), held) in enumerate(CAPACITY_HELD.items()):
        profile = profiles.get(name)
        schedule = schedule_for(scenario, knobs, T0 + 1000 * n, len(held))
        stopped = len(held) < len(scenario.phases(knobs))
        tl = capacity_timeline(name, schedule, held)
        rec = record(
            scenario, profile, knobs, schedule, tl, workers=workers, cpu_ms=0.9,
            stop_reason="SLO broken in 2 consecutive step(s)" if stopped else "plan complete",
        )  # fmt: skip
        write_run(root, rec, tl)
    return root


SPIKE_KNOBS = {"rate": 10, "duration": 16, "spike_factor": 4, "user_rate": 2, "warmup": 0}


def spike(root: Path) -> Path:
    root = root / "compare-spike-fixture"
    scenario = scenarios.get("spike")
    knobs = scenario.knobs(SPIKE_KNOBS)
    write_comparison(root, scenario, ["flask", "bento"], 1, knobs)
    for n, profile in enumerate((FLASK, BENTO)):
        schedule = schedule_for(scenario, knobs, T0 + 100 * n)
        base, burst, recovery = schedule
        name = f"{profile.name} classify"
        tl = Timeline()
        for t in _phase_seconds(base):
            add(tl, t, name, {5: 10})
        for t in _phase_seconds(burst):
            if profile.name == "flask":
                add(tl, t, name, {50: 30, 900: 10})
            else:
                add(tl, t, name, {80: 20})
                add(tl, t, name, {10_000: 20}, status=0, error=TIMEOUT)
        for i, t in enumerate(_phase_seconds(recovery)):
            if profile.name == "flask":
                add(tl, t, name, {900: 10} if i < 2 else {5: 10})
            elif i == 0:
                add(tl, t, name, {10_000: 5}, status=0, error=TIMEOUT)
                add(tl, t, name, {900: 5})
            else:
                add(tl, t, name, {900: 10} if i < 5 else {5: 10})
        write_run(root, record(scenario, profile, knobs, schedule, tl), tl)
    return root


BAD_INPUT_KNOBS = {"rate": 20, "duration": 4, "warmup": 1}


def _rejection_error(code: int) -> str | None:
    """What the simulated client calls each answer to an invalid application."""
    if 400 <= code < 500:
        return None
    if code == 200:
        return "200: scored an invalid application"
    return f"HTTP {code}: server error on invalid input"


def bad_input(root: Path) -> Path:
    root = root / "compare-bad_input-fixture"
    scenario = scenarios.get("bad_input")
    knobs = scenario.knobs(BAD_INPUT_KNOBS)
    write_comparison(root, scenario, ["flask", "bento"], 1, knobs)
    for n, profile in enumerate((FLASK, BENTO)):
        schedule = schedule_for(scenario, knobs, T0 + 100 * n)
        tl = Timeline()
        for t in range(int(schedule[0].start), int(schedule[-1].end)):
            add(tl, t, f"{profile.name} classify", {4: 10})
            for kind, code in BAD_CODES[profile.name].items():
                add(tl, t, f"{profile.name} invalid {kind}", {3: 1}, status=code,
                    error=_rejection_error(code))  # fmt: skip
        write_run(root, record(scenario, profile, knobs, schedule, tl), tl)
    return root


BATCH_KNOBS = {"rate": 40, "duration": 4, "warmup": 1, "batch_size": 4}
BATCH_LATENCY = {"flask": (3, 8), "bento": (6, 12)}  # /classify, /classify_batch (ms)
BENTO_BATCHES = BatchStats(
    batches=20,
    requests=50,  # 5 x 1 + 5 x 2 + 5 x 3 + 5 x 4
    mean_requests_per_batch=2.5,
    size_buckets={"1": 5, "2": 5, "3-4": 10, ">4": 0},
)


def batch(root: Path) -> Path:
    root = root / "compare-batch-fixture"
    scenario = scenarios.get("batch")
    knobs = scenario.knobs(BATCH_KNOBS)
    write_comparison(root, scenario, ["flask", "bento"], 1, knobs)
    for n, profile in enumerate((FLASK, BENTO)):
        schedule = schedule_for(scenario, knobs, T0 + 100 * n)
        single_ms, batch_ms = BATCH_LATENCY[profile.name]
        tl = Timeline()
        for entry in schedule:
            what = "classify" if entry.traffic == "classify" else "classify_batch"
            ms = single_ms if what == "classify" else batch_ms
            for t in _phase_seconds(entry):
                add(tl, t, f"{profile.name} {what}", {ms: int(entry.rate)})
        adaptive = BENTO_BATCHES if profile.name == "bento" else None
        write_run(root, record(scenario, profile, knobs, schedule, tl, adaptive=adaptive), tl)
    return root


ROLLOUT_KNOBS = {"rate": 10, "duration": 30, "warmup": 2}
SWITCH_AT = (12.5, 22.5)  # seconds after the first phase started


def _rollout_second(target: str, i: int) -> list[tuple[dict[float, int], str | None, int]]:
    """The requests started in second ``i`` of the run: (latencies, version, status)."""
    if i < 12:
        return [({5: 10}, V1, 200)]
    if target == "flask":
        special = {
            12: [({5: 7}, V1, 200), ({5: 2, 400: 1}, V2, 200)],
            13: [({5: 2}, V1, 200), ({5: 8}, V2, 200)],
            22: [({5: 5}, V2, 200), ({5: 5}, V1, 200)],
        }
    else:
        special = {
            12: [({5: 5}, V1, 200), ({1500: 5}, V2, 200)],
            13: [({5: 3}, V1, 200)],
            14: [],
            15: [],
            22: [({5: 5}, V2, 200), ({1: 3}, None, 0), ({5: 2}, V1, 200)],
        }
    if i in special:
        return special[i]
    return [({5: 10}, V2 if i < 22 else V1, 200)]


def rollout(root: Path) -> Path:
    root = root / "compare-rollout-fixture"
    scenario = scenarios.get("rollout")
    knobs = scenario.knobs(ROLLOUT_KNOBS)
    write_comparison(root, scenario, ["flask", "bento"], 1, knobs)
    for n, profile in enumerate((FLASK, BENTO)):
        start = T0 + 100 * n
        schedule = schedule_for(scenario, knobs, start)
        tl = Timeline()
        for i in range(int(schedule[-1].end - start)):
            for latencies, version, status in _rollout_second(profile.name, i):
                add(tl, start + i, f"{profile.name} classify", latencies, status=status,
                    error=None if status == 200 else KEEPALIVE_RACE, version=version)  # fmt: skip
        events = [
            Event(at=start + SWITCH_AT[0], phase="v2", action=SWITCH, detail=V2),
            Event(at=start + SWITCH_AT[1], phase="v1 again", action=SWITCH, detail=V1),
        ]
        extras = {"v1": V1, "v2": V2, "mechanism": f"models/CURRENT ({SWITCH})"}
        rec = record(scenario, profile, knobs, schedule, tl, events=events, extras=extras)
        write_run(root, rec, tl)
    return root


BUILDERS: dict[str, Callable[[Path], Path]] = {
    "steady": steady,
    "capacity": capacity,
    "spike": spike,
    "bad_input": bad_input,
    "batch": batch,
    "rollout": rollout,
    "three": three,
}
