"""Train the course's model and save it as one versioned artifact.

    python -m shared.training.train [--eta 0.1 --max-depth 3 --min-child-weight 1 --rounds 175]
    python -m shared.training.train --preset heavy --no-current     # the benchmarks' heavy model

Fits on train, reports validation AUC; refits on train+val, reports test AUC; saves the
final (DictVectorizer, Booster) pickle with its metadata and records it as CURRENT.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb
from sklearn.feature_extraction import DictVectorizer
from sklearn.metrics import roc_auc_score

from shared import artifact
from shared.locks import exclusive
from shared.settings import Settings, get_settings
from shared.training.data import RawData, load_raw
from shared.training.features import Splits, prepare, to_records

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainParams:
    """The course's final parameters (week 6)."""

    eta: float = 0.1
    max_depth: int = 3
    min_child_weight: int = 1
    num_boost_round: int = 175
    seed: int = 1

    def xgb_params(self) -> dict[str, Any]:
        return {
            "eta": self.eta,
            "max_depth": self.max_depth,
            "min_child_weight": self.min_child_weight,
            "objective": "binary:logistic",
            "eval_metric": "auc",
            "nthread": 2,
            "seed": self.seed,
            "verbosity": 1,
        }


@dataclass
class TrainResult:
    vectorizer: DictVectorizer
    booster: xgb.Booster
    metrics: dict[str, float]
    params: TrainParams
    extra: dict[str, Any] = field(default_factory=dict)


# Named parameter sets. "heavy" is heavier, not better (its AUC is a little lower): many deep
# trees, so the cost of a call is in the model (XGBoost walks each tree for a block of rows at
# once: one row costs milliseconds, each further row in the same call far less). It is what the
# batching crossover serves as its real heavy model (docs/performance.md); never a rollout v2.
PRESETS: dict[str, TrainParams] = {
    "course": TrainParams(),
    "heavy": TrainParams(eta=0.01, max_depth=8, num_boost_round=2000),
}
BENCHMARK_ONLY = frozenset({"heavy"})


def preset_of(params: TrainParams) -> str:
    return next((name for name, p in PRESETS.items() if p == params), "custom")


def ensure_preset(settings: Settings, name: str) -> str:
    """The version of a preset's model on disk, trained (not made CURRENT) if there is none."""
    params = PRESETS[name]

    def found() -> str | None:
        for meta in reversed(artifact.list_versions(settings.model_dir, settings.model_name)):
            if meta.get("preset") == name:
                return meta["version"]
        return None

    with exclusive(settings.model_dir / ".train.lock"):
        version = found()
        if version is None:
            log.warning("training the %r model (%s) in %s", name, params, settings.model_dir)
            _, meta = train_and_save(settings, params, make_current=False)
            version = meta["version"]
    return version


def _fit(frame, y, params: TrainParams) -> tuple[DictVectorizer, xgb.Booster]:
    vectorizer = DictVectorizer(sparse=False)
    x = vectorizer.fit_transform(to_records(frame))
    dtrain = xgb.DMatrix(x, label=y, feature_names=list(vectorizer.get_feature_names_out()))
    booster = xgb.train(params.xgb_params(), dtrain, num_boost_round=params.num_boost_round)
    return vectorizer, booster


def _auc(vectorizer: DictVectorizer, booster: xgb.Booster, frame, y: np.ndarray) -> float:
    x = vectorizer.transform(to_records(frame))
    dmatrix = xgb.DMatrix(x, feature_names=list(vectorizer.get_feature_names_out()))
    return float(roc_auc_score(y, booster.predict(dmatrix)))


def train(splits: Splits, params: TrainParams) -> TrainResult:
    vectorizer, booster = _fit(splits.train, splits.y_train, params)
    val_auc = _auc(vectorizer, booster, splits.val, splits.y_val)
    vectorizer, booster = _fit(splits.full_train, splits.y_full_train, params)
    test_auc = _auc(vectorizer, booster, splits.test, splits.y_test)
    return TrainResult(vectorizer, booster, {"val_auc": val_auc, "test_auc": test_auc}, params)


def train_and_save(
    settings: Settings, params: TrainParams, make_current: bool = True
) -> tuple[Path, dict[str, Any]]:
    raw: RawData = load_raw(settings)
    splits = prepare(raw.frame)
    result = train(splits, params)
    metadata = {
        "data": {
            "source": raw.source,
            "sha256": raw.sha256,
            "origin": raw.origin,
            "rows": int(len(raw.frame)),
            "split": {"train": len(splits.train), "val": len(splits.val), "test": len(splits.test)},
        },
        "metrics": {key: round(value, 6) for key, value in result.metrics.items()},
        "params": {**params.xgb_params(), "num_boost_round": params.num_boost_round},
        "preset": preset_of(params),
        "features": list(result.vectorizer.get_feature_names_out()),
    }
    path, full = artifact.save(
        result.vectorizer, result.booster, metadata, settings.model_dir, settings.model_name
    )
    if make_current:
        artifact.set_current(settings.model_dir, full["version"])
    return path, full


def ensure_trained(settings: Settings) -> Path:
    """The artifact to serve; trains the course model first if none was ever trained."""
    if settings.model_version is None and artifact.current_version(settings.model_dir) is None:
        with exclusive(settings.model_dir / ".train.lock"):  # another command may be training
            if artifact.current_version(settings.model_dir) is None:
                log.warning("no trained model in %s: training the course model", settings.model_dir)
                train_and_save(settings, TrainParams())
    path = artifact.resolve_path(settings)
    if not path.exists():
        raise artifact.ArtifactError(f"{path} does not exist; run `make train`.")
    return path


def main(argv: list[str] | None = None) -> None:
    first = argparse.ArgumentParser(add_help=False)
    first.add_argument("--preset", choices=sorted(PRESETS))
    defaults = PRESETS[first.parse_known_args(argv)[0].preset or "course"]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1].strip())
    parser.add_argument(
        "--preset", choices=sorted(PRESETS), help="start from a named parameter set (flags win)"
    )
    parser.add_argument("--eta", type=float, default=defaults.eta)
    parser.add_argument("--max-depth", type=int, default=defaults.max_depth)
    parser.add_argument("--min-child-weight", type=int, default=defaults.min_child_weight)
    parser.add_argument("--rounds", type=int, default=defaults.num_boost_round)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--if-missing", action="store_true", help="only train if no model was ever trained"
    )
    parser.add_argument(
        "--no-current", action="store_true", help="save the version but do not make it CURRENT"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    settings = get_settings()
    if args.if_missing:
        path = ensure_trained(settings)
        print(f"model: {path.name} (version {artifact.resolve_version(settings)})")
        return
    params = TrainParams(args.eta, args.max_depth, args.min_child_weight, args.rounds, args.seed)
    path, meta = train_and_save(settings, params, make_current=not args.no_current)
    metrics = meta["metrics"]
    print(
        f"data: {meta['data']['source']} ({meta['data']['rows']} rows)\n"
        f"validation AUC: {metrics['val_auc']:.4f}\n"
        f"test AUC:       {metrics['test_auc']:.4f}\n"
        f"version:        {meta['version']}{'' if args.no_current else ' (now CURRENT)'}\n"
        f"artifact:       {path}"
    )


if __name__ == "__main__":
    main()
