"""Which model the service serves: a BentoML tag whose version IS the artifact's version.

The version comes from shared.settings (CREDIT_MODEL_VERSION, else the CURRENT file written by
`make train`); never a literal and never ``:latest``. Inside a built bento there is no models/
folder: the build writes the version into ``bento_app/model_version.txt`` of the bento (and
sets CREDIT_MODEL_VERSION in its container image), so a bento serves the model it was built with.
"""

from __future__ import annotations

from pathlib import Path

from bentoml import Tag

from shared import artifact
from shared.settings import Settings, get_settings

PINNED_VERSION_FILE = Path(__file__).with_name("model_version.txt")


def model_tag(settings: Settings | None = None) -> Tag:
    settings = settings or get_settings()
    if settings.model_version is None and PINNED_VERSION_FILE.exists():
        return Tag(settings.model_name, PINNED_VERSION_FILE.read_text().strip())
    return Tag(settings.model_name, artifact.resolve_version(settings))


def artifact_file(tag: Tag) -> str:
    """The pickle's file name inside the store's model directory (same as on disk)."""
    return artifact.bin_path(Path("."), tag.name, tag.version).name
