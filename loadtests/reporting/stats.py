"""Median and spread over repeats, and how a report prints them."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

NEVER_HELD = 0.0  # a capacity search that never held its first step, in a median (none_as)


@dataclass(frozen=True)
class Agg:
    median: float | None
    low: float | None
    high: float | None
    n: int
    missing: int  # repeats without a value (e.g. never recovered)


def agg(values: Iterable[float | None], none_as: float | None = None) -> Agg:
    """``none_as``: the value a missing one counts as in the median and range, when some repeats
    have one (a capacity search that never held: 0), still counted as missing in the text."""
    values = list(values)
    present = [float(v) for v in values if v is not None]
    if not present:
        return Agg(None, None, None, len(values), len(values))
    missing = len(values) - len(present)
    if none_as is not None:
        present += [none_as] * missing
    return Agg(
        statistics.median(present),
        min(present),
        max(present),
        len(values),
        missing,
    )


def number(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def fmt(a: Agg, digits: int = 0, missing: str = "none") -> str:
    """'12 (11–14)'; a repeat without a value is counted, e.g. '12 (11–14; 1 of 3 none)'."""
    if a.median is None:
        return f"{missing} (all {a.n})"
    text = number(a.median, digits)
    if a.n > 1:
        spread = f"{number(a.low, digits)}–{number(a.high, digits)}"
        text += f" ({spread}" + (f"; {a.missing} of {a.n} {missing}" if a.missing else "") + ")"
    return text


def ratio(base: Agg, other: Agg) -> str:
    """other / base of the medians, e.g. '3.20×'."""
    if base.median in (None, 0) or other.median is None:
        return "–"
    return f"{other.median / base.median:.2f}×"
