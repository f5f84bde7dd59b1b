"""The comparison reports (loadtests.reporting.report) built from the fixture comparisons: every
number in the tables is the value worked out by hand in tests/loadtests/fixtures.py, the
header says where and how the runs were made, the limitations flag what makes a run less
reliable, and every chart the report names is a real PNG."""

from __future__ import annotations

import json
import re
from pathlib import Path

import fixtures
import pytest

from loadtests.reporting.report import build_index, build_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SCENARIOS = ("steady", "capacity", "spike", "bad_input", "batch", "rollout")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """Every fixture comparison with its report: name -> (directory, report.md text)."""
    root = tmp_path_factory.mktemp("reports")
    out = {}
    for name, builder in fixtures.BUILDERS.items():
        directory = builder(root)
        out[name] = (directory, build_report(directory).read_text())
    return out


def report(built, name: str) -> str:
    return built[name][1]


def tables(text: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """Every Markdown table: (the last text line above it, header cells, rows of cells)."""
    found, above, current = [], "", None
    for line in text.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if current is None:
                current = (above, cells, [])
                found.append(current)
            elif not set(line) <= set("|-"):
                current[2].append(cells)
            continue
        current = None
        if line.strip():
            above = line.strip()
    return found


def table(text: str, first_header: str = "", above: str = "") -> dict[str, list[str]]:
    """The first table whose header starts with ``first_header`` (and that follows a line
    starting with ``above``), as {row label: the other cells}."""
    for line, header, rows in tables(text):
        if header[0] == first_header and line.startswith(above):
            return {row[0]: row[1:] for row in rows}
    raise AssertionError(f"no table {first_header!r} after {above!r}")


def header_of(text: str, first_header: str = "", above: str = "") -> list[str]:
    for line, header, _rows in tables(text):
        if header[0] == first_header and line.startswith(above):
            return header
    raise AssertionError(f"no table {first_header!r} after {above!r}")


def results(text: str) -> dict[str, list[str]]:
    """The first table of the Results section."""
    return table(text, above="Median over repeats")


def section(text: str, title: str) -> str:
    return text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def settings_text(profile) -> str:
    """A profile's settings as the report's Servers table writes them."""
    return ", ".join(f"{k}={v}" for k, v in profile.settings.items()) or "defaults"


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC), path
    assert len(data) > 10_000, (path, len(data))


# --- every report: header, limitations, charts -------------------------------------------------


@pytest.mark.parametrize("name", [*SCENARIOS, "three"])
def test_every_chart_named_in_the_report_is_a_png(built, name):
    directory, text = built[name]
    charts = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", section(text, "Charts"))
    assert charts, name
    for chart in charts:
        assert_png(directory / chart)
    assert set(charts) == {p.name for p in directory.glob("*.png")}  # and no stale chart


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_header_says_where_and_how(built, name):
    directory, text = built[name]
    knobs = json.loads((directory / "comparison.json").read_text())["knobs"]
    assert text.startswith(f"# {name}: Flask + gunicorn vs BentoML\n")
    assert f"- Machine: {fixtures.CPU_MODEL}, 2 CPUs (2 usable), Linux-fixture, Python 3.11.9" in (
        text
    )
    assert "- Versions: locust 2.47.0, bentoml 1.4.40, flask 3.1.3, gunicorn 23.0.0" in text
    assert f"- Model: {fixtures.MODEL} (real data)" in text
    assert "- Payloads: 891 applications, real data, test split, seed 7" in text
    assert "- Code: git 000000000000; sha256 of the servers' code cccccccccccc" in text
    knob_line = next(line for line in text.splitlines() if line.startswith("- Knobs: "))
    written = dict(item.split("=") for item in knob_line.removeprefix("- Knobs: ").split(", "))
    assert set(written) == set(knobs)
    for key, value in knobs.items():
        assert float(written[key]) == pytest.approx(value), key
    servers = table(text, above="Servers (as each reports itself")
    assert set(servers["profile"]) == {"flask", "bento"}
    assert "sync" in servers["worker class"]
    assert "pydantic, strict, extra=forbid" in servers["validation"]


