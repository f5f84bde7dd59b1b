"""The run record (run.json): one typed object per load-test run, written by the runner and
validated when a report reads it back. A missing field or a blank value is a validation
error, never an empty table cell; the reports use attribute access, not string keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from loadtests.core.phases import PhaseRun
from loadtests.core.profiles import ServerProfile

Text = Annotated[str, Field(min_length=1)]
Sha = Annotated[str, Field(pattern=r"^[0-9a-f]{40,64}$")]


class RecordError(ValueError):
    """A run.json that is incomplete or not a run record."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CodeInfo(_Model):
    sha: Sha
    dirty: bool
    server_code_sha256: Sha | None  # the code the server ran (None: an external server)
    load_code_sha256: Sha  # the project modules the load generator loaded


class MachineInfo(_Model):
    cpu_model: Text
    cpu_count: int
    cpus_usable: int
    platform: Text
    python: Text
    taskset: bool


class ModelInfo(_Model):
    """What the server itself says it serves (GET /info)."""

    version: Text
    sha256: Sha
    data_source: Text


class Budget(_Model):
    """Which cores the server and the load generator may use (None: not pinned)."""

    server_cpus: str | None
    locust_cpus: str | None
    shared: bool  # server and locust share at least one core
    statement: Text


class PoolInfo(_Model):
    size: int = Field(gt=0)
    source: Text
    data_sha256: Sha
    split: Text
    seed: int


class LoadGenerator(_Model):
    tool: Text
    command: Text
    cpus: str | None
    processes: int
    cpu_seconds_during_test: float
    cpu_seconds_with_startup: float
    cpu_percent_of_one_core: float
    cpu_warning: bool  # locust's own warning: above 90 % of a core at some point
    cpu_samples_percent: list[float]
    exit_code: int


class HostInfo(_Model):
    load_average_before: list[float]
    load_average_after: list[float]
    cpu_window_seconds: float
    other_cpu_seconds: float  # every process but the server, its neighbours and locust
    other_cpu_percent: float  # of one core
    neighbours_cpu_seconds: dict[str, float]  # other servers up during the run, by profile
    # machine.PROBE's ms on the server's cores just before and just after the run (older
    # records: none); a slower host shows here and not in the CPU accounting above
    speed_probe_ms: list[float] = []
    steal_percent: float = 0.0  # of one core: CPU the hypervisor gave other guests meanwhile


class ServerInfo(_Model):
    url: Text
    started_by_run: bool
    workers: int | None  # None: an external server, not known
    cpus: str | None
    reported: dict[str, Any]  # the server's own description of itself (GET /info "serving")


class ServerCpu(_Model):
    seconds: float
    percent_of_one_core: float
    ms_per_request: float


class BatchStats(_Model):
    """Adaptive batches the server formed during the run (from its /metrics). BentoML counts
    the requests merged into one call (each request's list is one entry), not the items."""

    batches: int
    requests: int
    mean_requests_per_batch: float
    size_buckets: dict[str, int]  # requests per batch, by histogram bucket


class Event(_Model):
    """Something the harness did to the server during the run (a switch, a kill)."""

    at: float
    phase: Text
    action: Text
    detail: str = ""


class RunRecord(_Model):
    run_id: Text
    scenario: Text
    profile: ServerProfile
    purpose: Literal["single run", "comparison run"]
    repeat: int = Field(ge=1)
    repeats: int = Field(ge=1)
    # The worker count the comparison asked for (a profile may fix its own: server.workers).
    requested_workers: int = Field(ge=1)
    server_runs_before: int = 0  # runs this server process served before this one
    restarted_before_run: bool = False  # the server had died and was started again
    date: Text
    wall_seconds: float
    code: CodeInfo
    machine: MachineInfo
    versions: dict[str, Text]
    model: ModelInfo
    server: ServerInfo
    budget: Budget
    knobs: dict[str, Any]
    plan: Text
    schedule: list[PhaseRun] = Field(min_length=1)
    stop_reason: Text
    pool: PoolInfo
    load_generator: LoadGenerator
    host: HostInfo
    server_cpu: ServerCpu | None  # None: an external server (its CPU is not measured)
    # CPU seconds of the server's process tree during each phase (by label; 0.5 s snapshots)
    phase_server_cpu: dict[str, float] = Field(default_factory=dict)
    # resident memory of each server process over the run: [epoch s, {pid: MB}] every ~2 s
    server_rss: list[tuple[float, dict[str, float]]] = Field(default_factory=list)
    adaptive_batches: BatchStats | None  # None: the server formed no adaptive batch
    events: list[Event] = Field(default_factory=list)
    extras: dict[str, Any] = Field(default_factory=dict)  # scenario-specific facts
    requests: int

    @model_validator(mode="after")
    def _phases_ended(self) -> RunRecord:
        if any(entry.end is None for entry in self.schedule):
            raise ValueError("a phase in the schedule never ended")
        return self

    @property
    def workers(self) -> int:
        return self.server.workers or 0

    @property
    def start(self) -> float:
        return self.schedule[0].start

    @property
    def end(self) -> float:
        return self.schedule[-1].end or self.schedule[-1].start

    def phases(self, label: str | None = None) -> list[PhaseRun]:
        return [e for e in self.schedule if label is None or e.label == label]

    def phase(self, label: str) -> PhaseRun:
        found = self.phases(label)
        if len(found) != 1:
            raise RecordError(f"{self.run_id}: expected one {label!r} phase, found {len(found)}")
        return found[0]

    def like_for_like(self) -> dict[str, Any]:
        """What must be equal across the runs of one comparison."""
        return {
            "model version": self.model.version,
            "knobs": self.knobs,
            "payload pool": self.pool.model_dump(),
            "server code": self.code.server_code_sha256,  # the commit may move on, the code not
            "load code": self.code.load_code_sha256,
            "CPU model": self.machine.cpu_model,
            "package versions": self.versions,
        }

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2) + "\n")
        return path

    @classmethod
    def read(cls, path: Path) -> RunRecord:
        try:
            return cls.model_validate_json(Path(path).read_text())
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or '(record)'}: {e['msg']}" for e in exc.errors()
            )
            raise RecordError(f"{path}: {problems}") from None
