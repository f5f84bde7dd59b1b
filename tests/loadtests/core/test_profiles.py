"""loadtests.core.profiles: the shipped TOML profiles, their CREDIT_* environment, parsing."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from loadtests.core import profiles
from loadtests.core.profiles import (
    DEFAULT_PROFILES,
    KINDS,
    PROFILE_DIR,
    ProfileError,
    ServerProfile,
)
from shared.settings import PROJECT_ROOT, Settings


@pytest.fixture
def profile_dir(tmp_path, monkeypatch):
    """An empty profile directory in place of loadtests/profiles/ (the cache cleared)."""
    monkeypatch.setattr(profiles, "PROFILE_DIR", tmp_path)
    profiles.available.cache_clear()
    yield tmp_path
    profiles.available.cache_clear()


def _profile(**over) -> ServerProfile:
    return ServerProfile(
        **{"name": "bento-2w", "kind": "bento", "label": "L", "description": "D", **over}
    )


def test_the_shipped_profiles_load_from_their_toml_files():
    found = profiles.available()
    stems = sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))
    assert sorted(found) == stems
    assert set(DEFAULT_PROFILES) <= set(found)
    assert found["flask"].kind == "flask" and found["bento"].kind == "bento"
    for name, profile in found.items():
        assert profile.name == name
        assert profile.label and profile.description
        assert set(profile.settings) <= set(Settings.model_fields)


def test_every_server_kind_starts_a_file_of_the_project():
    for kind in KINDS.values():
        assert kind.command[0].startswith("{bin}/")
        project_files = [a for a in kind.command if a.endswith(".py")]
        modules = [a for a in kind.command if a.startswith("bento_app.")]
        for path in project_files:
            assert (PROJECT_ROOT / path).is_file(), path
        for module in modules:
            assert (PROJECT_ROOT / (module.replace(".", "/") + ".py")).is_file(), module
        assert {kind.port_setting, kind.workers_setting} <= set(Settings.model_fields)


def test_env_maps_settings_port_workers_and_host_to_credit_variables():
    flask = profiles.get("flask")
    assert flask.env(port=19696, workers=3) == {
        **{f"CREDIT_{k.upper()}": str(v).lower() for k, v in flask.settings.items()},
        "CREDIT_FLASK_PORT": "19696",
        "CREDIT_FLASK_WORKERS": "3",
        "CREDIT_HOST": "127.0.0.1",
    }
    tuned = _profile(workers=2, settings={"bento_timeout": 7, "offline": True, "data_url": "u"})
    assert tuned.env(port=3001, workers=1) == {
        "CREDIT_BENTO_TIMEOUT": "7",
        "CREDIT_OFFLINE": "true",
        "CREDIT_DATA_URL": "u",
        "CREDIT_BENTO_PORT": "3001",
        "CREDIT_BENTO_WORKERS": "2",  # the profile fixes its worker count
        "CREDIT_HOST": "127.0.0.1",
    }
    assert _profile(settings={"offline": False}).env(1, 1)["CREDIT_OFFLINE"] == "false"


def test_the_environment_is_what_the_servers_settings_read(monkeypatch):
    tuned = _profile(settings={"bento_timeout": 7, "offline": True})
    for key, value in tuned.env(port=3001, workers=4).items():
        monkeypatch.setenv(key, value)
    s = Settings()
    assert (s.bento_timeout, s.offline, s.bento_port, s.bento_workers, s.host) == (
        7,
        True,
        3001,
        4,
        "127.0.0.1",
    )


def test_workers_for():
    assert _profile().workers_for(3) == 3
    assert _profile(workers=2).workers_for(1) == 2
    assert _profile(workers=2).workers_for(4) == 2


def test_a_setting_that_settings_lacks_is_refused():
    with pytest.raises(ValidationError, match="bento_turbo"):
        _profile(settings={"bento_turbo": True})


@pytest.mark.parametrize(
    "over",
    [
        {"name": "Bento"},
        {"name": "2w"},
        {"kind": "tomcat"},
        {"label": ""},
        {"description": ""},
        {"workers": 0},
        {"port": 1},
    ],
)
def test_a_profile_that_describes_no_server_is_refused(over):
    with pytest.raises(ValidationError):
        _profile(**over)


def test_a_profile_file_is_read_and_named_by_its_stem(profile_dir):
    (profile_dir / "bento-2w.toml").write_text(
        'kind = "bento"\nlabel = "BentoML, 2 workers"\ndescription = "two"\nworkers = 2\n'
        "[settings]\nbento_timeout = 30\noffline = true\n"
    )
    found = profiles.available()
    assert list(found) == ["bento-2w"]
    assert found["bento-2w"] == _profile(
        label="BentoML, 2 workers",
        description="two",
        workers=2,
        settings={"bento_timeout": 30, "offline": True},
    )


@pytest.mark.parametrize(
    "text",
    [
        'kind = "bento"\nlabel = "L"\ndescription = "D"\n[settings]\nbento_turbo = 1\n',
        'kind = "bento"\nlabel = "L"\n',  # no description
        'kind = "bento"\nlabel = "L"\ndescription = "D"\nname = "other"\n',  # the stem names it
        'kind = "bento\n',  # not TOML
    ],
)
def test_a_bad_profile_file_is_refused_naming_the_file(profile_dir, text):
    (profile_dir / "broken.toml").write_text(text)
    with pytest.raises(ProfileError, match="broken.toml"):
        profiles.available()


def test_parse_keeps_the_order_given():
    assert [p.name for p in profiles.parse("bento,flask")] == ["bento", "flask"]
    assert [p.name for p in profiles.parse(" flask , bento ,")] == ["flask", "bento"]
    assert [p.name for p in profiles.parse(["bento"])] == ["bento"]
    assert [p.name for p in profiles.parse(None)] == list(DEFAULT_PROFILES)
    assert [p.name for p in profiles.parse("")] == list(DEFAULT_PROFILES)


def test_parse_refuses_duplicates_and_unknown_names():
    with pytest.raises(ProfileError, match="named twice"):
        profiles.parse("flask,bento,flask")
    with pytest.raises(ProfileError, match=r"unknown profile 'tomcat'; available: .*flask"):
        profiles.parse("flask,tomcat")
    with pytest.raises(ProfileError, match="unknown profile"):
        profiles.get("Flask")


def test_with_settings_adds_settings_and_says_so_in_the_label():
    from loadtests.core.profiles import ProfileError, get, with_settings

    base = get("flask")
    assert with_settings(base, {}) is base
    heavy = with_settings(base, {"model_cost_ms": "2"})
    assert heavy.name == "flask" and heavy.settings["model_cost_ms"] == "2"
    assert heavy.label == "Flask + gunicorn [model_cost_ms=2]"
    assert heavy.env(9999, 1)["CREDIT_MODEL_COST_MS"] == "2"
    with pytest.raises(ProfileError, match="not settings"):
        with_settings(base, {"no_such_setting": 1})


# the settings whose defaults moved with the tuning (docs/performance.md): a profile that left
# one out would change when a default changes, and its old measurements would stop describing it
DEFAULT_MOVED = {
    "bento": ("bento_loop", "bento_http", "bento_timer_fix", "gc_freeze", "model_hot_swap",
              "bento_metrics", "bento_tracing", "bento_access_log", "bento_batch_max_latency_ms",
              "bento_batch_wait_fix", "bento_root_schema_cache", "bento_queue_deadline_ms"),
    "flask": ("gc_freeze", "model_hot_swap", "flask_validation", "flask_metrics",
              "flask_linger_fix"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(profiles.available()))
def test_every_profile_pins_every_setting_a_default_may_change(name):
    profile = profiles.get(name)
    missing = [s for s in DEFAULT_MOVED[profile.kind] if s not in profile.settings]
    assert not missing, f"{name}.toml does not pin {missing}"
