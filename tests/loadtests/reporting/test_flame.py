"""loadtests/reporting/flame.py: collapsed stacks -> categories and a flame graph SVG."""

import xml.etree.ElementTree as ET

import pytest

from loadtests.reporting import flame

SVG = "{http://www.w3.org/2000/svg}"


def _write(tmp_path, name, lines):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_read_stacks_sums_the_same_stack_over_files(tmp_path):
    a = _write(tmp_path, "a.txt", ["main (x.py:1);f (x.py:2) 3", "main (x.py:1) 2"])
    b = _write(tmp_path, "b.txt", ["main (x.py:1);f (x.py:2) 4", "garbage line"])
    stacks = flame.read_stacks([a, b])
    assert stacks == {("main (x.py:1)", "f (x.py:2)"): 7, ("main (x.py:1)",): 2}


def test_the_innermost_matching_frame_decides_the_category():
    stacks = {
        ("run (/uvicorn/server.py:1)", "validate (/pydantic/main.py:2)"): 5,
        ("run (/uvicorn/server.py:1)", "predict (shared/predictor.py:3)", "x (/numpy/a.py:1)"): 3,
        ("run (/uvicorn/server.py:1)",): 2,
        ("mystery (nowhere.py:1)",): 1,
    }
    categories = [
        ("model", ("shared/predictor.py", "/numpy/")),
        ("validation", ("/pydantic/",)),
        ("framework", ("/uvicorn/",)),
    ]
    assert flame.categorize(stacks, categories) == {
        "model": 3,
        "validation": 5,
        "framework": 2,
        "other": 1,
    }


def test_svg_is_well_formed_even_with_markup_in_frame_names(tmp_path):
    stacks = {
        ("<module> (/x/site-packages/app/a.py:1)", "handle<&> (/x/site-packages/app/b.py:9)"): 9,
        ("<module> (/x/site-packages/app/a.py:1)", "idle (/x/site-packages/app/c.py:3)"): 1,
    }
    path = flame.svg(stacks, "title <with> & markup", tmp_path / "flame.svg")
    root = ET.parse(path).getroot()
    titles = [g.find(f"{SVG}title").text for g in root.findall(f"{SVG}g")]
    assert "<module> (app/a.py): 10 samples, 100.0 %" in titles
    assert any(t.startswith("handle<&> (app/b.py): 9 samples, 90.0 %") for t in titles)
    widths = {g.find(f"{SVG}title").text.split(":")[0]: float(g.find(f"{SVG}rect").get("width"))
              for g in root.findall(f"{SVG}g")}  # fmt: skip
    assert widths["<module> (app/a.py)"] == flame.WIDTH_PX
    assert widths["handle<&> (app/b.py)"] == 0.9 * flame.WIDTH_PX


@pytest.mark.parametrize(
    ("frame", "short"),
    [
        ("run (/x/.venv/lib/python3.11/site-packages/uvicorn/server.py:66)",
         "run (uvicorn/server.py)"),
        ("select (/home/u/.pyenv/versions/3.11.7/lib/python3.11/selectors.py:468)",
         "select (selectors.py)"),
        ("classify (/srv/checkout/bento_app/service.py:70)", "classify (bento_app/service.py)"),
        ("f (/somewhere/else/tool.py:3)", "f (tool.py)"),
        ("<module>", "<module>"),
    ],
)  # fmt: skip
def test_frames_lose_the_machines_paths(frame, short):
    assert flame._short(frame) == short