def test_steady_header_plan_and_servers(built):
    text = report(built, "steady")
    assert "- Runs: 2027-01-15T10:01:01+00:00 – 2027-01-15T10:02:01+00:00 (4 runs)" in text
    assert (
        "- Plan: 10 req/s for 6 s; 2 req/s per simulated user; SLO p99 <= 100 ms and errors "
        "<= 0.1 %; clients wait 10 s" in text
    )
    assert (
        "- Knobs: rate=10, duration=6, user_rate=2, warmup=2, settle=1, client_timeout=10, "
        "slo_p99_ms=100, slo_error_pct=0.1, min_achieved=0.95" in text
    )
    servers = table(text, above="Servers (as each reports itself")
    assert servers["workers"] == ["1", "1"]
    assert servers["CPUs"] == ["0", "0"]
    assert servers["profile settings"] == [
        settings_text(fixtures.FLASK),
        settings_text(fixtures.BENTO),
    ]
    assert servers["api style"] == ["–", "async def (event loop, no thread pool)"]
    assert servers["max concurrency"] == ["–", "32"]


def test_limitations_flag_the_locust_cpu_warning_and_noisy_runs(built):
    limits = section(report(built, "steady"), "Limitations")
    assert "Loopback only" in limits
    assert (
        "**Load generator CPU warning** (locust above 90 % CPU) in 1 run(s): bento-w1-r2." in limits
    )
    assert "(host noise, % of one core): flask-w1-r2 35 %." in limits
    assert "2 repeat(s) per server" in limits
    assert "(500 ms)" in limits  # 1 / user_rate
    assert "CPU budget: server (1 worker(s)) pinned to CPU 0, locust to CPU 1" in limits
    assert "SHARES" not in limits  # one worker on its own core


def test_limitations_of_clean_runs_say_so(built):
    limits = section(report(built, "capacity"), "Limitations")
    assert "Locust never hit its CPU warning (90 %) in these runs." in limits
    assert "Other processes used less than 20 % of a core during every run." in limits
    assert "Load generator CPU warning" not in limits and "host noise" not in limits
    # at 2 workers the server shares locust's core, and the report says what that means
    assert "with 2 usable CPUs the server SHARES CPU 1 with locust" in limits
    assert "Where a server SHARES a core with locust" in limits
    assert "1 repeat(s) per server" in limits


def test_unpinned_servers_and_restarts_are_flagged(tmp_path):
    root = fixtures.steady(tmp_path)
    for run_json in (root / "runs").glob("*/run.json"):
        data = json.loads(run_json.read_text())
        data["budget"] = {
            "server_cpus": None,
            "locust_cpus": None,
            "shared": True,
            "statement": "NOT pinned (taskset is not available).",
        }
        data["restarted_before_run"] = run_json.parent.name == "bento-w1-r2"
        data["server"]["reported"]["workers"] = 2  # not what the run started: said so
        run_json.write_text(json.dumps(data))
    text = build_report(root).read_text()
    limits = section(text, "Limitations")
    assert "Servers were NOT pinned: they competed with locust for every core." in limits
    assert "A server had died and was restarted before: bento-w1-r2." in limits
    servers = table(text, above="Servers (as each reports itself")
    assert servers["workers"] == ["1 (the server reports 2)"] * 2


# --- the numbers, scenario by scenario --------------------------------------------------------


