"""loadtests.__main__: the command line (nothing here starts a server or a load test)."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys

import pytest

from loadtests import __main__ as cli
from loadtests import scenarios
from loadtests.core import profiles
from loadtests.core.knobs import declarations
from shared.settings import PROJECT_ROOT

ALL_KNOBS = list(declarations(s.Knobs for s in scenarios.all_scenarios()))


def _subparser(name: str) -> argparse.ArgumentParser:
    top = cli.parser()
    action = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name]


def test_list_prints_every_scenario_profile_and_knob():
    done = subprocess.run(
        [sys.executable, "-m", "loadtests", "list"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    words = {line.split()[0] for line in lines if line.startswith("  ")}
    assert set(scenarios.names()) <= words
    assert set(profiles.available()) <= words
    assert {"--" + k.replace("_", "-") for k in ALL_KNOBS} <= words
    assert "rollout" in done.stdout and "(not in compare-all)" in done.stdout


@pytest.mark.parametrize("command", ["run", "compare"])
def test_run_and_compare_have_one_option_per_knob(command):
    sub = _subparser(command)
    strings = [s for a in sub._actions for s in a.option_strings]
    for scenario in scenarios.all_scenarios():
        for knob in scenario.Knobs.model_fields:
            assert strings.count("--" + knob.replace("_", "-")) == 1, (scenario.name, knob)
    assert {"--set", "--users", "--processes", "--scenario"} <= set(strings)


def test_compare_offers_all_and_run_does_not():
    def choices(command):
        return next(a for a in _subparser(command)._actions if a.dest == "scenario").choices

    assert list(choices("run")) == scenarios.names()
    assert list(choices("compare")) == [*scenarios.names(), "all"]


def _overrides(argv: list[str], scenario: str | None = "steady") -> dict[str, str]:
    args = cli.parser().parse_args(argv)
    return cli._overrides(args, scenarios.get(scenario) if scenario else None)


def test_knob_options_and_set_become_overrides():
    assert _overrides(["run", "--scenario", "steady"]) == {}
    argv = ["run", "--scenario", "spike", "--spike-factor", "4"]
    argv += ["--set", "duration=9", "--set", "user-rate=3"]
    assert _overrides(argv, "spike") == {"spike_factor": "4", "duration": "9", "user_rate": "3"}
    # --set wins over the option of the same knob
    assert _overrides(["run", "--scenario", "steady", "--rate", "5", "--set", "rate=6"]) == {
        "rate": "6"
    }


def test_users_sets_user_rate_to_rate_over_users():
    over = _overrides(["run", "--scenario", "steady", "--rate", "50", "--users", "10"])
    assert float(over["user_rate"]) == 5.0
    # without --rate: the scenario's own rate
    steady_rate = scenarios.get("steady").knobs().rate
    over = _overrides(["compare", "--scenario", "steady", "--users", "4"])
    assert float(over["user_rate"]) == steady_rate / 4
    knobs = scenarios.get("steady").knobs(over)
    assert knobs.user_rate * 4 == pytest.approx(knobs.rate)
    with pytest.raises(SystemExit, match="--users applies to one scenario"):
        _overrides(["compare", "--scenario", "all", "--users", "4"], None)


@pytest.fixture
def no_runs(monkeypatch):
    """Whatever would start a server, build a pool or run locust fails the test at once."""
    from loadtests.harness import compare, pool, runner, servers

    def refuse(*args, **kwargs):
        raise AssertionError("the command went on to run")

    for module, name in [
        (servers, "running"),
        (runner, "execute"),
        (pool, "ensure_pool"),
        (compare, "ensure_pool"),
        (compare, "run_jobs"),
    ]:
        monkeypatch.setattr(module, name, refuse)
    # main() installs its own SIGTERM handler: give pytest its own back afterwards
    handler = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, handler)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--scenario", "steady", "--set", "bogus=1"], "unknown knob 'bogus'"),
        (["run", "--scenario", "steady", "--set", "spike_factor=4"], "unknown knob 'spike_factor'"),
        (["run", "--scenario", "steady", "--set", "rate"], "expected KNOB=VALUE"),
        (["run", "--scenario", "steady", "--rate", "0"], "rate: Input should be greater than 0"),
        (["compare", "--scenario", "steady", "--set", "bogus=1"], "unknown knob 'bogus'"),
        (
            ["compare", "--scenario", "steady", "--profiles", "flask,tomcat"],
            "unknown profile 'tomcat'",
        ),
    ],
)
def test_a_bad_knob_or_profile_fails_with_a_clear_message(no_runs, tmp_path, argv, message):
    with pytest.raises(SystemExit) as info:
        cli.main([*argv, *(["--out", str(tmp_path)] if argv[0] == "run" else [])])
    assert isinstance(info.value.code, str), "a message, not a traceback"
    assert message in info.value.code
    assert info.value.code.startswith("python -m loadtests: error: ")


def test_every_command_prints_its_help():
    top = cli.parser()
    action = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in action.choices.items():
        text = sub.format_help()  # a "%" in a knob's text once made this raise
        assert name in text and "usage:" in text
