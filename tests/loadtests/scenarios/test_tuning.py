"""loadtests/scenarios/tuning.py: the ladder's plan, its summary and its one-row-per-profile
report, on a hand-made comparison of three profiles."""

from pathlib import Path

import fixtures

from loadtests import scenarios
from loadtests.core import profiles
from loadtests.reporting.report import build_report
from loadtests.reporting.runs import load_comparison
from loadtests.scenarios.tuning import plotted

TUNING = scenarios.get("tuning")
KNOBS = {"rate": 10, "duration": 3, "max_rate": 80, "step_factor": 2, "warmup": 0,
         "fixed_rate": 20, "fixed_duration": 4}  # fmt: skip
# profile -> (p99 ms at the fixed rate, CPU seconds in the fixed phase, which steps held)
CASES = {
    "flask": (5, 0.08, (True, True, True, False)),
    "bento": (200, 0.16, (True, False, False)),
    "bento-tuned": (7, 0.10, (True, True, True, True)),
}


def test_plan_holds_the_fixed_rate_then_steps_up():
    k = TUNING.knobs(KNOBS)
    phases = TUNING.phases(k)
    assert [(p.label, p.rate) for p in phases] == [
        ("fixed", 20), ("step 1", 10), ("step 2", 20), ("step 3", 40), ("step 4", 80),
    ]  # fmt: skip
    assert TUNING.planned_seconds(k) == 4 + 4 * 3
    assert "20 req/s for 4 s, then steps of 3 s from 10" in TUNING.describe(k)
    assert not TUNING.in_all


def _ladder(root: Path) -> Path:
    root = root / "compare-tuning-fixture"
    knobs = TUNING.knobs(KNOBS)
    fixtures.write_comparison(root, TUNING, list(CASES), 1, knobs)
    for n, (name, (p99, cpu_s, held)) in enumerate(CASES.items()):
        schedule = fixtures.schedule_for(TUNING, knobs, fixtures.T0 + 1000 * n, 1 + len(held))
        tl = fixtures.capacity_timeline(name, schedule[1:], held)
        for t in range(int(schedule[0].start), int(schedule[0].end)):
            fixtures.add(tl, t, f"{name} classify", {3: 18, p99: 2})
        rec = fixtures.record(TUNING, profiles.get(name), knobs, schedule, tl)
        rec = rec.model_copy(update={"phase_server_cpu": {"fixed": cpu_s}})
        if name == "bento":  # k6 ran and held nothing (not the same as not run)
            failed = {"offered_rps": 10, "p99_ms": 300, "slo_ok": False}
            rec = rec.model_copy(
                update={"extras": {"k6": {"steps": [failed], "sustained_rps": None}}}
            )
        fixtures.write_run(root, rec, tl)
    return root


def test_summaries_and_the_row_per_profile_report(tmp_path):
    cmp = load_comparison(_ladder(tmp_path))
    flask, bento, tuned = (cmp.summaries(p)[0] for p in ("flask", "bento", "bento-tuned"))
    assert (flask.sustained_rps, bento.sustained_rps, tuned.sustained_rps) == (40, 10, 80)
    assert tuned.capped and not flask.capped
    assert (flask.fixed.p99_ms, bento.fixed.p99_ms) == (5, 200)
    assert flask.cpu_ms_fixed == 1000 * 0.08 / 80  # 4 s x 20 requests
    assert bento.cpu_ms_fixed == 1000 * 0.16 / 80
    text = build_report(cmp.path).read_text()
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines() if " | " in line}
    assert "| 40 | 1.00× | not run (all 1) | – | 5 | 1.00× |" in rows["Flask + gunicorn"]
    assert (
        "| 10 | 0.25× | none (all 1) | DISAGREE (one held none) | 200 | 40.00× |" in rows["BentoML"]
    )
    assert "| ≥ 80 | 2.00× |" in rows["BentoML, tuned"]
    assert "2.000 | 2.00×" in rows["BentoML"]  # CPU per request: 2 ms, twice Flask's 1 ms
    assert (cmp.path / "ladder.png").stat().st_size > 10_000


def test_the_chart_draws_a_never_held_capacity_as_zero_like_the_table():
    assert plotted([None, 242.0, None], 0.0) == [0.0, 242.0, 0.0]  # median 0, as in the table
    assert plotted([None, 5.0], None) == [5.0]  # a missing p99 is left out
