"""Copy a finished report into docs/results/<name>/ (committed): the Markdown, its charts, the
flame graphs it links and summary.json, but not the raw runs (reports/ stays git-ignored)."""

from __future__ import annotations

import shutil
from pathlib import Path

from shared.settings import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "docs" / "results"
KEEP = ("*.md", "*.png", "summary.json", "runs/*/flame.svg")


def publish(source: Path, name: str, results: Path = RESULTS) -> Path:
    source = Path(source)
    if not (source / "summary.json").exists():
        raise SystemExit(f"{source}: no summary.json (build the report first)")
    target = results / name
    if target.exists():
        shutil.rmtree(target)
    for pattern in KEEP:
        for path in sorted(source.glob(pattern)):
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
    return target
