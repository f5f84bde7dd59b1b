"""bento_app/batching.py: BentoML's adaptive batching after an overload, with a real CorkDispatcher.

An overload leaves the dispatcher's optimizer with a mean wait far above ``max_latency_ms`` (the
event loop's backlog is in every wait it measured: 134 ms for a 50 ms bound in the service,
docs/upstream-bentoml-dispatcher-after-overload.md). Here the optimizer learns such samples
through its own ``log_outbound``, then one event loop plays a worker under a light load: each
request burns HTTP_MS of CPU on the loop, then goes through the dispatcher to a ~0.2 ms model.

test_upstream_dispatcher_refuses_after_learning_an_overload documents the bug the fix works
around: when it FAILS, BentoML's dispatcher recovers by itself and bento_app.batching can go.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from bentoml._internal.marshal import dispatcher

from bento_app import batching

MAX_LATENCY_MS = 50
OVERLOAD_WAIT_S = 0.13  # ~what the service's optimizer learned in a 10-s overload (/info)
HTTP_MS = 1.0
LIGHT_RATE, LIGHT_S = 50, 2.0  # a small share of what the loop can do


def _burn(ms: float) -> None:
    end = time.perf_counter() + ms / 1000
    while time.perf_counter() < end:
        pass


async def _model(batch):
    _burn(0.2 + 0.01 * len(batch))
    return list(batch)


def _light_load(learned_wait_s: float | None) -> tuple[float, float, object]:
    """Refused share of a light load before and after the optimizer learns ``learned_wait_s``
    as the mean wait of its last samples (None: it learns nothing new), and the optimizer."""

    async def main():
        cork = dispatcher.CorkDispatcher(
            MAX_LATENCY_MS, 64, fallback=lambda: None, get_batch_size=lambda _: 1
        )
        call = cork(_model)
        loop = asyncio.get_running_loop()

        async def request(i: int):
            _burn(HTTP_MS)
            return await call(i)

        async def phase(secs: float) -> float:
            t0, n, tasks = loop.time(), int(LIGHT_RATE * secs), []
            for k in range(n):
                await asyncio.sleep(max(0.0, t0 + k / LIGHT_RATE - loop.time()))
                tasks.append(asyncio.create_task(request(k)))
            results = await asyncio.gather(*tasks)
            return sum(r is None for r in results) / n

        before = await phase(1.0)  # the dispatcher trains its optimizer on this
        if learned_wait_s is not None:
            for _ in range(dispatcher.Optimizer.N_KEPT_SAMPLE):
                cork.optimizer.log_outbound(n=1, wait=learned_wait_s, duration=0.0003)
            cork.optimizer.trigger_refresh()
        after = await phase(LIGHT_S)
        cork.shutdown()
        return before, after, cork.optimizer

    return asyncio.run(main())


@pytest.fixture
def restore_optimizer():
    original = dispatcher.Optimizer  # another test may have imported the service (patched)
    yield
    dispatcher.Optimizer = original


def test_upstream_dispatcher_refuses_after_learning_an_overload(restore_optimizer):
    batching.restore_bentoml_optimizer()
    before, after, optimizer = _light_load(OVERLOAD_WAIT_S)
    assert before == 0
    assert optimizer.wait == pytest.approx(OVERLOAD_WAIT_S)
    assert after > 0.9, (
        f"BentoML's dispatcher refused only {after:.0%} of a light load after learning an "
        "overload's wait: upstream may have fixed it; bento_app.batching may be unnecessary now"
    )


def test_upstream_dispatcher_serves_the_light_load_otherwise(restore_optimizer):
    """The control: the same load, nothing learned from an overload, nothing refused."""
    batching.restore_bentoml_optimizer()
    assert _light_load(None)[:2] == (0, 0)


def test_bounded_wait_serves_the_light_load_after_an_overload(restore_optimizer):
    batching.bound_batching_wait(True)
    before, after, optimizer = _light_load(OVERLOAD_WAIT_S)
    assert (before, after) == (0, 0)
    assert optimizer.learned_wait == pytest.approx(OVERLOAD_WAIT_S)  # observed, then bounded
    assert optimizer.wait == pytest.approx(batching.WAIT_SHARE * MAX_LATENCY_MS / 1000)
    assert batching.in_use() == "bounded by max_latency/2"
    assert {"learned_wait_ms": 130.0, "wait_in_use_ms": 25.0}.items() <= next(
        o for o in batching.learned() if o["learned_wait_ms"] == 130.0
    ).items()


def test_observed_but_unbounded_keeps_bentomls_behaviour(restore_optimizer):
    batching.bound_batching_wait(False)
    _, after, optimizer = _light_load(OVERLOAD_WAIT_S)
    assert optimizer.wait == pytest.approx(OVERLOAD_WAIT_S) and after > 0.9
