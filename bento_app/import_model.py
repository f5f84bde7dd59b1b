"""Import the shared artifact into the BentoML model store, idempotently.

    python -m bento_app.import_model [--all]   (make bento does this; --all: every version)

The store tag is ``<model_name>:<artifact version>``; labels and metadata come from the
sidecar. Importing a version already in the store checks that its sha256 matches and does
nothing else. ``bentoml.models.create`` is used instead of ``bentoml.xgboost.save_model``:
the artifact is the course's (DictVectorizer, Booster) pickle, not a bare booster, and the
xgboost framework module requires the ``xgboost`` distribution (this repo uses ``xgboost-cpu``).
"""

from __future__ import annotations

import argparse
import logging
import shutil
from pathlib import Path

import bentoml
from bentoml.exceptions import NotFound

from shared import artifact
from shared.locks import exclusive
from shared.settings import Settings, get_settings

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
    with exclusive(Path(path).parent / ".import.lock"):  # `make bento` + `make bento-build`
        return _import(art.metadata, Path(path))


def _import(meta: dict, path: Path) -> bentoml.Model:
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
    """The model version the settings select, in the store (imported from disk if needed).

    A version pinned with CREDIT_MODEL_VERSION that is already in the store is served from
    there even when its file is not on disk (e.g. after `bentoml models import`).
    """
    if settings.model_version:
        try:
            return bentoml.models.get(f"{settings.model_name}:{settings.model_version}")
        except NotFound:
            pass
    # Training is not in the bento or the images: imported only when a model must be found
    # on disk (or trained) here, so bento_app.serve imports with the serving core alone.
    from shared.training.train import ensure_trained

    return import_artifact(ensure_trained(settings))


def import_all(settings: Settings) -> list[bentoml.Model]:
    """Every artifact version on disk, each under its own tag."""
    return [
        import_artifact(artifact.bin_path(settings.model_dir, settings.model_name, meta["version"]))
        for meta in artifact.list_versions(settings.model_dir, settings.model_name)
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="import artifacts into the BentoML store")
    parser.add_argument("--all", action="store_true", help="every version on disk")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    settings = get_settings()
    models = [ensure_imported(settings)]
    if args.all:
        models = import_all(settings)
    for model in models:
        print(f"{model.tag} is in the model store at {model.path}")


if __name__ == "__main__":
    main()
