"""Locust's command line, built in one place for every mode (headless run, web UI, master,
worker): the one locustfile, the scenario and its knobs as options, the payload pool."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shared.settings import PROJECT_ROOT

LOCUSTFILE = PROJECT_ROOT / "loadtests" / "locustfiles" / "locustfile.py"


def option_args(values: Mapping[str, Any]) -> list[str]:
    """{"spike_factor": 4.0} -> ["--spike-factor", "4"] (floats exact: 100/3 stays 100/3)."""
    args = []
    for key, value in values.items():
        args += [
            "--" + key.replace("_", "-"),
            repr(value).removesuffix(".0") if isinstance(value, float) else str(value),
        ]
    return args


def locust_argv(
    *,
    pool: Path | None,
    scenario: str | None = None,
    knobs: Mapping[str, Any] | None = None,
    files: Mapping[str, Path] | None = None,
    processes: int = 0,
    cpus: str | None = None,
    extra: list[str] | None = None,
) -> list[str]:
    argv = [str(Path(sys.executable).parent / "locust"), "-f", str(LOCUSTFILE)]
    if scenario:
        argv += ["--scenario", scenario]
    argv += option_args(knobs or {})
    if pool is not None:
        argv += ["--pool-file", str(pool)]
    for name, path in (files or {}).items():
        argv += ["--" + name.replace("_", "-"), str(path)]
    if processes:
        argv += ["--processes", str(processes)]
    argv += extra or []
    return ["taskset", "-c", cpus, *argv] if cpus else argv
