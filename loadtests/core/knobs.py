"""The knobs of a scenario, declared once: type, bounds, default and help text.

``Knobs`` holds what every scenario has (rate, duration, the simulated users, the SLO, the
client timeout); a scenario that needs more subclasses it (``CapacityKnobs`` adds the step
factor, ...) and gives its own defaults in ``Scenario.defaults``. Everything else is derived
from these declarations: the command-line options of ``python -m loadtests`` and of locust
(web UI form included, see ``options``), the validation of a value typed on either, and the
knobs recorded in every run record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class KnobError(ValueError):
    """A knob that does not exist or a value it does not accept."""


class Knobs(BaseModel):
    """What every scenario has. Rates are per target (each server gets the full rate)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rate: float = Field(
        100.0,
        gt=0,
        description="requests/s per target (capacity: first step; spike: baseline; batch: "
        "applications/s)",
    )
    duration: float = Field(20.0, gt=0, description="seconds (what they cover: per scenario)")
    user_rate: float = Field(
        2.0, gt=0, description="requests/s of each simulated user (users = rate / user_rate)"
    )
    warmup: float = Field(3.0, ge=0, description="unmeasured seconds at the first rate")
    settle: float = Field(
        1.0, ge=0, description="seconds at the start of each measured phase that are not counted"
    )
    client_timeout: float = Field(
        10.0, gt=0, description="seconds a simulated client waits for a response"
    )
    slo_p99_ms: float = Field(100.0, gt=0, description="SLO: p99 latency limit (ms)")
    slo_error_pct: float = Field(0.1, ge=0, description="SLO: error limit (%)")
    min_achieved: float = Field(
        0.95,
        gt=0,
        le=1,
        description="a rate is sustained only if this share of it was really sent",
    )

    @classmethod
    def build(cls, *layers: Mapping[str, Any] | None) -> Self:
        """Defaults, then each layer in turn; None and "" in a layer mean: keep."""
        values: dict[str, Any] = {}
        for layer in layers:
            for key, value in (layer or {}).items():
                if value is None or value == "":
                    continue
                key = key.replace("-", "_")
                if key not in cls.model_fields:
                    raise KnobError(
                        f"unknown knob {key!r}; {cls.__name__} has: {', '.join(cls.model_fields)}"
                    )
                values[key] = value
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            )
            raise KnobError(f"{cls.__name__}: {problems}") from None

    def changed(self, **values: Any) -> Self:
        return type(self).build(self.model_dump(), values)


def declarations(models: Iterable[type[Knobs]]) -> dict[str, tuple[type, str]]:
    """Every knob of these models: name -> (type, help). One name has one meaning."""
    found: dict[str, tuple[type, str]] = {}
    for model in models:
        for name, info in model.model_fields.items():
            entry = (info.annotation, info.description or "")
            if name in found and found[name] != entry:
                raise KnobError(f"knob {name!r} is declared twice with different meanings")
            found[name] = entry
    return found


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """``["rate=50", "spike-factor=4"]`` -> {"rate": "50", "spike_factor": "4"}."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise KnobError(f"expected KNOB=VALUE, got {item!r}")
        out[key.strip().replace("-", "_")] = value.strip()
    return out
