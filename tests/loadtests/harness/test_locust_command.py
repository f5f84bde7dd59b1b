"""loadtests.harness.locust_command: locust's command line, one place for every mode."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from loadtests import scenarios
from loadtests.generator import options
from loadtests.harness.locust_command import LOCUSTFILE, locust_argv, option_args


def test_the_locustfile_exists():
    assert LOCUSTFILE.is_file()


def test_option_args_formats_floats_without_trailing_zeros():
    assert option_args({"spike_factor": 4.0, "rate": 0.5, "batch_size": 3, "x_y": "a"}) == [
        "--spike-factor", "4", "--rate", "0.5", "--batch-size", "3", "--x-y", "a",
    ]  # fmt: skip
    assert option_args({"rate": 1e-05}) == ["--rate", "1e-05"]
    assert option_args({"rate": 1234567.0}) == ["--rate", "1234567"]


def test_option_args_keeps_floats_exact():
    for value in (100 / 3, 0.1 + 0.2, 1234567.5, 2.0**60, 1e-7):
        assert float(option_args({"rate": value})[1]) == value
    assert option_args({}) == []


def test_locust_argv_with_everything():
    argv = locust_argv(
        pool=Path("/r/pool.json"),
        scenario="spike",
        knobs={"spike_factor": 4.0},
        files={"timeline_file": Path("/r/timeline.json"), "meta_file": Path("/r/meta.json")},
        processes=2,
        cpus="3",
        extra=["--headless"],
    )
    locust = str(Path(sys.executable).parent / "locust")
    assert argv == [
        "taskset", "-c", "3",
        locust, "-f", str(LOCUSTFILE),
        "--scenario", "spike",
        "--spike-factor", "4",
        "--pool-file", "/r/pool.json",
        "--timeline-file", "/r/timeline.json",
        "--meta-file", "/r/meta.json",
        "--processes", "2",
        "--headless",
    ]  # fmt: skip


def test_locust_argv_minimal():
    locust = str(Path(sys.executable).parent / "locust")
    assert locust_argv(pool=None) == [locust, "-f", str(LOCUSTFILE)]


class _Parser(argparse.ArgumentParser):
    def add_argument(self, *args, include_in_web_ui: bool = True, **kwargs):
        return super().add_argument(*args, **kwargs)


def test_every_option_it_writes_is_one_the_locustfile_declares():
    """The argv's own options parse with the generator's option declarations, back to the
    knobs the harness meant (a rounded float would change the plan)."""
    scenario = scenarios.get("capacity")
    # user_rate as --users 3 makes it: rate / 3
    knobs = scenario.knobs(
        {"rate": 37.5, "step_factor": 1.3, "stop_after": 3, "user_rate": 100 / 3}
    )
    argv = locust_argv(
        pool=Path("/r/pool.json"),
        scenario=scenario.name,
        knobs=knobs.model_dump(),
        files={name: Path(f"/r/{name}") for name in options.FILES},
    )
    parser = _Parser(exit_on_error=False)
    options.add_arguments(parser)
    parsed = parser.parse_args(argv[3:])  # after: locust -f <locustfile>
    assert parsed.scenario == "capacity"
    assert scenarios.get(parsed.scenario).knobs(options.knob_values(parsed)) == knobs
    assert all(options.file_option(parsed, name) == f"/r/{name}" for name in options.FILES)
