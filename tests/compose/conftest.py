"""tests/compose: the container stack for real. Only `make test-compose` runs these (it builds
the images first, then runs ``pytest -m compose tests/compose``).

They carry the ``compose`` marker and are deselected unless the ``-m`` expression asks for
that marker, so a plain `pytest` / `make test` never needs a Docker engine (deselected, not
skipped: where they run, they pass or fail).
"""

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "compose: needs a Docker engine and the built images (make test-compose)"
    )


def _asked_for(config: pytest.Config) -> bool:
    expr = config.option.markexpr or ""
    return "compose" in expr and "not compose" not in expr


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _asked_for(config):
        return
    ours = {item for item in items if HERE in item.path.parents}
    if ours:
        config.hook.pytest_deselected(items=ours)
        items[:] = [item for item in items if item not in ours]
