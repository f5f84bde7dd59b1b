"""The course's data preparation (ML Zoomcamp week 6), exactly.

Lower-case columns, decode the integer categories, 99999999 -> missing -> 0, drop rows whose
status is unknown, split 60/20/20 with ``random_state=11`` in two ``train_test_split`` calls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

TARGET = "status"
SPLIT_SEED = 11
MISSING_MARKER = 99_999_999

CATEGORY_CODES: dict[str, dict[int, str]] = {
    "status": {1: "ok", 2: "default", 0: "unk"},
    "home": {1: "rent", 2: "owner", 3: "private", 4: "ignore", 5: "parents", 6: "other", 0: "unk"},
    "marital": {1: "single", 2: "married", 3: "widow", 4: "separated", 5: "divorced", 0: "unk"},
    "records": {1: "no", 2: "yes", 0: "unk"},
    "job": {1: "fixed", 2: "partime", 3: "freelance", 4: "others", 0: "unk"},
}
MISSING_AS_MARKER = ("income", "assets", "debt")

# The CSV's columns in order (capitalised there), target first.
RAW_COLUMNS = ("Status", "Seniority", "Home", "Time", "Age", "Marital", "Records", "Job",
               "Expenses", "Income", "Assets", "Debt", "Amount", "Price")  # fmt: skip
FEATURES = tuple(c.lower() for c in RAW_COLUMNS[1:])
CATEGORICAL = ("home", "marital", "records", "job")
NUMERICAL = tuple(f for f in FEATURES if f not in CATEGORICAL)


@dataclass(frozen=True)
class Splits:
    """Feature frames (no target column) and 0/1 targets (1 = default)."""

    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame
    y_train: np.ndarray
    y_val: np.ndarray
    y_test: np.ndarray

    @property
    def full_train(self) -> pd.DataFrame:
        return pd.concat([self.train, self.val], ignore_index=True)

    @property
    def y_full_train(self) -> np.ndarray:
        return np.concatenate([self.y_train, self.y_val])


def clean(raw: pd.DataFrame) -> pd.DataFrame:
    """Decode and clean the raw integer-coded table (course notebook, step by step)."""
    df = raw.copy()
    df.columns = df.columns.str.lower()
    for column, codes in CATEGORY_CODES.items():
        df[column] = df[column].map(codes)
    for column in MISSING_AS_MARKER:
        df[column] = df[column].replace(to_replace=MISSING_MARKER, value=np.nan)
    df = df[df[TARGET] != "unk"].reset_index(drop=True)
    return df


def split(df: pd.DataFrame) -> Splits:
    full_train, test = train_test_split(df, test_size=0.2, random_state=SPLIT_SEED)
    train, val = train_test_split(full_train, test_size=0.25, random_state=SPLIT_SEED)

    def features_and_target(part: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
        part = part.reset_index(drop=True)
        y = (part[TARGET] == "default").astype(int).to_numpy()
        return part.drop(columns=[TARGET]).fillna(0), y

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = map(
        features_and_target, (train, val, test)
    )
    return Splits(x_train, x_val, x_test, y_train, y_val, y_test)


def prepare(raw: pd.DataFrame) -> Splits:
    return split(clean(raw))


def to_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as the JSON-ready dicts a client would send (plain Python ints/floats/strs)."""
    records = frame.to_dict(orient="records")
    return [{key: _plain(value) for key, value in row.items()} for row in records]


def _plain(value: object) -> object:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