def test_steady_numbers_match_the_inputs(built):
    rows = results(report(built, "steady"))
    # p50: flask 2 and 4 ms, bento 6 and 8: medians 3 and 7; p99 10/20 and 30/50
    assert rows["p50 (ms)"] == ["3 (2–4)", "7 (6–8)", "2.33×"]
    assert rows["p95 (ms)"] == ["15 (10–20)", "40 (30–50)", "2.67×"]
    assert rows["p99 (ms)"] == ["15 (10–20)", "40 (30–50)", "2.67×"]
    assert rows["max (ms)"] == ["15 (10–20)", "40 (30–50)", "2.67×"]
    assert rows["offered (req/s)"] == ["10 (10–10)", "10 (10–10)", "1.00×"]
    assert rows["sent (req/s)"] == ["10.0 (10.0–10.0)", "10.0 (10.0–10.0)", "1.00×"]
    # bento r2: one 500 in each second: 9 of 10 answered correctly
    assert rows["answered correctly (req/s, by send time)"] == [
        "10.0 (10.0–10.0)",
        "9.5 (9.0–10.0)",
        "0.95×",
    ]
    assert rows["errors (%)"] == ["0.00 (0.00–0.00)", "5.00 (0.00–10.00)", "–"]
    assert rows["server CPU per request (ms)"] == [
        "0.600 (0.500–0.700)",
        "1.200 (1.000–1.400)",
        "2.00×",
    ]
    assert rows["locust CPU (% of its core)"] == ["30 (30–30)", "63 (30–96)", ""]
    assert rows["other processes' CPU (% of a core)"] == ["18 (1–35)", "1 (1–1)", ""]
    assert rows["SLO held"] == ["2 of 2", "1 of 2", ""]


def test_capacity_sustained_rates_scaling_and_steps(built):
    text = report(built, "capacity")
    rows = results(text)
    assert rows["1 worker(s): highest sustained rate (req/s)"] == ["40", "10", "0.25×"]
    # flask held every step at 2 workers: a lower bound; bento past its isolated failing step
    assert rows["2 worker(s): highest sustained rate (req/s)"] == [
        "≥ 80 (1 of 1 held up to the plan's last step)",
        "40",
        "0.50×",
    ]
    assert rows["scaling 1 → 2 workers"] == ["2.00×", "4.00×", ""]
    one = table(text, "offered req/s", above="Per step at 1 worker(s)")
    assert one == {
        "10": ["5 / 0.00 — held 1/1", "5 / 0.00 — held 1/1"],
        "20": ["5 / 0.00 — held 1/1", "200 / 0.00 — held 0/1"],
        "40": ["5 / 0.00 — held 1/1", "200 / 0.00 — held 0/1"],
        "80": ["200 / 0.00 — held 0/1", "not reached"],  # bento stopped after 2 failing steps
    }
    two = table(text, "offered req/s", above="Per step at 2 worker(s)")
    assert two["20"] == ["5 / 0.00 — held 1/1", "200 / 0.00 — held 0/1"]
    assert two["40"] == ["5 / 0.00 — held 1/1", "5 / 0.00 — held 1/1"]
    assert two["80"] == ["5 / 0.00 — held 1/1", "200 / 0.00 — held 0/1"]
    servers = table(text, above="Servers (as each reports itself")
    assert servers["workers"] == ["1", "2", "1", "2"]
    assert servers["CPUs"] == ["0", "0,1", "0", "0,1"]


def test_spike_numbers_and_recovery(built):
    text = report(built, "spike")
    rows = results(text)
    assert rows["baseline p99 (ms)"] == ["5", "5", "1.00×"]
    assert rows["spike: offered (req/s)"] == ["40", "40", "1.00×"]
    assert rows["spike: answered correctly (req/s, by send time)"] == ["40.0", "20.0", "0.50×"]
    assert rows["spike: p50 (ms)"] == ["50", "80", "1.60×"]
    assert rows["spike: p99 (ms)"] == ["900", "10,000", "11.11×"]
    assert rows["spike: errors (%)"] == ["0.00", "50.00", "–"]
    assert rows["recovery phase: p99 (ms)"] == ["900", "900", "1.00×"]
    assert rows["recovery phase: errors (%)"] == ["0.00", "0.00", "–"]  # second 0 is settle
    assert rows["recovery time after the spike (s)"] == ["2", "5", "2.50×"]
    assert "(≈ 100 ms for Flask + gunicorn's first repeat; computed per run)" in text


