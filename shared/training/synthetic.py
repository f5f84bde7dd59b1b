"""A deterministic synthetic stand-in for CreditScoring.csv, used only when offline.

Same columns, integer codes and realistic value ranges as the course's file (including the
99999999 "missing" marker and a few ``unk`` codes), with a default rate near the real ~28 %
driven by the same kinds of signal (records, job, income, assets, amount/price). It exists so
that the demo still runs without network; everything trained on it is labelled synthetic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SYNTHETIC_SEED = 20_240_707
SYNTHETIC_ROWS = 4455
MISSING = 99_999_999


def synthetic_frame(rows: int = SYNTHETIC_ROWS, seed: int = SYNTHETIC_SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    seniority = np.clip(rng.gamma(1.2, 6.5, rows), 0, 48).astype(int)
    home = rng.choice([1, 2, 3, 4, 5, 6, 0], rows, p=[0.22, 0.47, 0.06, 0.04, 0.17, 0.035, 0.005])
    time = rng.choice([12, 18, 24, 36, 48, 60, 72], rows, p=[0.05, 0.03, 0.08, 0.2, 0.2, 0.4, 0.04])
    age = np.clip(rng.normal(37, 11, rows), 18, 68).astype(int)
    marital = rng.choice([1, 2, 3, 4, 5, 0], rows, p=[0.22, 0.72, 0.015, 0.03, 0.014, 0.001])
    records = rng.choice([1, 2], rows, p=[0.83, 0.17])
    job = rng.choice([1, 2, 3, 4, 0], rows, p=[0.63, 0.1, 0.23, 0.04, 0.0])
    expenses = np.clip(rng.normal(55, 19, rows), 35, 180).astype(int)
    income = np.clip(rng.lognormal(4.8, 0.5, rows), 0, 959).astype(int)
    assets = np.where(rng.random(rows) < 0.37, 0, rng.lognormal(8.4, 1.0, rows)).astype(int)
    debt = np.where(rng.random(rows) < 0.82, 0, rng.lognormal(7.3, 1.0, rows)).astype(int)
    amount = np.clip(rng.normal(1040, 470, rows), 100, 5000).round(-1).astype(int)
    price = np.maximum(amount + rng.gamma(2.0, 220, rows), 105).astype(int)
    for column, share in ((income, 0.008), (assets, 0.01), (debt, 0.004)):
        column[rng.random(rows) < share] = MISSING

    real_income = np.where(income == MISSING, 0, income)
    real_assets = np.where(assets == MISSING, 0, assets)
    logit = (
        -1.0
        + 1.3 * (records == 2)
        + 0.9 * (job == 2)
        + 0.4 * (job == 3)
        - 0.045 * seniority
        - 0.006 * (real_income - 130)
        - 0.00004 * np.minimum(real_assets, 40_000)
        + 1.4 * (amount / price - 0.72)
        + 0.5 * (home == 1)
        - 0.3 * (home == 2)
        + 0.01 * (time - 46)
        + rng.normal(0, 0.8, rows)
    )
    default = rng.random(rows) < 1 / (1 + np.exp(-logit))
    status = np.where(default, 2, 1)
    status[rng.random(rows) < 0.0005] = 0

    return pd.DataFrame(
        {
            "Status": status,
            "Seniority": seniority,
            "Home": home,
            "Time": time,
            "Age": age,
            "Marital": marital,
            "Records": records,
            "Job": job,
            "Expenses": expenses,
            "Income": income,
            "Assets": assets,
            "Debt": debt,
            "Amount": amount,
            "Price": price,
        }
    )
