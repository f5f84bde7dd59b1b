"""A flame graph (SVG) from collapsed stacks ("a;b;c count" lines, py-spy's raw format), and
the share of samples per category of code. Written here rather than taken from a tool: py-spy
writes either the SVG or the raw stacks per run, and the reports need both."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

ROW_PX = 16
WIDTH_PX = 1200
MIN_TEXT_PX = 40


def read_stacks(paths: Iterable[Path]) -> dict[tuple[str, ...], int]:
    stacks: dict[tuple[str, ...], int] = {}
    for path in paths:
        for line in Path(path).read_text().splitlines():
            frames, _, count = line.rpartition(" ")
            if frames and count.isdigit():
                key = tuple(frames.split(";"))
                stacks[key] = stacks.get(key, 0) + int(count)
    return stacks


def categorize(
    stacks: dict[tuple[str, ...], int], categories: Sequence[tuple[str, Sequence[str]]]
) -> dict[str, int]:
    """Samples per category: the category of the frame nearest the leaf that matches one."""
    out: dict[str, int] = {name: 0 for name, _ in categories}
    out["other"] = 0
    for frames, count in stacks.items():
        for frame in reversed(frames):
            name = next((n for n, marks in categories if any(m in frame for m in marks)), None)
            if name:
                out[name] += count
                break
        else:
            out["other"] += count
    return out


_LIBRARY = re.compile(r"^.*/(?:site-packages|lib/python3\.\d+)/")
_PROJECT = re.compile(r"^.*?/((?:bento_app|flask_app|shared|loadtests)/)")


def _short(frame: str) -> str:
    """'Server.run (/x/site-packages/uvicorn/server.py:66)' -> 'Server.run (uvicorn/server.py)':
    library and project paths without the machine's part (the graphs are published)."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    where = _PROJECT.sub(r"\1", _LIBRARY.sub("", where))
    if where.startswith("/"):
        where = where.rsplit("/", 1)[-1]  # anything else: the file name only
    return f"{name} ({where})" if where else name


def svg(stacks: dict[tuple[str, ...], int], title: str, path: Path) -> Path:
    """An icicle-style flame graph: the root on top, each frame as wide as its samples."""
    tree: dict = {}
    for frames, count in stacks.items():
        node = tree
        for frame in frames:
            child = node.setdefault(_short(frame), {"n": 0, "kids": {}})
            child["n"] += count
            node = child["kids"]
    total = sum(stacks.values()) or 1
    rects: list[str] = []
    depth_max = 0

    def draw(children: dict, x: float, depth: int) -> None:
        nonlocal depth_max
        depth_max = max(depth_max, depth)
        for name, node in sorted(children.items()):
            width = WIDTH_PX * node["n"] / total
            if width >= 0.5:
                y = 30 + depth * ROW_PX
                hue = 20 + (hash(name.split(" (")[-1]) % 40)
                tip = f"{html.escape(name)}: {node['n']} samples, {100 * node['n'] / total:.1f} %"
                text = ""
                if width > MIN_TEXT_PX:
                    chars = int(width / 7)
                    shown = name if len(name) <= chars else name[: max(chars - 2, 1)] + ".."
                    text = f'<text x="{x + 3:.1f}" y="{y + 12}">{html.escape(shown)}</text>'
                rects.append(
                    f'<g><title>{tip}</title><rect x="{x:.1f}" y="{y}" width="{width:.1f}" '
                    f'height="{ROW_PX - 1}" fill="hsl({hue},80%,60%)"/>{text}</g>'
                )
                draw(node["kids"], x, depth + 1)
            x += width

    draw(tree, 0.0, 0)
    height = 40 + (depth_max + 1) * ROW_PX
    path.write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH_PX}" height="{height}" '
        'font-family="monospace" font-size="11">'
        f'<text x="4" y="18" font-size="14">{html.escape(title)} ({total} samples; hover for '
        "names)</text>" + "".join(rects) + "</svg>\n"
    )
    return path
