"""loadtests.reporting.markdown: the Markdown forms of the reports."""

from __future__ import annotations

from loadtests.reporting.markdown import bullets, image, table, write


def test_table():
    assert table(["profile", "p99 ms"], [["flask", 12], ("bento", 3.5)]) == [
        "| profile | p99 ms |",
        "|---|---|",
        "| flask | 12 |",
        "| bento | 3.5 |",
    ]
    assert table(["only"], []) == ["| only |", "|---|"]
    assert table(["a"], iter([[None]])) == ["| a |", "|---|", "| None |"]


def test_bullets_and_image():
    assert bullets(["one", "two"]) == ["- one", "- two"]
    assert bullets([]) == []
    assert image("charts/a.png", "latency") == ["![latency](charts/a.png)", ""]


def test_write_ends_the_file_with_exactly_one_newline(tmp_path):
    path = write(tmp_path / "report.md", ["# Title", "", *bullets(["x"]), "", ""])
    assert path == tmp_path / "report.md"
    assert path.read_text() == "# Title\n\n- x\n"
    write(str(tmp_path / "empty.md"), [])
    assert (tmp_path / "empty.md").read_text() == "\n"


def test_publish_copies_the_report_but_not_the_raw_runs(tmp_path):
    from loadtests.reporting.publish import publish

    source = tmp_path / "compare-x"
    (source / "runs" / "flask-w1-r1").mkdir(parents=True)
    for name in ("report.md", "chart.png", "summary.json", "comparison.json"):
        (source / name).write_text(name)
    (source / "runs" / "flask-w1-r1" / "flame.svg").write_text("<svg/>")
    (source / "runs" / "flask-w1-r1" / "run.json").write_text("{}")
    target = publish(source, "x", results=tmp_path / "results")
    kept = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert kept == ["chart.png", "report.md", "runs/flask-w1-r1/flame.svg", "summary.json"]


def test_publish_refuses_a_report_naming_this_machines_paths(tmp_path):
    import pytest

    from loadtests.reporting.publish import publish

    checkout = tmp_path / "checkout"
    source = checkout / "reports" / "compare-x"
    source.mkdir(parents=True)
    (source / "summary.json").write_text("{}")
    (source / "report.md").write_text(f"| gc log dir | {checkout}/reports/compare-x/gc |\n")
    with pytest.raises(SystemExit, match="not publishable"):
        publish(source, "x", results=tmp_path / "results")
    assert not (tmp_path / "results" / "x").exists()
