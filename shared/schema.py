"""The request/response contract shared by whatever validates (the BentoML service, tests).

The course's 13 fields, with the categories the model was trained on (``unk`` included, it is
a training category) and bounds wide enough for any real applicant but not for nonsense.
Strict types (no "26" -> 26, no true -> 1) and no unknown fields: a typo in a field name must
be an error, not a silently ignored feature.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.decision import Status

Home = Literal["rent", "owner", "private", "ignore", "parents", "other", "unk"]
Marital = Literal["single", "married", "widow", "separated", "divorced", "unk"]
Records = Literal["no", "yes", "unk"]
Job = Literal["fixed", "partime", "freelance", "others", "unk"]

MONEY_MAX = 10_000_000  # in the dataset's units; the largest real value is ~300,000


class CreditApplication(BaseModel):
    """One loan application, as the course's client sends it."""

    model_config = ConfigDict(strict=True, extra="forbid")

    seniority: int = Field(ge=0, le=80, description="years with the current employer")
    home: Home
    time: int = Field(ge=1, le=600, description="requested loan term, months")
    age: int = Field(ge=18, le=120)
    marital: Marital
    records: Records = Field(description="has previous default records")
    job: Job
    expenses: float = Field(ge=0, le=MONEY_MAX)
    income: float = Field(ge=0, le=MONEY_MAX)
    assets: float = Field(ge=0, le=MONEY_MAX)
    debt: float = Field(ge=0, le=MONEY_MAX)
    amount: float = Field(gt=0, le=MONEY_MAX, description="requested amount")
    price: float = Field(gt=0, le=MONEY_MAX, description="price of the good")


class ClassifyResponse(BaseModel):
    status: Status
    default_probability: float = Field(ge=0, le=1)
    model_version: str


# The course's sample applicant (week 7), used by the README, the tests and the benchmarks.
SAMPLE_APPLICATION: dict = {
    "seniority": 3,
    "home": "owner",
    "time": 36,
    "age": 26,
    "marital": "single",
    "records": "no",
    "job": "freelance",
    "expenses": 35,
    "income": 0.0,
    "assets": 60000.0,
    "debt": 3000.0,
    "amount": 800,
    "price": 1000,
}
