"""loadtests.generator.options: locust's options of the load tests, made from the knobs."""

from __future__ import annotations

import argparse

import pytest

from loadtests import scenarios
from loadtests.generator import options


class LocustLikeParser(argparse.ArgumentParser):
    """argparse, plus the ``include_in_web_ui`` keyword locust's parser accepts (recorded)."""

    def __init__(self) -> None:
        super().__init__(prog="locust", exit_on_error=False)
        self.hidden: set[str] = set()

    def add_argument(self, *args, include_in_web_ui: bool = True, **kwargs):
        action = super().add_argument(*args, **kwargs)
        if not include_in_web_ui:
            self.hidden.add(action.dest)
        return action


@pytest.fixture
def parser() -> LocustLikeParser:
    p = LocustLikeParser()
    options.add_arguments(p)
    return p


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    return {s for action in parser._actions for s in action.option_strings}


def test_scenario_option_offers_every_scenario(parser):
    action = next(a for a in parser._actions if a.dest == "scenario")
    assert list(action.choices) == scenarios.names()
    assert {"steady", "capacity", "spike", "bad_input", "batch", "rollout"} <= set(action.choices)
    assert parser.parse_args([]).scenario == "steady"
    with pytest.raises(argparse.ArgumentError):
        parser.parse_args(["--scenario", "nosuchscenario"])


def test_one_option_per_knob_of_every_scenario(parser):
    strings = _option_strings(parser)
    for scenario in scenarios.all_scenarios():
        for knob in scenario.Knobs.model_fields:
            assert "--" + knob.replace("_", "-") in strings, (scenario.name, knob)
    knob_actions = [a for a in parser._actions if a.dest in options.knob_names()]
    assert len(knob_actions) == len(set(options.knob_names()))  # one each, no duplicate
    assert {"max_rate", "spike_factor", "invalid_share", "batch_size"} <= set(options.knob_names())
    assert all(a.default == "" and a.help for a in knob_actions)


def test_file_options_are_hidden_from_the_web_ui_and_knobs_are_not(parser):
    assert parser.hidden == set(options.FILES)
    assert not parser.hidden & set(options.knob_names())
    assert "scenario" not in parser.hidden
    assert {"--timeline-file", "--meta-file", "--pool-file", "--phase-file"} <= _option_strings(
        parser
    )


def test_knob_values_keeps_only_what_was_set(parser):
    parsed = parser.parse_args(["--scenario", "spike", "--rate", "50", "--spike-factor", "4"])
    assert options.knob_values(parsed) == {"rate": "50", "spike_factor": "4"}
    assert options.knob_values(parser.parse_args([])) == {}
    assert options.knob_values(parser.parse_args(["--rate", ""])) == {}  # the web UI's empty box
    assert options.knob_values(None) == {}
    spike = scenarios.get("spike").knobs(options.knob_values(parsed))
    assert (spike.rate, spike.spike_factor) == (50.0, 4.0)
    assert spike.duration == scenarios.get("spike").knobs().duration


def test_knob_values_ignores_other_options():
    parsed = argparse.Namespace(rate=7, scenario="steady", pool_file="p.json", unrelated="x")
    assert options.knob_values(parsed) == {"rate": 7}


def test_file_option(parser):
    parsed = parser.parse_args(["--pool-file", "/tmp/pool.json"])
    assert options.file_option(parsed, "pool_file") == "/tmp/pool.json"
    assert options.file_option(parsed, "timeline_file") == ""
    assert options.file_option(None, "meta_file") == ""
    with pytest.raises(ValueError, match="unknown file option"):
        options.file_option(parsed, "stats_file")
