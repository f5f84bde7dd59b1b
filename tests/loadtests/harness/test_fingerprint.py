"""loadtests.harness.fingerprint: content fingerprints of code, for like-for-like checks."""

from __future__ import annotations

import hashlib
import re

import pytest

from loadtests.harness.fingerprint import SERVER_CODE, files_fingerprint, server_code_fingerprint


@pytest.fixture
def tree(tmp_path):
    for name, text in {
        "shared/a.py": "A = 1\n",
        "shared/sub/b.py": "B = 2\n",
        "flask_app/__init__.py": "",
        "bento_app/service.py": "S = 3\n",
        "bento_app/README.md": "docs\n",
        "loadtests/x.py": "X = 4\n",
    }.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_files_fingerprint_is_sha256_over_relative_paths_and_contents(tree):
    paths = [tree / "shared/sub/b.py", tree / "shared/a.py"]
    expected = hashlib.sha256(b"shared/a.py\0A = 1\nshared/sub/b.py\0B = 2\n").hexdigest()
    assert files_fingerprint(paths, tree) == expected
    assert files_fingerprint(paths + paths[:1], tree) == expected  # order and repeats: no matter


def test_files_fingerprint_changes_with_a_content_or_a_name(tree):
    paths = [tree / "shared/a.py", tree / "shared/sub/b.py"]
    before = files_fingerprint(paths, tree)
    (tree / "shared/a.py").write_text("A = 2\n")
    assert files_fingerprint(paths, tree) != before
    (tree / "shared/a.py").write_text("A = 1\n")
    assert files_fingerprint(paths, tree) == before
    (tree / "shared/a.py").rename(tree / "shared/c.py")
    assert files_fingerprint([tree / "shared/c.py", paths[1]], tree) != before


def test_server_code_is_the_python_files_of_the_server_packages(tree):
    before = server_code_fingerprint(tree)
    expected = files_fingerprint(
        [
            tree / p
            for p in (
                "shared/a.py",
                "shared/sub/b.py",
                "flask_app/__init__.py",
                "bento_app/service.py",
            )
        ],
        tree,
    )
    assert before == expected
    (tree / "bento_app/README.md").write_text("other docs\n")  # not code
    (tree / "loadtests/x.py").write_text("X = 5\n")  # not server code
    assert server_code_fingerprint(tree) == before
    (tree / "flask_app/new.py").write_text("")  # a new module is new code
    assert server_code_fingerprint(tree) != before


def test_the_projects_server_code_fingerprint():
    assert set(SERVER_CODE) == {"shared", "flask_app", "bento_app"}
    value = server_code_fingerprint()
    assert re.fullmatch(r"[0-9a-f]{64}", value)
    assert server_code_fingerprint() == value
