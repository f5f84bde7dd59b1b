"""Which model the service serves: a BentoML tag whose version IS the artifact's version.

The version comes from shared.settings (CREDIT_MODEL_VERSION, else the CURRENT file written by
`make train`); never a literal and never ``:latest``. Inside a built bento there is no models/
folder: the build records the version as the bento's CREDIT_MODEL_VERSION env var.
"""

from __future__ import annotations

from bentoml import Tag

from shared import artifact
from shared.settings import Settings, get_settings


def model_tag(settings: Settings | None = None) -> Tag:
    settings = settings or get_settings()
    return Tag(settings.model_name, artifact.resolve_version(settings))


def artifact_file(tag: Tag) -> str:
    """The pickle's file name inside the store's model directory (same as on disk)."""
    return artifact.bin_path(artifact.Path("."), tag.name, tag.version).name