def test_spike_without_recovery_says_so(tmp_path):
    root = fixtures.spike(tmp_path)
    run = root / "runs" / "bento-w1-r1"
    recovery = json.loads((run / "run.json").read_text())["schedule"][-1]
    data = json.loads((run / "timeline.json").read_text())
    for row in data["rows"]:  # every second of the recovery phase slow: never healthy again
        if row["t"] >= recovery["start"]:
            row["rt"] = {"900": row["n"]}
    (run / "timeline.json").write_text(json.dumps(data))
    rows = results(build_report(root).read_text())
    assert rows["recovery time after the spike (s)"] == ["2", "not recovered (all 1)", "–"]
    assert rows["baseline p99 (ms)"] == ["5", "5", "1.00×"]


def test_bad_input_counts_per_kind(built):
    text = report(built, "bad_input")
    kinds = table(text, "request kind (all repeats)")
    assert kinds["valid"] == ["200 50 (100 %)", "200 50 (100 %)"]
    assert kinds["missing_field"] == ["200 5 (100 %)", "4xx 5 (100 %)"]
    assert kinds["huge_body"] == ["200 5 (100 %)", "4xx 5 (100 %)"]
    assert kinds["json_list"] == ["5xx 5 (100 %)", "4xx 5 (100 %)"]
    assert kinds["non_json"] == ["4xx 5 (100 %)", "4xx 5 (100 %)"]  # 415
    assert kinds["empty_body"] == ["4xx 5 (100 %)", "4xx 5 (100 %)"]
    # flask scores 5 of the 9 invalid kinds, 5 requests each
    assert kinds["**invalid applications scored (200)**"] == ["**25 of 45**", "**0 of 45**"]
    assert kinds["invalid input answered with 5xx"] == ["5 of 45", "0 of 45"]
    valid = table(text, above="The valid applications of the same runs")
    assert valid["answered correctly (req/s, by send time)"] == ["10.0", "10.0", "1.00×"]
    assert valid["p50 (ms)"] == ["4", "4", "1.00×"]
    assert valid["errors (%)"] == ["0.00", "0.00", "–"]
    assert list(valid) == [
        "answered correctly (req/s, by send time)",
        "p50 (ms)",
        "p99 (ms)",
        "max (ms)",
        "errors (%)",
        "server CPU per request (ms)",
    ]


def test_batch_paths_and_adaptive_batches(built):
    text = report(built, "batch")
    assert header_of(text, above="Median over repeats") == [
        "",
        "Flask + gunicorn /classify",
        "Flask + gunicorn /classify_batch",
        "BentoML /classify",
        "BentoML /classify_batch",
    ]
    rows = results(text)
    assert rows["sent (req/s)"] == ["40.0", "10.0", "40.0", "10.0"]  # 40 applications/s each
    assert rows["p50 (ms)"] == ["3", "8", "6", "12"]
    assert rows["p99 (ms)"] == ["3", "8", "6", "12"]
    assert rows["errors (%)"] == ["0.00"] * 4
    assert "Flask + gunicorn: no adaptive batching (each request's list on its own)." in text
    # 2.5 requests of 4 applications merged per model call: 10 applications per call
    assert (
        "BentoML: adaptive batching on /classify_batch (requests of 4 application(s) each): "
        "20 model calls per run, 10.00 applications per call" in text
    )


