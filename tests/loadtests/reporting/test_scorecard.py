"""loadtests/reporting/scorecard.py: every cell from a summary or a checked fact, with links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadtests.generator.payloads import INVALID_KINDS
from loadtests.reporting import scorecard


def _write(results: Path, name: str, data: dict) -> None:
    (results / name).mkdir(parents=True, exist_ok=True)
    if "when" not in data:  # a comparison's summary (the fuzz report has "when")
        data = {"dates": ["2026-11-25T10:00:00", "2026-11-25T11:00:00"],
                "machine": "cpu, 2 CPUs", **data}  # fmt: skip
    (results / name / "summary.json").write_text(json.dumps(data))


def _medians(**by_profile: dict) -> dict:
    return {"medians": {key.replace("_", "-"): row for key, row in by_profile.items()}}


@pytest.fixture
def results(tmp_path) -> Path:
    r = tmp_path / "results"
    ladder = {
        name: {"sustained_rps": cap, "k6_sustained_rps": cap * 1.1, "cpu_ms_fixed": cpu,
               "fixed.p99_ms": p99}
        for name, cap, cpu, p99 in [
            ("flask_w1", 570, 1.09, 7), ("flask_features_w1", 500, 1.3, 9),
            ("bento_docs_w1", 220, 2.5, 160), ("bento_notrace_w1", 480, 1.2, 12),
            ("flask_2w_w1", 1010, 1.0, 6), ("bento_tuned_2w_w1", 900, 1.2, 10),
        ]
    }  # fmt: skip
    _write(r, "ladder", _medians(**ladder))
    gc = {"gc_full_max_ms": 3.0, "gc_pauses_over_50ms": 0}
    _write(r, "profile", _medians(flask_w1=gc, bento_w1={**gc, "gc_full_max_ms": 240.0,
                                                         "gc_pauses_over_50ms": 9},
                                  bento_tuned_w1=gc))  # fmt: skip
    _write(r, "crossover", {"heavy": {"flask-single": 250.0, "flask-client-batch": 1500.0,
                                      "bento-single": 240.0, "bento-adaptive": 900.0}})  # fmt: skip
    soak = {"rss_growth_pct": 1.5, "rss_end_mb.worker 1": 180.0}
    _write(r, "soak", _medians(flask_tuned_w1=soak, bento_tuned_w1=soak))
    machine = {"cpu_model": "cpu", "cpu_count": 2}
    _write(r, "fuzz", {"when": "2026-11-25T12:00:00", "machine": machine,
                       "flask": {"invalid scored (200)": 41, "5xx": 3},
                       "bento": {"positive cases": 200, "negative cases": 200},
                       "bento_failures": {}})  # fmt: skip
    switch = {"failed": 0, "switches.0.p99_during_ms": 20, "switches.0.p99_steady_ms": 10,
              "switches.1.p99_during_ms": 15, "switches.1.p99_steady_ms": 10}  # fmt: skip
    sighup = {**switch, "failed": 31}
    _write(r, "rollout", _medians(flask_w1=sighup, bento_w1=sighup, flask_swap_w1=switch,
                                  bento_swap_w1=switch))  # fmt: skip
    over = {"overloads.3x.goodput_share": 0.85, "overloads.3x.failed_by_kind.429": 4000,
            "overloads.3x.p99_refused_ms": 4}  # fmt: skip
    slow = {"overloads.3x.goodput_share": 0.4, "overloads.3x.failed_by_kind.client timeout": 90,
            "overloads.3x.failed_by_kind.connection error": 10}  # fmt: skip
    _write(r, "overload", _medians(flask_tuned_w1=slow, bento_tuned_w1=slow, bento_shed_w1=over))
    crash = {"failed_by_kind.connection error": 2, "after.requests": 4000, "recovery_s": 1.5}
    _write(r, "crash", _medians(flask_tuned_w2=crash, bento_tuned_w2=crash))
    _write(r, "hung", _medians(flask_tuned_w1={"hung_status": 0, "hung_seconds": 30.4},
                               bento_tuned_w1={"hung_status": 504, "hung_seconds": 30.0,
                                               "failed_by_kind.HTTP 504": 12}))  # fmt: skip
    scored = {f"outcomes.{k}.200": 10 for k in INVALID_KINDS}
    refused = {f"outcomes.{k}.4xx": 10 for k in INVALID_KINDS}
    _write(r, "bad_input", _medians(flask_w1=scored, bento_notrace_w1=refused))
    hold = {"flask_w1": (2, 6), "bento_w1": (3, 29), "bento_notrace_w1": (2, 8)}
    _write(r, "steady", _medians(**{k: {"hold.p50_ms": a, "hold.p99_ms": b}
                                     for k, (a, b) in hold.items()}))  # fmt: skip
    return r


def test_every_cell_is_a_figure_or_a_checked_fact_with_its_evidence(results, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{scorecard.START}\nold\n{scorecard.END}\nrest\n")
    out = scorecard.build(results, readme)
    text = out.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == len(scorecard.ROWS) + 1  # the header
    for row in rows[1:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 5 and all(cells), row
        assert "](" in cells[4], row  # a link to the evidence
    assert "570 (k6 627); with BentoML's features 500 (k6 550)" in text
    assert "220 (k6 242) as written from the docs → 480 (k6 528) as `make bento` serves it" in text
    assert "85 % goodput, 4,000 refused (p99 4 ms), 0 without an answer" in text
    assert "40 % goodput, 0 refused (p99 none), 100 without an answer" in text
    assert "no response after 30.4 s" in text and "504 after 30.0 s; 12" in text
    assert f"{10 * len(INVALID_KINDS)} of {10 * len(INVALID_KINDS)} invalid scored" in text
    assert "[ladder](ladder/report.md)" in text and "[crossover](crossover/crossover.md)" in text
    assert "400 fuzzed cases, 0 failures" in text
    assert "| 2 / 6 | 3 / 29 as landed → 2 / 8 as served |" in text
    assert "fuzz: 2026-11-25T12:00:00, cpu, 2 CPUs" in text
    # the README gets the headline rows only, its links relative to the README
    new = readme.read_text()
    assert new.startswith("intro\n") and new.endswith("\nrest\n") and "old" not in new
    headline = [r for r in scorecard.ROWS if r.headline]
    table = new.split(scorecard.START)[1].split(scorecard.END)[0]
    assert table.count("\n| ") == len(headline) + 1
    assert "](results/ladder/report.md)" in table


def test_a_missing_report_names_the_target_that_makes_it(results):
    for path in (results / "overload").iterdir():
        path.unlink()
    (results / "overload").rmdir()
    with pytest.raises(scorecard.MissingEvidence, match="make overload"):
        scorecard.build(results, None)


def test_a_lock_entry_without_a_hash_is_refused(tmp_path):
    lock = tmp_path / "r.lock"
    lock.write_text("a==1 \\\n    --hash=sha256:00\n    # via b\nb==2\n    # via x\n")
    with pytest.raises(AssertionError, match="b==2"):
        scorecard.pinned_packages(lock)
    lock.write_text("a==1 \\\n    --hash=sha256:00\nb==2 \\\n    --hash=sha256:11\n")
    assert scorecard.pinned_packages(lock) == 2


def test_code_lines_leave_out_docstrings_comments_and_blanks(tmp_path):
    src = tmp_path / "m.py"
    doc = '"""Doc\n\nmore."""\n\n# c\n'
    src.write_text(doc + 'import os\n\n\ndef f():\n    """One."""\n    return 1  # x\n')
    assert scorecard.code_lines([src]) == 3


def test_a_named_test_must_exist():
    with pytest.raises(AssertionError):
        scorecard.has_test("tests/test_setup.py", "test_that_does_not_exist")


def test_a_capacity_that_never_held_says_so(results, tmp_path):
    """The docs' service breaks the SLO from the ladder's first step: no capacity, and no k6
    check either; the cell says what happened instead of "none (k6 none)"."""
    path = results / "ladder" / "summary.json"
    data = json.loads(path.read_text())
    del data["medians"]["bento-docs-w1"]["sustained_rps"]
    del data["medians"]["bento-docs-w1"]["k6_sustained_rps"]
    path.write_text(json.dumps(data))
    text = scorecard.build(results, None).read_text()
    assert "the SLO broken from the first step as written from the docs" in text
