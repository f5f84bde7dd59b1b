"""The few Markdown forms the reports use: tables and bullet lists."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(str(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def bullets(items: Iterable[str]) -> list[str]:
    return [f"- {item}" for item in items]


def image(path: str, alt: str) -> list[str]:
    return [f"![{alt}]({path})", ""]


def write(path, lines: Iterable[str]):
    from pathlib import Path

    path = Path(path)
    path.write_text("\n".join(lines).rstrip("\n") + "\n")
    return path
