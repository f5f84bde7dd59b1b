"""Where the load goes: the servers to drive, by name (no locust import: the harness uses it).

``LOAD_TARGETS="flask=http://127.0.0.1:9696,bento=http://127.0.0.1:3000"`` (the harness sets
it; by default the ports `make flask` and `make bento` use). A target's name is the request
name prefix ("flask classify") and, in a comparison, the profile's name.
"""

from __future__ import annotations

import os
import re

ENV = "LOAD_TARGETS"


def default_targets() -> str:
    from shared.settings import get_settings

    s = get_settings()
    return f"flask=http://127.0.0.1:{s.flask_port},bento=http://127.0.0.1:{s.bento_port}"


def parse(text: str) -> dict[str, str]:
    """'a=http://h:1,b=http://h:2' -> {"a": "http://h:1", "b": "http://h:2"}."""
    out = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, url = item.partition("=")
        if not sep or not re.fullmatch(r"[a-z][a-z0-9-]*", name) or not url.startswith("http"):
            raise ValueError(f"{ENV}: expected name=http://host:port, got {item!r}")
        out[name] = url.rstrip("/")
    if not out:
        raise ValueError(f"{ENV} names no target")
    return out


def targets() -> dict[str, str]:
    return parse(os.environ.get(ENV) or default_targets())


def format_targets(urls: dict[str, str]) -> str:
    return ",".join(f"{name}={url}" for name, url in urls.items())
