"""A user class per target (loadtests.core.targets) and kind of traffic, made from the list
of targets, so no locustfile is written per server."""

from __future__ import annotations

import re

from loadtests.core.phases import TRAFFIC
from loadtests.core.targets import targets
from loadtests.generator import users

USER_BASES = {
    "classify": users.ClassifyUser,
    "classify_batch": users.ClassifyBatchUser,
    "bad_input": users.BadInputUser,
}
assert set(USER_BASES) == set(TRAFFIC)


def class_name(target: str, traffic: str) -> str:
    """("bento-tuned", "classify_batch") -> "BentoTunedClassifyBatch"."""
    return "".join(part.capitalize() for part in re.split(r"[-_]", f"{target}-{traffic}"))


def user_classes(urls: dict[str, str] | None = None) -> dict[str, type]:
    """One concrete user class per target and traffic kind, host set, by class name."""
    made = {}
    for target, url in (urls or targets()).items():
        for traffic, base in USER_BASES.items():
            name = class_name(target, traffic)
            made[name] = type(name, (base,), {"target": target, "host": url, "abstract": False})
    return made
