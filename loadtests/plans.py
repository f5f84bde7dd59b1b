"""What each scenario offers the servers, phase by phase, and the SLO it is judged by.

Pure (no locust, no I/O): the LoadTestShapes in loadtests/locustfiles turn a plan into user
counts, the report builder reads the same plan back to know which seconds to measure.

Open workload: a phase's rate is produced by many users that each send ``user_rate`` requests
per second on a fixed schedule (see loadtests.users), so users = rate / user_rate and the rate
does not drop when the server slows down, until a response takes longer than 1 / user_rate.
Rates are per target: with both targets selected in one web UI, each gets the full rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

SCENARIOS = ("steady", "capacity", "spike", "bad_input", "batch")

# Which user classes a phase runs (the ``kind`` class attribute in loadtests.users).
CLASSIFY, CLASSIFY_BATCH, BAD_INPUT = "classify", "classify_batch", "bad_input"


@dataclass(frozen=True)
class Params:
    """Knobs of a scenario. ``duration`` means: steady/bad_input the measured hold, capacity
    each step, spike the three phases together (25 % baseline, 25 % spike, 50 % recovery),
    batch each of the two paths."""

    rate: float
    duration: float
    user_rate: float = 2.0  # requests/s per simulated user
    warmup: float = 3.0  # unmeasured lead-in at the first rate (connections, caches)
    settle: float = 1.0  # seconds at the start of each measured phase that are not counted
    max_rate: float = 3000.0  # capacity: last step
    step_factor: float = 1.25  # capacity: rate multiplier between steps
    stop_after: int = 2  # capacity: stop after this many consecutive steps break the SLO
    spike_factor: float = 8.0  # spike: burst = factor x baseline rate
    batch_size: int = 1  # batch: applications per /classify_batch request
    invalid_share: float = 0.5  # bad_input: share of requests that are invalid
    slo_p99_ms: float = 100.0
    slo_error_pct: float = 0.1
    min_achieved: float = 0.95  # a rate counts as sustained if >= 95 % of it was really sent

    def __post_init__(self) -> None:
        positive = ("rate", "duration", "user_rate", "max_rate", "spike_factor", "slo_p99_ms")
        for name in positive:
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.step_factor <= 1:
            raise ValueError(f"step_factor must be > 1, got {self.step_factor}")
        if self.batch_size < 1 or self.stop_after < 1:
            raise ValueError("batch_size and stop_after must be >= 1")
        if not 0 <= self.invalid_share <= 1:
            raise ValueError(f"invalid_share must be within [0, 1], got {self.invalid_share}")
        if self.warmup < 0 or self.settle < 0 or self.slo_error_pct < 0:
            raise ValueError("warmup, settle and slo_error_pct must be >= 0")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Defaults sized for 2 cores (server on one, locust on the other): each run takes under a
# minute and `make compare-all` (3 repeats x 2 servers x 5 scenarios, capacity at 1 and 2
# workers) under ~30 minutes. Measured there: Flask (1 sync worker) holds p99 <= 100 ms up to
# ~600 req/s and saturates near 1,000; BentoML (1 worker) up to ~150-200 req/s, saturating near
# 480. steady's 100 req/s is well below both saturation points; spike's burst (8 x 80 = 640)
# is beyond BentoML's and near Flask's knee; batch's 250 applications/s is half BentoML's.
DEFAULTS: dict[str, dict[str, float]] = {
    "steady": {"rate": 100.0, "duration": 20.0},
    "capacity": {"rate": 100.0, "duration": 5.0, "step_factor": 1.3},
    # spike: 1 req/s per user keeps arrivals open up to 1 s response times
    "spike": {"rate": 80.0, "duration": 32.0, "spike_factor": 8.0, "user_rate": 1.0},
    "bad_input": {"rate": 40.0, "duration": 20.0},
    "batch": {"rate": 250.0, "duration": 12.0},
}
KNOBS = tuple(f.name for f in fields(Params))


def params_for(scenario: str, overrides: Mapping[str, Any] | None = None) -> Params:
    """The scenario's defaults with ``overrides`` applied (None and "" mean: keep default)."""
    if scenario not in DEFAULTS:
        raise ValueError(f"unknown scenario {scenario!r}; expected one of {SCENARIOS}")
    base = Params(**DEFAULTS[scenario])
    changes: dict[str, Any] = {}
    for key, value in (overrides or {}).items():
        if key not in KNOBS:
            raise ValueError(f"unknown parameter {key!r}; expected one of {KNOBS}")
        if value is None or value == "":
            continue
        kind = type(getattr(base, key))
        changes[key] = kind(float(value)) if kind is int else kind(value)
    return replace(base, **changes)


@dataclass(frozen=True)
class Phase:
    label: str
    duration: float
    users: int  # per target
    user_rate: float
    kind: str  # which user classes run in this phase
    measured: bool = True
    items_per_request: int = 1

    @property
    def rate(self) -> float:
        """Offered requests/s per target."""
        return self.users * self.user_rate

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rate": self.rate}


