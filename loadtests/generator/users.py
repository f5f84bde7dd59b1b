"""Simulated clients: small FastHttpUser classes, one per kind of traffic (abstract here;
loadtests.generator.targets makes the concrete ones per target). Every request is named
"<target> <what>", so two targets never share a stats row.

Arrival rate: each user sends ``user_rate`` requests/s on a fixed schedule that starts at a
random phase (users spawned together do not fire together); the scenario's rate comes from
the number of users. Like locust's constant_throughput, a user that is late sends at once;
more than one period late, it skips the missed slots instead of bursting, so the rate
actually sent drops and the reports show it.
"""

from __future__ import annotations

import random
import time
from itertools import count
from typing import Any, ClassVar

import gevent
from locust import FastHttpUser, task

from loadtests.core.knobs import Knobs
from loadtests.generator import checks, hooks
from loadtests.generator.payloads import INVALID_KINDS, JSON, encode, invalid_body

_user_numbers = count()


class TargetUser(FastHttpUser):
    abstract = True
    target: ClassVar[str] = ""  # set by the concrete class (loadtests.generator.targets)
    traffic: ClassVar[str] = ""  # which phases run this class (loadtests.core.phases.TRAFFIC)
    network_timeout = connection_timeout = 10.0  # replaced by the client_timeout knob

    def __init__(self, environment: Any) -> None:
        run = hooks.state(environment)
        self.knobs: Knobs = run.knobs
        self.network_timeout = self.connection_timeout = self.knobs.client_timeout
        super().__init__(environment)
        self.rng = random.Random(f"{run.pool.seed}-{next(_user_numbers)}")
        self.pool = run.pool
        self._next = self.rng.randrange(len(self.pool.records))
        self._period = 1.0 / self.knobs.user_rate
        self._due = 0.0

    # --- schedule ----------------------------------------------------------------------------

    def on_start(self) -> None:
        self._due = time.perf_counter() + self.rng.uniform(0.0, self._period)
        gevent.sleep(max(0.0, self._due - time.perf_counter()))

    def wait_time(self) -> float:
        now = time.perf_counter()
        self._due += self._period
        if now - self._due > self._period:  # too late: skip the missed slots, no burst
            self._due = now
        return max(0.0, self._due - now)

    # --- helpers -----------------------------------------------------------------------------

    def next_record(self) -> dict[str, Any]:
        self._next = (self._next + 1) % len(self.pool.records)
        return self.pool.records[self._next]

    def post(self, path: str, data: bytes, content_type: str, what: str):
        return self.client.post(
            path,
            data=data,
            headers={"Content-Type": content_type},
            name=f"{self.target} {what}",
            catch_response=True,
        )


def _transport_problem(response) -> str | None:
    if response.status_code == 0:
        return f"no response ({checks.error_name(getattr(response, 'error', None))})"
    return None


def judge_prediction(response, items: int | None = None) -> None:
    """A valid request: success only for a 200 whose body (and header) is a real prediction."""
    if problem := _transport_problem(response):
        response.failure(problem)
        return
    if response.status_code != 200:
        response.failure(f"HTTP {response.status_code}")
        return
    try:
        body = response.json()
    except ValueError:
        response.failure("200 with a non-JSON body")
        return
    problem = (
        checks.prediction_problem(body) if items is None else checks.batch_problem(body, items)
    )
    if problem is None:
        version = body["model_version"] if items is None else body[0]["model_version"]
        problem = checks.header_problem(response.headers.get(checks.VERSION_HEADER), version)
    if problem:
        response.failure(f"200 but {problem}")
    else:
        response.success()


def judge_rejection(response) -> None:
    """An invalid request: a 4xx is the right answer, a 200 is the dangerous one."""
    if problem := _transport_problem(response):
        response.failure(problem)
    elif 400 <= response.status_code < 500:
        response.success()
    elif response.status_code == 200:
        response.failure("200: scored an invalid application")
    elif response.status_code >= 500:
        response.failure(f"HTTP {response.status_code}: server error on invalid input")
    else:
        response.failure(f"HTTP {response.status_code}")


class ClassifyUser(TargetUser):
    """One application per request to /classify."""

    abstract = True
    traffic = "classify"

    @task
    def classify(self) -> None:
        with self.post("/classify", encode(self.next_record()), JSON, "classify") as response:
            judge_prediction(response)


class ClassifyBatchUser(TargetUser):
    """``batch_size`` applications per request to /classify_batch (BentoML batches these)."""

    abstract = True
    traffic = "classify_batch"

    @task
    def classify_batch(self) -> None:
        size = int(getattr(self.knobs, "batch_size", 1))
        body = encode([self.next_record() for _ in range(size)])
        with self.post("/classify_batch", body, JSON, "classify_batch") as response:
            judge_prediction(response, items=size)


class BadInputUser(TargetUser):
    """Valid applications mixed with invalid ones, each invalid kind named on its own row."""

    abstract = True
    traffic = "bad_input"

    @task
    def send(self) -> None:
        record = self.next_record()
        if self.rng.random() >= float(getattr(self.knobs, "invalid_share", 0.5)):
            with self.post("/classify", encode(record), JSON, "classify") as response:
                judge_prediction(response)
            return
        kind = self.rng.choice(INVALID_KINDS)
        body = invalid_body(kind, record, self.rng)
        with self.post("/classify", body.data, body.content_type, f"invalid {kind}") as response:
            judge_rejection(response)
