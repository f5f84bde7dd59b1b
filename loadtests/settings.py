"""Where the load goes: one typed settings object for the load tests (env prefix ``LOAD_``).

The host of every user class comes from here (``LOAD_FLASK_URL``, ``LOAD_BENTO_URL``), never
from sniffing locust's ``--host``; by default they point at the ports `make flask` / `make bento`
use (``CREDIT_FLASK_PORT`` / ``CREDIT_BENTO_PORT``) on 127.0.0.1.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import get_settings

TARGETS = ("flask", "bento")


class LoadSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOAD_", extra="ignore", frozen=True)

    flask_url: str | None = Field(default=None, description="Flask server; default :FLASK_PORT")
    bento_url: str | None = Field(default=None, description="BentoML server; default :BENTO_PORT")
    pool_seed: int = Field(default=7, description="Seed of the payload pool's order")
    client_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a simulated client waits before giving up"
    )

    def url(self, target: str) -> str:
        if target not in TARGETS:
            raise ValueError(f"unknown target {target!r}; expected one of {TARGETS}")
        explicit = self.flask_url if target == "flask" else self.bento_url
        if explicit:
            return explicit.rstrip("/")
        ports = get_settings()
        port = ports.flask_port if target == "flask" else ports.bento_port
        return f"http://127.0.0.1:{port}"


@lru_cache(maxsize=1)
def get_load_settings() -> LoadSettings:
    """Read once, on first use (never at import time)."""
    return LoadSettings()
