"""Adaptive batching that recovers from an overload: BentoML 1.4.40's learned wait, bounded.

BentoML's ``CorkDispatcher`` holds a request back while ``n × (newest wait + tick + o_a)`` is at
most ``0.95 × optimizer.wait``, the mean wait before a call over the last 50 calls, and cancels
the oldest request (503) once its predicted latency reaches ``max_latency_ms``. Under overload
the measured waits include the event loop's backlog (hundreds of ms), so the learned wait can
end far above ``max_latency_ms``; from then on the cork stays shut past the moment the cancel
rule fires, nearly every request is cancelled, hardly a call runs, no new sample brings the
wait down, and the state lasts as long as traffic does
(docs/upstream-bentoml-dispatcher-after-overload.md).

The fix bounds the learned wait by WAIT_SHARE of ``max_latency_ms`` each time the optimizer
refreshes: a corked request is then released well before it would be cancelled. Below the bound
(any load the worker keeps up with) nothing changes. Either way the optimizer is observed: the
wait it learned (before the bound) is published at GET /info.
"""

from __future__ import annotations

import weakref
from typing import Any

WAIT_SHARE = 0.5  # the learned wait is at most this share of max_latency_ms (/info says "/2")

_ORIGINAL: Any = None
_OPTIMIZERS: weakref.WeakSet = weakref.WeakSet()


def _observed_optimizer(original: type, bounded: bool) -> type:
    class ObservedOptimizer(original):  # type: ignore[misc, valid-type]
        """BentoML's Optimizer, recording what it learns; ``BOUNDED``: its mean wait capped at
        WAIT_SHARE × max latency."""

        BOUNDED = bounded

        def __init__(self, max_latency: float) -> None:
            super().__init__(max_latency)
            self.wait_bound = max_latency * WAIT_SHARE if bounded else None
            self.learned_wait = 0.0  # the mean wait of the last refresh, before any bound
            self.refreshes = 0
            _OPTIMIZERS.add(self)

        def trigger_refresh(self) -> None:
            super().trigger_refresh()
            self.refreshes += 1
            self.learned_wait = self.wait
            if self.wait_bound is not None:
                self.wait = min(self.wait, self.wait_bound)

    return ObservedOptimizer


def bound_batching_wait(enabled: bool) -> None:
    """Make dispatchers created from now on use the bounded optimizer (or BentoML's own, observed).

    ``CorkDispatcher.__init__`` looks ``Optimizer`` up in its module when it runs, and BentoML
    creates a worker's dispatchers after importing the service (which applies this)."""
    global _ORIGINAL
    from bentoml._internal.marshal import dispatcher

    if _ORIGINAL is None:
        _ORIGINAL = dispatcher.Optimizer
    dispatcher.Optimizer = _observed_optimizer(_ORIGINAL, bounded=enabled)


def restore_bentoml_optimizer() -> None:
    """BentoML's own Optimizer class again (tests)."""
    from bentoml._internal.marshal import dispatcher

    if _ORIGINAL is not None:
        dispatcher.Optimizer = _ORIGINAL


def in_use() -> str:
    """Which optimizer the live dispatchers use (GET /info's serving section)."""
    bounded = any(o.BOUNDED for o in _OPTIMIZERS)
    return "bounded by max_latency/2" if bounded else "BentoML's own"


def learned() -> list[dict[str, Any]]:
    """What each live dispatcher's optimizer has learned so far (ms; GET /info's
    ``batching_optimizers``: it changes with the traffic, unlike the serving section)."""
    return [
        {
            "learned_wait_ms": round(o.learned_wait * 1e3, 2),
            "wait_in_use_ms": round(o.wait * 1e3, 2),
            "per_call_ms": round(o.o_b * 1e3, 3),
            "per_item_ms": round(o.o_a * 1e3, 3),
            "refreshes": o.refreshes,
        }
        for o in _OPTIMIZERS
    ]
