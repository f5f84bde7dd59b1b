"""The course's decision rule on the default probability."""

from __future__ import annotations

from typing import Literal

Status = Literal["APPROVED", "MAYBE", "DECLINED"]

DECLINE_ABOVE = 0.5
MAYBE_ABOVE = 0.25


def decide(probability: float) -> Status:
    if probability > DECLINE_ABOVE:
        return "DECLINED"
    if probability > MAYBE_ABOVE:
        return "MAYBE"
    return "APPROVED"
