"""The scenarios, one module each; found by looking, not by a list (add a module, get a
scenario). ``get(name)``, ``names()``; ``all_scenarios()`` in `compare-all` order."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from loadtests.scenarios.base import Scenario, Summary

__all__ = ["Scenario", "Summary", "all_scenarios", "get", "names"]


@cache
def _registry() -> dict[str, Scenario]:
    found: dict[str, Scenario] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Scenario)
                and value.__module__ == module.__name__
                and value.name
            ):
                if value.name in found:
                    raise ValueError(f"two scenarios named {value.name!r}")
                found[value.name] = value()
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))


def all_scenarios() -> list[Scenario]:
    return list(_registry().values())


def names() -> list[str]:
    return list(_registry())


def get(name: str) -> Scenario:
    registry = _registry()
    if name not in registry:
        raise ValueError(f"unknown scenario {name!r}; expected one of {', '.join(registry)}")
    return registry[name]