def test_rollout_per_switch_and_totals(built):
    text = report(built, "rollout")
    switches = tables(section(text, "Results"))[0][2]
    assert switches == [
        ["Flask + gunicorn (1 worker(s)), repeat 1", "1: → v2bbbb", "100", "0", "1.5 s", "5 ms",
         "400 ms", "400 ms", "0 s"],
        ["Flask + gunicorn (1 worker(s)), repeat 1", "2: → v1aaaa (rollback)", "100", "0",
         "0.5 s", "5 ms", "5 ms", "5 ms", "0 s"],
        ["BentoML (1 worker(s)), repeat 1", "1: → v2bbbb", "73", "0", "1.5 s", "5 ms", "1500 ms",
         "1500 ms", "2 s"],
        ["BentoML (1 worker(s)), repeat 1", "2: → v1aaaa (rollback)", "100",
         "3 (3× no response (HTTPConnectionClosed))", "0.5 s", "5 ms", "5 ms", "5 ms", "0 s"],
    ]  # fmt: skip
    totals = {row[0]: row[1:] for row in tables(section(text, "Results"))[1][2]}
    assert totals["Flask + gunicorn, repeat 1"] == ["320", "0", "v1aaaa: 224, v2bbbb: 96"]
    assert totals["BentoML, repeat 1"] == [
        "293",
        "3 (3× no response (HTTPConnectionClosed))",
        "none (failed): 3, v1aaaa: 220, v2bbbb: 70",
    ]
    assert "`no response (HTTPConnectionClosed)` is the keep-alive race" in text


def test_three_profiles_render_three_columns_and_two_ratios(built):
    directory, text = built["three"]
    assert text.startswith("# steady: Flask + gunicorn vs BentoML vs BentoML, max concurrency 8")
    assert header_of(text, above="Median over repeats") == [
        "",
        "Flask + gunicorn",
        "BentoML",
        "BentoML, max concurrency 8",
        "BentoML ÷ Flask + gunicorn",
        "BentoML, max concurrency 8 ÷ Flask + gunicorn",
    ]
    rows = results(text)
    assert rows["p50 (ms)"] == ["2", "6", "4", "3.00×", "2.00×"]
    assert rows["p99 (ms)"] == ["10", "30", "20", "3.00×", "2.00×"]
    assert rows["server CPU per request (ms)"] == ["0.500", "1.000", "0.800", "2.00×", "1.60×"]
    assert rows["SLO held"] == ["1 of 1", "1 of 1", "1 of 1", "", ""]
    servers = table(text, above="Servers (as each reports itself")
    assert servers["profile"] == ["flask", "bento", "bento-c8"]
    assert servers["profile settings"] == [
        settings_text(fixtures.FLASK),
        settings_text(fixtures.BENTO),
        "bento_max_concurrency=8",
    ]
    assert_png(directory / "timeseries-w1.png")


# --- the index -------------------------------------------------------------------------------


def test_index_links_every_scenario_with_its_headline(built, tmp_path):
    reports = [built[name][0] / "report.md" for name in SCENARIOS]
    # the index sits beside the comparisons, as compare-all writes it
    index_dir = built["steady"][0].parent / "compare-all-fixture"
    text = build_index(index_dir, reports).read_text()
    assert text.startswith("# Flask + gunicorn vs BentoML: all scenarios")
    assert f"- Machine: {fixtures.CPU_MODEL}, 2 CPUs, Linux-fixture" in text
    assert f"- Model: {fixtures.MODEL}; payloads: 891 real test-split applications" in text
    for name in SCENARIOS:
        link = f"(../compare-{name}-fixture/report.md)"
        assert f"[{name}]{link}" in text
        assert (index_dir / ".." / f"compare-{name}-fixture" / "report.md").exists()
    assert header_of(text, "scenario") == [
        "scenario",
        "measure",
        "Flask + gunicorn",
        "BentoML",
        "BentoML ÷ Flask + gunicorn",
    ]
    rows = tables(text)[0][2]
    assert [r[0] for r in rows if r[0]] == [
        f"[{name}](../compare-{name}-fixture/report.md)" for name in SCENARIOS
    ]
    headline = {cells[1]: cells[2:] for cells in rows}
    assert headline["p50 at 10 req/s (ms)"] == ["3 (2–4)", "7 (6–8)", "2.33×"]
    assert headline["p99 at 10 req/s (ms)"] == ["15 (10–20)", "40 (30–50)", "2.67×"]
    assert headline["1 worker(s): highest sustained rate (req/s)"] == ["40", "10", "0.25×"]
    assert headline["2 worker(s): highest sustained rate (req/s)"][0].startswith("≥ 80")
    assert headline["recovery time (s)"] == ["2", "5", "2.50×"]
    # 25 of 45 invalid applications scored, 5 of 45 answered with a 500
    assert headline["invalid applications: 200 (scored) / 5xx"] == [
        "56 % scored, 11 % 5xx",
        "0 % scored, 0 % 5xx",
        "",
    ]
    assert headline["mean adaptive batch (applications per model call)"] == [
        "no batching",
        "10.00",
        "",
    ]
    assert headline["failed requests over both switches"] == ["0", "3", "–"]
    assert headline["longest pause in sending (s)"] == ["0", "2", "–"]
    for name in SCENARIOS:
        assert f"- **{name}**: " in text


