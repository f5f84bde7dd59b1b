"""Run INSIDE another virtualenv by shared.tools.drift_demo: load the pickle two ways, report JSON.

    python drift_probe.py ARTIFACT ROWS_JSON OUT_JSON

1. The course's way: ``pickle.load`` + ``dv.transform`` + ``xgb.DMatrix`` + ``predict``, with
   every warning and error captured (no checksum, no version check: what a plain Flask app does).
2. The guard: ``shared.artifact.load`` (checksum + recorded library versions).
Only the standard library, numpy, scikit-learn and xgboost are needed for part 1.
"""

from __future__ import annotations

import json
import pickle
import platform
import sys
import traceback
import warnings


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for module, name in (("numpy", "numpy"), ("sklearn", "scikit-learn"), ("xgboost", "xgboost")):
        try:
            found[name] = __import__(module).__version__
        except Exception as exc:  # noqa: BLE001 - a report, not a service
            found[name] = f"import failed: {exc}"
    return found


def _warning_text(caught) -> list[str]:
    seen = []
    for w in caught:
        text = f"{w.category.__name__}: {str(w.message).splitlines()[0][:200]}"
        if text not in seen:
            seen.append(text)
    return seen


def course_way(artifact_path: str, rows: list[dict]) -> dict:
    result: dict = {"warnings": [], "error": None, "probabilities": None}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            import xgboost as xgb

            with open(artifact_path, "rb") as fh:
                dv, booster = pickle.load(fh)  # noqa: S301 - the demo shows why this is risky
            x = dv.transform(rows)
            names = list(dv.feature_names_)
            result["probabilities"] = [
                float(p) for p in booster.predict(xgb.DMatrix(x, feature_names=names))
            ]
        except Exception as exc:  # noqa: BLE001
            result["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            result["traceback_tail"] = traceback.format_exc().splitlines()[-3:]
    result["warnings"] = _warning_text(caught)
    return result


def guard(artifact_path: str) -> dict:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mismatches: dict = {}
        try:
            from shared import artifact

            loaded = artifact.load(artifact_path)
            mismatches = artifact.version_mismatches(loaded.metadata["libraries"])
            error = None
        except Exception as exc:  # noqa: BLE001
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return {
        "warnings": [w for w in _warning_text(caught) if w.startswith("VersionMismatchWarning")],
        "mismatches": mismatches,
        "error": error,
    }


def main() -> None:
    artifact_path, rows_path, out_path = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(rows_path) as fh:
        rows = json.load(fh)
    report = {
        "versions": _versions(),
        "course": course_way(artifact_path, rows),
        "guard": guard(artifact_path),
    }
    with open(out_path, "w") as fh:  # not stdout: old xgboost prints its warnings there
        json.dump(report, fh)


if __name__ == "__main__":
    main()
