"""Micro-benchmark of the Predictor (make bench-predictor). Not a test: it prints figures.

For one row and for batches it times, side by side in one run:
- the course's way: ``dv.transform`` + ``xgb.DMatrix`` + ``booster.predict``;
- the shared Predictor (dense row from the vocabulary + ``inplace_predict``, nthread=1);
- xgboost's own floor: ``inplace_predict`` on a ready float32 array.
Machine, versions and settings are printed with the figures; compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np
import xgboost as xgb

from shared import artifact
from shared.predictor import Predictor
from shared.schema import SAMPLE_APPLICATION
from shared.settings import get_settings


def per_call_us(fn: Callable[[], object], seconds: float, repeats: int) -> tuple[float, float]:
    """Median and spread (min..max) over ``repeats`` rounds of µs per call."""
    fn()
    calls = 1
    while True:  # calibrate: enough calls to fill ~seconds/repeats
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed > seconds / repeats / 4:
            break
        calls *= 2
    calls = max(1, int(calls * (seconds / repeats) / elapsed))
    rounds = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        rounds.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(rounds), max(rounds) - min(rounds)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="time per measurement")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 10, 100])
    args = parser.parse_args(argv)

    settings = get_settings()
    predictor = Predictor.from_settings(settings)
    dv, booster = predictor.vectorizer, predictor.booster
    names = list(dv.feature_names_)
    libs = artifact.installed_versions()
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} cpus | python {libs['python']}, numpy "
        f"{libs['numpy']}, scikit-learn {libs['scikit-learn']}, xgboost {libs['xgboost']}\n"
        f"model {predictor.version}; nthread=1; {args.repeats} rounds x "
        f"{args.seconds / args.repeats:.2f} s each; median (spread) in µs\n"
    )
    print(
        f"{'batch':>5} | {'course: dv+DMatrix+predict':>27} | {'Predictor':>18} | "
        f"{'inplace floor':>18} | Predictor/floor | course/Predictor"
    )
    for size in args.batch:
        rows = [SAMPLE_APPLICATION] * size
        ready = predictor.features(rows)

        def course(rows=rows):
            return booster.predict(xgb.DMatrix(dv.transform(rows), feature_names=names))

        def ours(rows=rows):
            return predictor.predict_many(rows)

        def floor(ready=ready):
            return booster.inplace_predict(ready)

        assert np.allclose(course(), [p.default_probability for p in ours()], atol=1e-6)
        c, cs = per_call_us(course, args.seconds, args.repeats)
        o, os_ = per_call_us(ours, args.seconds, args.repeats)
        f, fs = per_call_us(floor, args.seconds, args.repeats)
        print(
            f"{size:>5} | {c:>10.1f} ({cs:5.1f}) {c / size:>7.1f}/row | {o:>8.1f} ({os_:5.1f}) "
            f"{o / size:>6.1f}/r | {f:>8.1f} ({fs:5.1f}) {f / size:>6.1f}/r | "
            f"{o / f:>15.2f} | {c / o:>16.2f}"
        )


if __name__ == "__main__":
    main()
