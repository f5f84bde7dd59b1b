"""List the model versions on disk, or promote one (make models, make promote).

python -m shared.tools.versions [--json]
python -m shared.tools.versions promote VERSION
"""

from __future__ import annotations

import argparse
import json

from shared import artifact
from shared.settings import get_settings


def rows(settings=None) -> list[dict]:
    settings = settings or get_settings()
    current = artifact.current_version(settings.model_dir)
    out = []
    for meta in artifact.list_versions(settings.model_dir, settings.model_name):
        out.append(
            {
                "version": meta["version"],
                "current": meta["version"] == current,
                "created_at": meta.get("created_at", "?"),
                "data_source": meta.get("data", {}).get("source", "?"),
                "test_auc": meta.get("metrics", {}).get("test_auc"),
                "params": meta.get("params", {}),
                "libraries": meta.get("libraries", {}),
            }
        )
    return out


def format_table(found: list[dict]) -> str:
    if not found:
        return "no model versions yet: run `make train`"
    header = (
        f"{'':2}{'version':14}{'created (UTC)':31}{'data':11}{'test AUC':>9}  params / libraries"
    )
    lines = [header]
    for row in found:
        p, libs = row["params"], row["libraries"]
        params = (
            f"eta={p.get('eta')} depth={p.get('max_depth')} "
            f"mcw={p.get('min_child_weight')} rounds={p.get('num_boost_round')}"
        )
        lib = " ".join(f"{k}={v}" for k, v in sorted(libs.items()))
        auc = f"{row['test_auc']:.4f}" if row["test_auc"] is not None else "?"
        lines.append(
            f"{'*' if row['current'] else ' ':2}{row['version']:14}{row['created_at']:31}"
            f"{row['data_source']:11}{auc:>9}  {params} | {lib}"
        )
    lines.append("* = CURRENT (served unless CREDIT_MODEL_VERSION / MODEL_VERSION says otherwise)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="list model versions, or promote one")
    parser.add_argument("--json", action="store_true")
    sub = parser.add_subparsers(dest="command")
    promote_cmd = sub.add_parser("promote", help="make a version CURRENT")
    promote_cmd.add_argument("version")
    args = parser.parse_args(argv)
    if args.command == "promote":
        meta = artifact.promote(get_settings(), args.version)
        print(f"CURRENT is now {meta['version']} (test AUC {meta['metrics']['test_auc']:.4f})")
        return
    found = rows()
    print(json.dumps(found, indent=2) if args.json else format_table(found))


if __name__ == "__main__":
    main()
