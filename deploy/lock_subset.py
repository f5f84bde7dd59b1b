"""Cut a hash-pinned lock down to what some of its top-level packages need.

    python3 deploy/lock_subset.py requirements.lock --without "bentoml pandas"   > flask.txt
    python3 deploy/lock_subset.py requirements-dev.lock locust pydantic          > locust.txt

The images install from the repo's own locks, but the Flask server has no use for BentoML
and its ~55 dependencies (nor for pandas, which only training needs), and the locust image
none for the model stack. Every entry the
output keeps is copied verbatim (same version, same hashes, same markers), so
``pip install --require-hashes`` still checks every file, and pip itself fails if a
dependency were missing from the cut.

Which entries are needed comes from the lock's own ``# via`` comments (uv / pip-tools
format): an entry is kept if it is a chosen root or if a kept entry needs it. Standard
library only: it also runs inside the images' build stage, before anything is installed.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_MARK = "(pyproject.toml)"  # "# via credit-risk-serving (pyproject.toml)"
_REQ = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==")


def normalize(name: str) -> str:
    """PEP 503 name: lower case, runs of ``-_.`` as one ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Entry:
    name: str
    lines: list[str] = field(default_factory=list)
    needed_by: set[str] = field(default_factory=set)  # normalized names, or PROJECT_MARK

    @property
    def text(self) -> str:
        return "".join(self.lines)


def parse(text: str) -> dict[str, Entry]:
    """Entries of a pip-compile/uv lock by normalized name, each with its ``# via`` parents."""
    entries: dict[str, Entry] = {}
    current: Entry | None = None
    for line in text.splitlines(keepends=True):
        match = _REQ.match(line)
        if match:
            current = Entry(normalize(match.group(1)), [line])
            entries[current.name] = current
            continue
        stripped = line.strip()
        if current is None or not stripped:
            continue  # a header before the first entry, blank lines
        current.lines.append(line)  # "--hash=..." continuations and "# via" comments
        if stripped.startswith("# via"):
            rest = stripped[len("# via") :].strip()
            if rest:
                current.needed_by.add(_parent(rest))
        elif stripped.startswith("#   "):
            current.needed_by.add(_parent(stripped[1:].strip()))
    return entries


def _parent(text: str) -> str:
    if text.endswith(PROJECT_MARK):
        return PROJECT_MARK
    if text.startswith("-"):  # "-c requirements.lock", "-r ...": a source, not a parent
        return text
    return normalize(text.split("[")[0].split()[0])


def project_roots(entries: dict[str, Entry]) -> set[str]:
    return {name for name, entry in entries.items() if PROJECT_MARK in entry.needed_by}


def closure(entries: dict[str, Entry], roots: set[str]) -> set[str]:
    """The roots plus everything a kept entry is needed by, to a fixed point."""
    unknown = roots - entries.keys()
    if unknown:
        raise SystemExit(f"not in the lock: {', '.join(sorted(unknown))}")
    kept = set(roots)
    changed = True
    while changed:
        changed = False
        for name, entry in entries.items():
            if name not in kept and entry.needed_by & kept:
                kept.add(name)
                changed = True
    return kept


def subset(text: str, roots: set[str] | None = None, without: set[str] = frozenset()) -> str:
    """The lock's entries needed by ``roots`` (default: the project's own, minus ``without``)."""
    entries = parse(text)
    chosen = {normalize(r) for r in roots} if roots else project_roots(entries)
    chosen -= {normalize(w) for w in without}
    kept = closure(entries, chosen)
    return "".join(entries[name].text for name in entries if name in kept)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lock", type=Path)
    parser.add_argument("roots", nargs="*", help="top-level packages (default: the project's)")
    parser.add_argument(
        "--without", action="append", default=[], help="drop these roots (comma/space separated)"
    )
    args = parser.parse_args(argv)
    roots = {name for arg in args.roots for name in re.split(r"[,\s]+", arg) if name}
    without = {name for arg in args.without for name in re.split(r"[,\s]+", arg) if name}
    sys.stdout.write(subset(args.lock.read_text(), roots, without))


if __name__ == "__main__":
    main()