def users_for(rate: float, user_rate: float) -> int:
    return max(1, round(rate / user_rate))


def _phase(label: str, duration: float, rate: float, p: Params, kind: str, **kw: Any) -> Phase:
    return Phase(label, duration, users_for(rate, p.user_rate), p.user_rate, kind, **kw)


def capacity_rates(p: Params) -> list[float]:
    rates: list[float] = []
    k = 0
    while (rate := p.rate * p.step_factor**k) <= p.max_rate * (1 + 1e-9):
        offered = users_for(rate, p.user_rate) * p.user_rate
        if not rates or offered > rates[-1]:
            rates.append(offered)
        k += 1
    return rates


def plan(scenario: str, p: Params) -> list[Phase]:
    """The phases of ``scenario``, in order."""
    warm = [_phase("warmup", p.warmup, p.rate, p, CLASSIFY, measured=False)] if p.warmup else []
    if scenario == "steady":
        return [*warm, _phase("hold", p.duration, p.rate, p, CLASSIFY)]
    if scenario == "bad_input":
        warm = [replace(w, kind=BAD_INPUT) for w in warm]
        return [*warm, _phase("hold", p.duration, p.rate, p, BAD_INPUT)]
    if scenario == "capacity":
        steps = [
            _phase(f"step {i}", p.duration, rate, p, CLASSIFY)
            for i, rate in enumerate(capacity_rates(p), start=1)
        ]
        return [*warm, *steps]
    if scenario == "spike":
        return [
            *warm,
            _phase("baseline", 0.25 * p.duration, p.rate, p, CLASSIFY),
            _phase("spike", 0.25 * p.duration, p.rate * p.spike_factor, p, CLASSIFY),
            _phase("recovery", 0.5 * p.duration, p.rate, p, CLASSIFY),
        ]
    if scenario == "batch":
        # the same applications/s on both paths: round the batch path to whole users first
        batch_rate = users_for(p.rate / p.batch_size, p.user_rate) * p.user_rate
        app_rate = batch_rate * p.batch_size
        warm = [replace(w, users=users_for(app_rate, p.user_rate)) for w in warm]
        batch_kw = {"items_per_request": p.batch_size}
        batch_warm = [
            _phase(
                "warmup batch", p.warmup, batch_rate, p, CLASSIFY_BATCH, measured=False, **batch_kw
            )
        ]
        return [
            *warm,
            _phase("single", p.duration, app_rate, p, CLASSIFY),
            *(batch_warm if p.warmup else []),
            _phase("batch", p.duration, batch_rate, p, CLASSIFY_BATCH, **batch_kw),
        ]
    raise ValueError(f"unknown scenario {scenario!r}; expected one of {SCENARIOS}")


def planned_seconds(phases: list[Phase]) -> float:
    return sum(ph.duration for ph in phases)


def phase_at(phases: list[Phase], elapsed: float) -> int | None:
    """Index of the phase running ``elapsed`` seconds after the start; None once all are over."""
    end = 0.0
    for index, phase in enumerate(phases):
        end += phase.duration
        if elapsed < end:
            return index
    return None


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reasons: tuple[str, ...]


def judge(
    p: Params, offered: float, achieved: float, p99_ms: float | None, error_ratio: float
) -> Verdict:
    """Did a window meet the SLO (p99, errors) at the rate it was offered?"""
    reasons = []
    if p99_ms is None:
        reasons.append("no completed requests")
    elif p99_ms > p.slo_p99_ms:
        reasons.append(f"p99 {p99_ms:.0f} ms > {p.slo_p99_ms:.0f} ms")
    if error_ratio * 100 > p.slo_error_pct:
        reasons.append(f"errors {error_ratio * 100:.2f} % > {p.slo_error_pct:g} %")
    if offered > 0 and achieved < p.min_achieved * offered:
        reasons.append(f"sent {achieved:.0f}/s of {offered:.0f}/s offered")
    return Verdict(not reasons, tuple(reasons))


def describe(scenario: str, p: Params) -> str:
    """One line for progress output and reports."""
    if scenario == "capacity":
        rates = capacity_rates(p)
        return (
            f"steps of {p.duration:g} s from {rates[0]:g} to at most {rates[-1]:g} req/s "
            f"(x{p.step_factor:g}), stop after {p.stop_after} failing steps"
        )
    if scenario == "spike":
        return (
            f"{p.rate:g} req/s, burst x{p.spike_factor:g} for {0.25 * p.duration:g} s, "
            f"{0.5 * p.duration:g} s recovery"
        )
    if scenario == "batch":
        return (
            f"{p.rate:g} applications/s for {p.duration:g} s on /classify, then on "
            f"/classify_batch in lists of {p.batch_size}"
        )
    if scenario == "bad_input":
        return f"{p.rate:g} req/s for {p.duration:g} s, {p.invalid_share:.0%} invalid"
    return f"{p.rate:g} req/s for {p.duration:g} s"


def max_seconds(scenario: str, p: Params) -> float:
    return planned_seconds(plan(scenario, p))
