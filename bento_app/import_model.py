"""Import the shared artifact into the BentoML model store, idempotently.

    python -m bento_app.import_model        (make bento does this)

The store tag is ``<model_name>:<artifact version>``; labels and metadata come from the
sidecar. Importing a version already in the store checks that its sha256 matches and does
nothing else. ``bentoml.models.create`` is used instead of ``bentoml.xgboost.save_model``:
the artifact is the course's (DictVectorizer, Booster) pickle, not a bare booster, and the
xgboost framework module requires the ``xgboost`` distribution (this repo uses ``xgboost-cpu``).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import bentoml
from bentoml.exceptions import NotFound

from bento_app.model_ref import model_tag
from shared import artifact
from shared.settings import Settings, get_settings
from shared.train import ensure_trained

log = logging.getLogger(__name__)


def _labels(meta: dict) -> dict[str, str]:
    return {
        "data_source": meta["data"]["source"],
        "framework": "xgboost",
        "stage": "course-final" if meta["params"]["num_boost_round"] == 175 else "experiment",
    }


def _metadata(meta: dict) -> dict:
    """The sidecar's facts as flat, store-friendly metadata."""
    return {
        "sha256": meta["sha256"],
        "created_at": meta["created_at"],
        "data_sha256": meta["data"]["sha256"],
        "data_source": meta["data"]["source"],
        **{f"metric_{k}": v for k, v in meta["metrics"].items()},
        **{f"param_{k}": v for k, v in meta["params"].items()},
        **{f"lib_{k}": v for k, v in meta["libraries"].items()},
    }


def import_artifact(path: Path) -> bentoml.Model:
    """Put the verified artifact at ``path`` into the store (no-op if already there)."""
    art = artifact.load(path)  # refuses a tampered file before anything enters the store
    meta = art.metadata
    tag = f"{meta['name']}:{meta['version']}"
    try:
        existing = bentoml.models.get(tag)
    except NotFound:
        existing = None
    if existing is not None:
        if existing.info.metadata.get("sha256") != meta["sha256"]:
            raise artifact.ArtifactError(f"store model {tag} holds different bytes than {path}")
        return existing
    with bentoml.models.create(
        tag, labels=_labels(meta), metadata=_metadata(meta), module="shared.artifact"
    ) as model:
        for source in (path, artifact.sidecar_path(path)):
            shutil.copy2(source, model.path_of(source.name))
    log.info("imported %s into the BentoML model store", tag)
    return bentoml.models.get(tag)


def ensure_imported(settings: Settings) -> bentoml.Model:
    path = ensure_trained(settings)
    model = import_artifact(path)
    if model.tag != model_tag(settings):
        raise artifact.ArtifactError(
            f"imported {model.tag}, but settings select {model_tag(settings)}"
        )
    return model


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    model = ensure_imported(get_settings())
    print(f"{model.tag} is in the model store at {model.path}")


if __name__ == "__main__":
    main()
