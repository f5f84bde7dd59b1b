"""What counts as a correct answer: body checks shared by every user class (pure).

A 200 is only a success if its body is a prediction of the contract: a known status that
agrees with the probability under the course's thresholds, a probability in [0, 1], a model
version, and the same version in the X-Model-Version header. Each function returns a short,
low-cardinality problem description (it becomes a locust error row) or None.
"""

from __future__ import annotations

from typing import Any

from shared.decision import decide

STATUSES = ("APPROVED", "MAYBE", "DECLINED")
VERSION_HEADER = "X-Model-Version"


def prediction_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "body is not a JSON object"
    status = body.get("status")
    probability = body.get("default_probability")
    version = body.get("model_version")
    if status not in STATUSES:
        return "unknown or missing status"
    if isinstance(probability, bool) or not isinstance(probability, int | float):
        return "default_probability is not a number"
    if not 0.0 <= probability <= 1.0:
        return "default_probability outside [0, 1]"
    if decide(float(probability)) != status:
        return "status disagrees with default_probability"
    if not isinstance(version, str) or not version:
        return "missing model_version"
    return None


def batch_problem(body: Any, expected_items: int) -> str | None:
    if not isinstance(body, list):
        return "body is not a JSON list"
    if len(body) != expected_items:
        return "wrong number of predictions"
    for item in body:
        if problem := prediction_problem(item):
            return problem
    if len({item["model_version"] for item in body}) > 1:
        return "mixed model versions in one batch"
    return None


def header_problem(header_version: str | None, body_version: str) -> str | None:
    if not header_version:
        return f"no {VERSION_HEADER} header"
    if header_version != body_version:
        return f"{VERSION_HEADER} header differs from the body's model_version"
    return None


def error_name(error: BaseException | None) -> str:
    """The error's class, and the one it wraps: geventhttpclient gives up with RetriesExceeded
    whatever went wrong (a timeout, a reset), keeping the last error as ``original``."""
    if error is None:
        return "connection failed"
    original = getattr(error, "original", None)
    inner = f": {type(original).__name__}" if isinstance(original, BaseException) else ""
    return f"{type(error).__name__}{inner}"
