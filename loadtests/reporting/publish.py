"""Copy a finished report into docs/results/<name>/ (committed): the Markdown, its charts, the
flame graphs it links and summary.json, but not the raw runs (reports/ stays git-ignored)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from shared.settings import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "docs" / "results"
KEEP = ("*.md", "*.png", "summary.json", "runs/*/flame.svg")


def machine_paths(source: Path) -> list[str]:
    """Paths of this machine a published file must not contain: the checkout the report came
    from, this one, the home directory and the Python installation."""
    root = Path(source).resolve().parent.parent  # <checkout>/reports/<report>
    found = {str(root), str(PROJECT_ROOT), str(Path.home()), sys.prefix, sys.base_prefix}
    return sorted(p for p in found if len(p) > 1)


def check_no_machine_paths(files: list[Path], forbidden: list[str]) -> None:
    for path in files:
        if path.suffix in (".md", ".json", ".svg"):
            text = path.read_text(errors="replace")
            hits = [p for p in forbidden if p in text]
            if hits:
                raise SystemExit(f"{path}: names this machine's {hits[0]} (not publishable)")


def publish(source: Path, name: str, results: Path = RESULTS) -> Path:
    source = Path(source)
    if not (source / "summary.json").exists():
        raise SystemExit(f"{source}: no summary.json (build the report first)")
    chosen = [p for pattern in KEEP for p in sorted(source.glob(pattern))]
    check_no_machine_paths(chosen, machine_paths(source))
    target = results / name
    if target.exists():
        shutil.rmtree(target)
    for path in chosen:
        dest = target / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
    return target
