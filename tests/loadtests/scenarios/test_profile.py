"""loadtests/scenarios/profile.py: the plan, the code categories and the GC pause window."""

import json

from loadtests import scenarios
from loadtests.reporting import flame
from loadtests.scenarios import profile


def test_plan_and_server_env(tmp_path):
    scenario = scenarios.get("profile")
    k = scenario.knobs({"rate": 100, "duration": 10, "warmup": 2})
    assert [p.label for p in scenario.phases(k)] == ["warmup", "hold"]
    assert scenario.planned_seconds(k) == 12
    assert not scenario.in_all
    assert scenario.server_env("bento", tmp_path) == {profile.GC_ENV: str(tmp_path / "gc-bento")}


def test_categories_put_each_kind_of_code_where_the_report_says():
    frames = {
        "model": "inplace_predict (/v/site-packages/xgboost/core.py:1)",
        "pydantic (validation, serialization)": "validate (/v/site-packages/pydantic/main.py:1)",
        "metrics": "inc (/v/site-packages/prometheus_client/metrics.py:1)",
        "BentoML middleware": "call (/v/site-packages/bentoml/_internal/server/http/traffic.py:1)",
        "framework and HTTP": "handle (/v/site-packages/werkzeug/serving.py:1)",
    }
    for expected, leaf in frames.items():
        stacks = {("run (/v/site-packages/uvicorn/server.py:1)", leaf): 1}
        counts = flame.categorize(stacks, profile.CATEGORIES)
        assert counts[expected] == 1, (expected, counts)


def test_gc_pauses_inside_the_hold_only(tmp_path):
    (tmp_path / "gc-11.json").write_text(
        json.dumps({"notable": [[99.0, 2, 120.0, 5], [105.0, 2, 80.0, 5], [106.0, 0, 7.0, 1]]})
    )
    (tmp_path / "gc-12.json").write_text(json.dumps({"notable": [[111.0, 2, 60.0, 2]]}))
    assert sorted(profile._gc_pauses(tmp_path, 100.0, 110.0)) == [(0, 7.0), (2, 80.0)]
    assert profile._gc_pauses(tmp_path / "missing", 0, 1) == []
