"""loadtests.core.knobs: layered knob values, their validation, declarations, --set parsing."""

from __future__ import annotations

import pytest
from pydantic import Field, ValidationError

from loadtests.core.knobs import KnobError, Knobs, declarations, parse_assignments


class ExtraKnobs(Knobs):
    factor: float = Field(2.0, gt=1, description="test: a factor above one")
    count: int = Field(3, ge=1, description="test: a count")


def test_build_without_layers_gives_the_declared_defaults():
    k = Knobs.build()
    assert k == Knobs()
    assert (k.rate, k.duration, k.user_rate, k.slo_p99_ms) == (100.0, 20.0, 2.0, 100.0)


def test_later_layers_win_and_values_are_converted():
    k = ExtraKnobs.build({"rate": 50, "factor": 3}, {"rate": "250", "count": "7"})
    assert k.rate == 250.0 and isinstance(k.rate, float)
    assert k.factor == 3.0
    assert k.count == 7 and isinstance(k.count, int)
    assert k.duration == Knobs().duration  # in no layer: the default


def test_blank_and_none_keep_what_the_earlier_layers_said():
    k = Knobs.build({"rate": 50, "duration": 7}, {"rate": "", "duration": None})
    assert (k.rate, k.duration) == (50.0, 7.0)
    # with no earlier layer, "" and None keep the declared default
    k = Knobs.build({"rate": "", "warmup": None}, None)
    assert (k.rate, k.warmup) == (Knobs().rate, Knobs().warmup)


def test_dashed_names_are_the_same_knobs():
    k = ExtraKnobs.build({"user-rate": "4", "slo-p99-ms": 250})
    assert (k.user_rate, k.slo_p99_ms) == (4.0, 250.0)


def test_an_unknown_knob_is_named_with_the_known_ones():
    with pytest.raises(KnobError, match=r"unknown knob 'rats'") as info:
        Knobs.build({"rats": 1})
    assert "rate" in str(info.value) and "Knobs" in str(info.value)
    # a knob of another scenario's Knobs is unknown to the base Knobs
    with pytest.raises(KnobError, match=r"unknown knob 'factor'"):
        Knobs.build({"factor": 3})


@pytest.mark.parametrize(
    ("values", "knob"),
    [
        ({"rate": 0}, "rate"),
        ({"rate": -5}, "rate"),
        ({"duration": "0"}, "duration"),
        ({"warmup": -1}, "warmup"),
        ({"min_achieved": 1.5}, "min_achieved"),
        ({"min_achieved": 0}, "min_achieved"),
        ({"slo_error_pct": -0.1}, "slo_error_pct"),
        ({"rate": "fast"}, "rate"),
        ({"factor": 1}, "factor"),
        ({"count": 0}, "count"),
        ({"count": "2.5"}, "count"),
    ],
)
def test_bound_and_type_violations_are_knob_errors_naming_the_knob(values, knob):
    with pytest.raises(KnobError, match=rf"ExtraKnobs: {knob}: "):
        ExtraKnobs.build(values)


def test_the_bounds_themselves_are_accepted():
    k = ExtraKnobs.build({"warmup": 0, "min_achieved": 1, "slo_error_pct": 0, "count": 1})
    assert (k.warmup, k.min_achieved, k.slo_error_pct, k.count) == (0.0, 1.0, 0.0, 1)


def test_knobs_are_frozen_and_changed_validates():
    k = Knobs.build({"rate": 10})
    with pytest.raises(ValidationError):
        k.rate = 20  # type: ignore[misc]
    changed = k.changed(rate=20, duration="5")
    assert (changed.rate, changed.duration, k.rate) == (20.0, 5.0, 10.0)
    assert type(ExtraKnobs.build().changed(factor=4)) is ExtraKnobs
    with pytest.raises(KnobError, match="rate"):
        k.changed(rate=0)


def test_declarations_merge_the_models_one_entry_per_name():
    found = declarations([Knobs, ExtraKnobs])
    assert list(found) == [*Knobs.model_fields, "factor", "count"]
    assert found["factor"] == (float, "test: a factor above one")
    assert found["count"][0] is int
    assert found["rate"][1] == Knobs.model_fields["rate"].description


def test_declarations_refuse_one_name_with_two_meanings():
    class OtherHelp(Knobs):
        factor: float = Field(2.0, gt=1, description="test: something else entirely")

    class OtherType(Knobs):
        count: float = Field(3.0, description="test: a count")

    with pytest.raises(KnobError, match="'factor'"):
        declarations([ExtraKnobs, OtherHelp])
    with pytest.raises(KnobError, match="'count'"):
        declarations([ExtraKnobs, OtherType])


def test_parse_assignments():
    assert parse_assignments(["rate=50", "spike-factor=4", " settle = 0.5 ", "x=a=b"]) == {
        "rate": "50",
        "spike_factor": "4",
        "settle": "0.5",
        "x": "a=b",
    }
    assert parse_assignments([]) == {}
    assert parse_assignments(["rate="]) == {"rate": ""}  # empty: keep the default
    assert parse_assignments(["rate=1", "rate=2"]) == {"rate": "2"}  # the last one wins


@pytest.mark.parametrize("item", ["rate", "=5", ""])
def test_parse_assignments_refuses_what_is_not_knob_equals_value(item):
    with pytest.raises(KnobError, match="expected KNOB=VALUE"):
        parse_assignments([item])
