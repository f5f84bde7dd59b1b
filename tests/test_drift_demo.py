"""make drift-demo, for real: side virtualenvs with other library versions load the pickle."""

import json

import pytest

from shared.tools import drift_demo

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(trained, tmp_path_factory):
    out = tmp_path_factory.mktemp("drift")
    drift_demo.main(["--out", str(out)])
    return json.loads((out / "drift-report.json").read_text()), (out / "drift-report.md")


def test_every_environment_ran_and_the_reference_is_exact(report):
    data, markdown = report
    names = [r["name"] for r in data["results"]]
    assert names == ["repo lock", *(e.name for e in drift_demo.ENVIRONMENTS)]
    reference = data["results"][0]
    assert reference["diff"] == {"max_abs_diff": 0.0, "decisions_changed": 0}
    assert reference["guard"]["warnings"] == [] and reference["course"]["warnings"] == []
    text = markdown.read_text()
    assert "| course-era" in text and "max abs Δ probability" in text


def test_drifted_environments_differ_and_the_guard_names_the_library(report):
    data, _ = report
    by_name = {r["name"]: r for r in data["results"]}
    for name, library in (("older-scikit-learn", "scikit-learn"), ("older-xgboost", "xgboost")):
        row = by_name[name]
        assert row["versions"][library] != data["artifact"]["libraries"][library]
        assert list(row["guard"]["mismatches"]) == [library]
        assert row["guard"]["error"] is None
    assert any(
        "InconsistentVersionWarning" in w
        for w in by_name["older-scikit-learn"]["course"]["warnings"]
    )


def test_the_bento_lock_is_the_artifacts_environment(report):
    data, _ = report
    assert data["bento_matches"] is True
