"""tests/compose: the container stack for real. Only `make test-compose` runs these (it builds
the images first); they carry the ``compose`` marker, which plain `make test` deselects."""

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "compose: needs a Docker engine and the built images (make test-compose)"
    )