# --- the charts' data --------------------------------------------------------------------------


def test_the_latency_chart_pools_each_second_on_its_own(built):
    """A run that started on a whole second has its seconds at 0.5, 1.5, 2.5, ...: each stays
    its own point (round() once merged them in pairs, 1.5 and 2.5 both rounding to 2)."""
    from loadtests.reporting import charts
    from loadtests.reporting.runs import load_run

    directory = built["steady"][0]
    runs = [load_run(directory / "runs" / f"flask-w1-r{r}") for r in (1, 2)]
    pooled = charts.pooled_percentiles(runs, (0.5, 0.99))
    assert pooled["t"] == [i + 0.5 for i in range(8)]  # warm-up 2 s + hold 6 s
    assert charts.series(runs[0]).t == pooled["t"]
    # both repeats' 20 requests of each second pooled (5x2 4x3 1x10 + 5x4 4x5 1x20): the 10th
    # is at 4 ms (9 at 2 and 3 ms), the 20th at 20 ms
    assert pooled[0.5] == [4.0] * 8 and pooled[0.99] == [20.0] * 8


def test_summary_json_carries_the_headline(built):
    import json

    directory, _text = built["steady"]
    data = json.loads((directory / "summary.json").read_text())
    assert data["scenario"] == "steady"
    assert [p["name"] for p in data["profiles"]] == ["flask", "bento"]
    assert data["header"][1:3] == ["Flask + gunicorn", "BentoML"]
    labels = [row[0] for row in data["headline"]]
    assert any(label.startswith("p99 at") for label in labels)
    assert data["repeats"] == 2 and data["machine"].startswith(fixtures.CPU_MODEL)
    # the numbers, median over repeats, for the scorecard (same inputs as the steady table)
    flask, bento = data["medians"]["flask-w1"], data["medians"]["bento-w1"]
    assert flask["hold.p99_ms"] == 15 and bento["hold.p99_ms"] == 40
    assert bento["server_cpu_ms_per_request"] == 1.2
    assert "repeat" not in flask and not any(k.startswith("steps.") for k in flask)


def test_a_capacity_that_never_held_counts_as_zero_in_the_median():
    """3 repeats, 2 broke the SLO from the first step: the median capacity is none (0), not
    the one repeat that held (the docs' service in the ladder of 2026-11-25)."""
    from loadtests.reporting.report import median_over

    flat = [{"sustained_rps": 242.0, "fixed.p99_ms": 5.0}, {"fixed.p99_ms": 7.0}, {}]
    assert median_over(flat, "sustained_rps") == 0.0
    assert median_over(flat, "fixed.p99_ms") == 6.0  # other numbers: the repeats that have them
    assert (
        median_over([{"sustained_rps": 220.0}, {"sustained_rps": 240.0}, {}], "sustained_rps")
        == 220.0
    )
