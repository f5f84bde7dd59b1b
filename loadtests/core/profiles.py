"""Server profiles: what is started and measured, as data (one TOML file per profile).

A profile is a server kind (``flask``: gunicorn + the Flask app, ``bento``: ``bentoml serve``)
plus settings of ``shared.settings.Settings`` (the ``CREDIT_*`` variables the servers read),
and optionally a fixed worker count. ``loadtests/profiles/<name>.toml``::

    kind = "bento"
    label = "BentoML, 2 workers"
    description = "the landed service with a second worker"
    workers = 2
    [settings]
    bento_timeout = 30

Adding a profile is adding such a file; every runner, dashboard, comparison, chart and report
takes profiles by name (``make compare PROFILES=flask,bento,bento-2w``). What the server then
really runs with is what it reports about itself (GET /info, ``serving``), recorded per run.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

PROFILE_DIR = Path(__file__).resolve().parents[1] / "profiles"
DEFAULT_PROFILES = ("flask", "bento")

Kind = Literal["flask", "bento"]


@dataclass(frozen=True)
class ServerKind:
    """How to start and probe one kind of server (the same commands `make flask|bento` run)."""

    command: tuple[str, ...]  # argv after the venv's bin/ directory ("{bin}" prefix)
    health_path: str
    port_setting: str  # the Settings field with its port
    workers_setting: str  # the Settings field with its worker count


KINDS: dict[str, ServerKind] = {
    "flask": ServerKind(
        ("{bin}/gunicorn", "-c", "flask_app/gunicorn_conf.py", "flask_app:create_app()"),
        "/healthz",
        "flask_port",
        "flask_workers",
    ),
    "bento": ServerKind(
        ("{bin}/python", "-m", "bento_app.serve"), "/readyz", "bento_port", "bento_workers"
    ),
}


class ProfileError(ValueError):
    """An unknown profile, or a profile file that does not describe one."""


class ServerProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    kind: Kind
    label: str = Field(min_length=1)
    description: str = Field(min_length=1)
    workers: int | None = Field(default=None, ge=1)
    settings: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @field_validator("settings")
    @classmethod
    def _known_settings(cls, value: dict[str, Any]) -> dict[str, Any]:
        from shared.settings import Settings

        unknown = set(value) - set(Settings.model_fields)
        if unknown:
            raise ValueError(f"not settings of shared.settings.Settings: {sorted(unknown)}")
        return value

    @property
    def server(self) -> ServerKind:
        return KINDS[self.kind]

    def workers_for(self, requested: int) -> int:
        """The profile's own worker count if it fixes one, else the run's."""
        return self.workers or requested

    def env(self, port: int, workers: int) -> dict[str, str]:
        """CREDIT_* variables that start this profile's server on ``port``."""
        values: dict[str, Any] = {
            **self.settings,
            self.server.port_setting: port,
            self.server.workers_setting: self.workers_for(workers),
            "host": "127.0.0.1",
        }
        return {f"CREDIT_{key.upper()}": _env_value(value) for key, value in values.items()}


def _env_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@cache
def available() -> dict[str, ServerProfile]:
    """Every profile under loadtests/profiles/, by name."""
    found = {}
    for path in sorted(PROFILE_DIR.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text())
            if "name" in data:
                raise ValueError("a profile is named by its file: remove 'name'")
            found[path.stem] = ServerProfile(name=path.stem, **data)
        except (tomllib.TOMLDecodeError, ValueError) as exc:
            raise ProfileError(f"{path}: {exc}") from exc
    return found


def get(name: str) -> ServerProfile:
    profiles = available()
    if name not in profiles:
        raise ProfileError(f"unknown profile {name!r}; available: {', '.join(profiles)}")
    return profiles[name]


def with_settings(profile: ServerProfile, extra: dict[str, Any]) -> ServerProfile:
    """The profile with more settings (``--server-set``), its label saying which (validated
    like a profile file)."""
    if not extra:
        return profile
    note = ", ".join(f"{k}={v}" for k, v in extra.items())
    data = profile.model_dump()
    data["settings"] = {**profile.settings, **extra}
    data["label"] = f"{profile.label} [{note}]"
    try:
        return ServerProfile(**data)
    except ValueError as exc:
        raise ProfileError(f"--server-set {note}: {exc}") from None


def parse(names: str | list[str] | tuple[str, ...] | None) -> list[ServerProfile]:
    """'flask,bento' -> their profiles, in that order (the first is the baseline)."""
    if names is None or names == "":
        names = list(DEFAULT_PROFILES)
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    if len(set(names)) != len(names):
        raise ProfileError(f"a profile is named twice: {names}")
    return [get(n) for n in names]
