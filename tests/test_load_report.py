"""The report builder on the small comparison directories in tests/fixtures/load/ (written by
tests/load_fixtures.py; their numbers are worked out by hand there): tables match the inputs,
charts are produced, incomplete or not-like-for-like runs are refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from loadtests.metadata import MetadataError
from loadtests.report import ReportError, build_index, build_report
from loadtests.results import load_run, summarize

FIXTURES = Path(__file__).parent / "fixtures" / "load"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def fixture_dirs(tmp_path):
    """A writable copy of the fixture comparisons (the report is written beside the runs)."""
    for src in FIXTURES.iterdir():
        shutil.copytree(src, tmp_path / src.name)
    return {d.name.split("-")[1]: d for d in tmp_path.iterdir()}


def _row(report: str, label: str) -> list[str]:
    for line in report.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == label:
            return cells[1:]
    raise AssertionError(f"no table row {label!r} in the report")


def _assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000, path


def test_steady_report_numbers_match_the_inputs(fixture_dirs):
    path = build_report(fixture_dirs["steady"])
    report = path.read_text()
    # flask p50 2 and 4 ms, bento 6 and 8: medians 3 and 7
    assert _row(report, "p50 (ms)") == ["3 (2–4)", "7 (6–8)", "2.33×"]
    assert _row(report, "p99 (ms)") == ["15 (10–20)", "40 (30–50)", "2.67×"]
    assert _row(report, "errors (%)") == ["0.00 (0.00–0.00)", "5.00 (0.00–10.00)", "–"]
    assert _row(report, "server CPU per request (ms)")[:2] == [
        "0.600 (0.500–0.700)",
        "1.200 (1.000–1.400)",
    ]
    assert _row(report, "SLO held")[:2] == ["2 of 2", "1 of 2"]
    assert "Fixture CPU, 2 CPUs" in report and "abc123def456" in report
    assert "Load generator CPU warning" in report and "bento-w1-r2" in report
    assert "## Limitations" in report and "Loopback only" in report
    _assert_png(fixture_dirs["steady"] / "timeseries-w1.png")


def test_capacity_report_sustained_rates_and_charts(fixture_dirs):
    report = build_report(fixture_dirs["capacity"]).read_text()
    assert _row(report, "1 worker(s): highest sustained rate (req/s)") == ["40", "10", "0.25×"]
    flask2, bento2, ratio2 = _row(report, "2 worker(s): highest sustained rate (req/s)")
    assert flask2.startswith("≥ 80") and bento2 == "40" and ratio2 == "0.50×"
    assert _row(report, "scaling 1 → 2 workers")[:2] == ["2.00×", "4.00×"]
    assert "shares a core with locust" in report
    for name in ("capacity_curve.png", "capacity_workers.png", "timeseries-w1.png"):
        _assert_png(fixture_dirs["capacity"] / name)


def test_bad_input_counts_per_kind(fixture_dirs):
    report = build_report(fixture_dirs["bad_input"]).read_text()
    assert _row(report, "missing_field") == ["200 4 (100 %)", "4xx 4 (100 %)"]
    assert _row(report, "json_list") == ["5xx 4 (100 %)", "4xx 4 (100 %)"]
    assert _row(report, "non_json") == ["4xx 4 (100 %)", "4xx 4 (100 %)"]
    # flask scores 5 of the 9 invalid kinds, 4 requests each
    assert _row(report, "**invalid applications scored (200)**") == [
        "**20 of 36**",
        "**0 of 36**",
    ]
    _assert_png(fixture_dirs["bad_input"] / "bad_input.png")


def test_index_links_every_scenario(fixture_dirs, tmp_path):
    reports = [build_report(d) for d in fixture_dirs.values()]
    index = build_index(tmp_path / "compare-all-fixture", reports).read_text()
    for name in ("steady", "capacity", "bad_input"):
        assert f"(../compare-{name}-fixture/report.md)" in index
    assert "20 % scored" not in index and "56 % scored, 11 % 5xx" in index  # 20/36, 4/36


def test_summary_totals_agree_with_locust_stats():
    run = load_run(FIXTURES / "compare-steady-fixture" / "runs" / "bento-w1-r2")
    summary = summarize(run)
    assert summary["locust"] == summary["timeline"] == {"requests": 80, "failures": 8}
    assert summary["hold"]["requests"] == 50 and summary["hold"]["failures"] == 5


def _edit(run_json: Path, change) -> None:
    meta = json.loads(run_json.read_text())
    change(meta)
    run_json.write_text(json.dumps(meta))


def test_missing_metadata_is_an_error(fixture_dirs):
    run_json = fixture_dirs["steady"] / "runs" / "flask-w1-r2" / "run.json"
    _edit(run_json, lambda m: m["server"].pop("workers"))
    with pytest.raises(MetadataError, match="server.workers"):
        build_report(fixture_dirs["steady"])


def test_blank_parameter_is_an_error(fixture_dirs):
    run_json = fixture_dirs["steady"] / "runs" / "bento-w1-r1" / "run.json"
    _edit(run_json, lambda m: m["scenario_params"].update(rate=None))
    with pytest.raises(MetadataError, match="blank scenario_params.rate"):
        build_report(fixture_dirs["steady"])


def test_runs_that_are_not_like_for_like_are_refused(fixture_dirs):
    run_json = fixture_dirs["steady"] / "runs" / "bento-w1-r1" / "run.json"
    _edit(run_json, lambda m: m["model"].update(version="another"))
    with pytest.raises(ReportError, match="model.version"):
        build_report(fixture_dirs["steady"])


def test_a_target_without_runs_is_refused(fixture_dirs):
    for run in (fixture_dirs["steady"] / "runs").glob("bento-*"):
        shutil.rmtree(run)
    with pytest.raises(ReportError, match="lacks runs"):
        build_report(fixture_dirs["steady"])
