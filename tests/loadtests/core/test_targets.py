"""loadtests.core.targets: the LOAD_TARGETS list of servers to drive."""

from __future__ import annotations

import pytest

from loadtests.core import targets
from loadtests.core.targets import ENV, format_targets, parse
from shared.settings import get_settings


def test_parse_names_urls_in_order():
    parsed = parse("flask=http://127.0.0.1:9696, bento-2w=http://127.0.0.1:3000/,")
    assert parsed == {"flask": "http://127.0.0.1:9696", "bento-2w": "http://127.0.0.1:3000"}
    assert list(parsed) == ["flask", "bento-2w"]
    assert parse("a=https://example.org") == {"a": "https://example.org"}


@pytest.mark.parametrize(
    "text",
    [
        "flask",  # no url
        "flask:http://h:1",  # no '='
        "Flask=http://h:1",  # not a request name prefix
        "2w=http://h:1",
        "flask=127.0.0.1:9696",  # no scheme
        "flask=",
        "=http://h:1",
    ],
)
def test_parse_refuses_what_is_not_name_equals_url(text):
    with pytest.raises(ValueError, match=rf"{ENV}: expected name=http://host:port"):
        parse(text)


@pytest.mark.parametrize("text", ["", " , ,"])
def test_parse_refuses_no_target(text):
    with pytest.raises(ValueError, match="names no target"):
        parse(text)


def test_format_targets_round_trips():
    urls = {"flask": "http://127.0.0.1:1", "bento": "http://127.0.0.1:2"}
    assert format_targets(urls) == "flask=http://127.0.0.1:1,bento=http://127.0.0.1:2"
    assert parse(format_targets(urls)) == urls


def test_targets_come_from_the_environment(monkeypatch):
    monkeypatch.setenv(ENV, "x=http://h:1")
    assert targets.targets() == {"x": "http://h:1"}


@pytest.fixture
def fresh_settings():
    """get_settings() is read once per process: read it again in this test, and after."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_without_the_variable_the_default_ports_of_make_flask_and_bento(
    monkeypatch, fresh_settings
):
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setenv("CREDIT_FLASK_PORT", "19696")
    monkeypatch.setenv("CREDIT_BENTO_PORT", "13000")
    assert targets.targets() == {
        "flask": "http://127.0.0.1:19696",
        "bento": "http://127.0.0.1:13000",
    }
    monkeypatch.setenv(ENV, "")  # empty: the default too
    assert list(targets.targets()) == ["flask", "bento"]
