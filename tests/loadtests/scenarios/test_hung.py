"""loadtests/scenarios/hung.py: the plan, and the debug-only delay it needs on the servers."""

import time

from loadtests import scenarios


def test_plan_and_the_debug_switch_it_turns_on(tmp_path):
    scenario = scenarios.get("hung")
    k = scenario.knobs({"warmup": 0})
    assert [p.label for p in scenario.phases(k)] == ["before", "hung"]
    assert k.hang_ms == 40_000 and k.client_timeout == 60
    assert scenario.server_env("flask", tmp_path) == {"CREDIT_DEBUG_DELAY": "true"}


def test_the_delay_header_is_honoured_only_when_the_switch_is_on(predictor, monkeypatch):
    from flask_app import create_app
    from shared.predictor import DEBUG_DELAY_HEADER
    from shared.schema import SAMPLE_APPLICATION
    from shared.settings import get_settings

    def post(switch: str) -> float:
        monkeypatch.setenv("CREDIT_DEBUG_DELAY", switch)
        get_settings.cache_clear()
        client = create_app({"PREDICTOR": predictor}).test_client()
        start = time.thread_time()
        resp = client.post(
            "/classify", json=SAMPLE_APPLICATION, headers={DEBUG_DELAY_HEADER: "200"}
        )
        assert resp.status_code == 200
        return time.thread_time() - start

    try:
        assert post("true") >= 0.2
        assert post("false") < 0.2
    finally:
        get_settings.cache_clear()


def test_a_delay_the_server_never_applied_is_called_out():
    """A service that ignores debug_delay answers the hung request at once: its row must say it
    measures nothing (bento-docs did, before it honoured the switch)."""
    from types import SimpleNamespace

    from loadtests.scenarios.hung import _got

    assert "not applied" in _got(SimpleNamespace(hung_status=200, hung_seconds=0.03), 40_000)
    assert _got(SimpleNamespace(hung_status=200, hung_seconds=40.1), 40_000) == "200 after 40.1 s"
    assert _got(SimpleNamespace(hung_status=504, hung_seconds=30.0), 40_000) == "504 after 30 s"
    assert _got(SimpleNamespace(hung_status=0, hung_seconds=60), 40_000) == "no response after 60 s"
