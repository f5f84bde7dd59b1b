"""Build a bento: code + the pinned environment + the model, ready for `bentoml serve <tag>`.

    python -m bento_app.build        (make bento-build; no Docker needed)

Packages come from the repo's hash-pinned requirements.lock (BentoML's own locking is off:
the lock already pins every package, so the bento runs the exact versions the artifact was
trained with). The build runs from a staging copy of just the service's code plus
``bento_app/model_version.txt`` naming the model version (and CREDIT_MODEL_VERSION for its
container), so the bento serves the model it was built with and nothing else.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import bentoml
from bentoml._internal.bento.build_config import BentoEnvSchema

from bento_app.import_model import ensure_imported
from bento_app.model_ref import PINNED_VERSION_FILE
from bento_app.serve import SERVICE
from shared.settings import PROJECT_ROOT, Settings, get_settings

# The bento's code: the serving core (shared/*.py, not shared/training or shared/tools) and
# the service package. INCLUDE is what stage() copies, BENTO_INCLUDE what the bento takes.
CODE = ["shared/*.py", "bento_app/*.py"]
INCLUDE = [*CODE, "bento_app/README.md", "requirements.lock"]
BENTO_INCLUDE = [*CODE, "bento_app/model_version.txt"]


def stage(version: str, into: Path) -> Path:
    """Copy the files the bento needs into ``into`` and pin the model version there."""
    for pattern in INCLUDE:
        for source in PROJECT_ROOT.glob(pattern):
            target = into / source.relative_to(PROJECT_ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    pinned = into / PINNED_VERSION_FILE.relative_to(PROJECT_ROOT)
    pinned.write_text(f"{version}\n")
    return into


def build(settings: Settings) -> bentoml.Bento:
    model = ensure_imported(settings)
    with tempfile.TemporaryDirectory(prefix="bento-build-") as tmp:
        return _build(model, stage(model.tag.version, Path(tmp)))


def _build(model: bentoml.Model, context: Path) -> bentoml.Bento:
    meta = model.info.metadata
    return bentoml.bentos.build(
        SERVICE,
        labels={"model_version": model.tag.version, "data_source": str(meta["data_source"])},
        include=BENTO_INCLUDE,
        envs=[
            BentoEnvSchema(name="CREDIT_MODEL_VERSION", value=model.tag.version),
            BentoEnvSchema(name="BENTOML_DO_NOT_TRACK", value="true"),
        ],
        python={
            "requirements_txt": "requirements.lock",  # relative to build_ctx
            "lock_packages": False,
        },
        docker={"python_version": "3.11"},
        build_ctx=str(context),
    )


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    bento = build(get_settings())
    print(f"built {bento.tag} at {bento.path}\nserve it with: bentoml serve {bento.tag}")


if __name__ == "__main__":
    main()
