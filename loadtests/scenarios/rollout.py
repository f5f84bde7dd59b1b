"""rollout: a new model version rolled out and back under a steady load (make rollout).

``promote`` the version (verified, written to models/CURRENT atomically; every version
already in the BentoML store), then, on a server that swaps models in place (its /info says
``model_hot_swap``: shared.hotswap), nothing more: each worker loads the new version beside
the old and swaps; on any other, SIGHUP to the server's master process (gunicorn's master, or
`bentoml serve`'s arbiter), which starts new workers that read CURRENT and stops the old
ones. Plan: v1 serving, v2 from 1/3 of the hold, v1 again from 2/3. Every response's
X-Model-Version is in the timeline; per switch the report gives the failed requests by kind,
the seconds until only the new version answers, the latency bump and the longest stretch
without a request sent, with a chart of the versions over time.
"""

from __future__ import annotations

import math
import signal
from collections import Counter
from dataclasses import dataclass

from loadtests.core.knobs import Knobs
from loadtests.core.phases import Phase, phase
from loadtests.core.timeline import per_second, prefix, window
from loadtests.scenarios.base import Scenario, Summary

# The client's failure text when a keep-alive connection is closed under a request in flight.
KEEPALIVE_RACE = "no response (HTTPConnectionClosed)"
STEADY_S = 10  # the seconds before the first switch that give the steady p99
SWITCH = "promote + SIGHUP"
SWAP = "promote, swapped in place"  # servers with model_hot_swap (shared.hotswap)
SWITCHES = {"v2": "v2", "v1 again": "v1"}  # phase label -> which version it switches to


@dataclass(frozen=True)
class Switch:
    to: str
    rollback: bool
    at: float  # epoch seconds of the switch (the promote, and the SIGHUP if any)
    requests: int
    failed: int
    failed_by_kind: dict[str, int]
    old_version_responses: int
    seconds_to_new: float | None  # until only the new version answers (1 s resolution)
    p99_steady_ms: float | None
    p99_during_ms: float | None  # from the switch to one second after it converged
    max_during_ms: float | None
    longest_pause_s: int  # the longest run of seconds in which no request was sent


@dataclass(frozen=True)
class RolloutSummary(Summary):
    v1: str
    v2: str
    requests: int
    failed: int
    failed_by_kind: dict[str, int]
    failed_before_first_switch: int
    by_version: dict[str, int]
    switches: tuple[Switch, ...]


def analyse_switch(rows, target: str, at: float, until: float, to: str, steady_p99) -> dict:
    names = prefix(target)
    seconds = per_second(rows, math.floor(at), until, names)
    total = window(rows, math.floor(at), until, names)
    converged = None
    for i in range(len(seconds)):
        rest = seconds[i:]
        if all(w.failures == 0 and set(w.versions) <= {to} for w in rest) and any(
            w.n for w in rest
        ):
            converged = seconds[i].first
            break
    settle_end = (converged if converged is not None else until) + 1
    during = window(rows, math.floor(at), settle_end, names)
    pause = longest = 0
    for w in seconds:
        pause = pause + 1 if w.n == 0 else 0
        longest = max(longest, pause)
    return {
        "to": to,
        "at": at,
        "requests": total.n,
        "failed": total.failures,
        "failed_by_kind": dict(total.errors),
        "old_version_responses": sum(n for v, n in total.versions.items() if v != to),
        "seconds_to_new": None if converged is None else max(0.0, converged - at),
        "p99_steady_ms": steady_p99,
        "p99_during_ms": during.pct(0.99),
        "max_during_ms": during.pct(1.0),
        "longest_pause_s": longest,
    }


class Rollout(Scenario):
    name = "rollout"
    order = 60
    in_all = False  # its own target: make rollout / rollout-compare
    shows = (
        "operational efficiency and resiliency: a model version rolled out and back under load, "
        "what the clients lose and wait"
    )
    Knobs = Knobs
    defaults = {"rate": 50.0, "duration": 60.0}

    def phases(self, k: Knobs) -> list[Phase]:
        third = k.duration / 3
        return [
            *self.warmup(k),
            phase("v1", third, k.rate, k.user_rate),
            phase("v2", third, k.rate, k.user_rate),
            phase("v1 again", third, k.rate, k.user_rate),
        ]

    def describe(self, k: Knobs) -> str:
        return (
            f"{k.rate:g} req/s for {k.duration:g} s: v1, switch to v2 at 1/3, back to v1 at 2/3 "
            "(promote; SIGHUP unless the server swaps in place)"
        )

    # --- the operator ------------------------------------------------------------------------

    def prepare(self, op) -> None:
        from bento_app.import_model import import_all
        from shared import artifact
        from shared.settings import get_settings

        settings = get_settings()
        v1, v2 = choose_versions(settings)
        import_all(settings)  # every version in the BentoML store before anything switches
        op.saved["current"] = artifact.current_version(settings.model_dir)
        artifact.promote(settings, v1)
        swap = bool(op.server and op.server.info()["serving"].get("model_hot_swap"))
        op.extras.update(
            v1=v1, v2=v2, hot_swap=swap, mechanism=f"models/CURRENT ({SWAP if swap else SWITCH})"
        )

    def act(self, phase_label: str, op) -> list:
        if phase_label not in SWITCHES:
            return []
        from shared import artifact
        from shared.settings import get_settings

        server = op.require_server()
        version = op.extras[SWITCHES[phase_label]]
        artifact.promote(get_settings(), version)
        if op.extras.get("hot_swap"):  # the workers notice CURRENT and swap in place
            return [op.event(phase_label, SWAP, version)]
        server.signal(signal.SIGHUP)
        return [op.event(phase_label, SWITCH, version)]

    def finish(self, op) -> None:
        from shared import artifact
        from shared.settings import get_settings

        if op.saved.get("current"):
            artifact.set_current(get_settings().model_dir, op.saved["current"])

    # --- the numbers -------------------------------------------------------------------------

    def summarize(self, run) -> RolloutSummary:
        rec, rows, target = run.record, run.rows, run.target
        v1, v2 = rec.extras["v1"], rec.extras["v2"]
        switches = [e for e in rec.events if e.action in (SWITCH, SWAP)]
        first = switches[0].at if switches else rec.end
        steady = window(rows, first - STEADY_S, first, prefix(target)).pct(0.99)
        out = []
        for i, event in enumerate(switches):
            until = switches[i + 1].at if i + 1 < len(switches) else rec.end
            data = analyse_switch(rows, target, event.at, until, event.detail, steady)
            out.append(Switch(rollback=event.detail == v1, **data))
        whole = window(rows, rec.start, rec.end + 1, prefix(target))
        before = window(rows, rec.start, math.floor(first), prefix(target))
        versions: Counter = Counter(whole.versions)
        if whole.failures:
            versions["none (failed)"] = whole.failures
        return RolloutSummary(
            **Summary.common(run),
            v1=v1,
            v2=v2,
            requests=whole.n,
            failed=whole.failures,
            failed_by_kind=dict(whole.errors),
            failed_before_first_switch=before.failures,
            by_version=dict(versions),
            switches=tuple(out),
        )

    def console(self, run) -> list[str]:
        s = run.summary
        lines = [f"  {s.requests} requests, {_failed(s.failed, s.failed_by_kind)}"]
        for sw in s.switches:
            lines.append(
                f"  -> {sw.to}: {_failed(sw.failed, sw.failed_by_kind)}, only {sw.to} after "
                f"{_num(sw.seconds_to_new, ' s')}, p99 {_num(sw.p99_during_ms, ' ms')} (steady "
                f"{_num(sw.p99_steady_ms, ' ms')}), longest pause {sw.longest_pause_s} s"
            )
        return lines

    def section(self, cmp) -> list[str]:
        from loadtests.reporting import markdown

        rows, totals = [], []
        for p in cmp.profiles:
            for s in cmp.summaries(p):
                for i, sw in enumerate(s.switches, start=1):
                    rows.append(
                        [
                            f"{p.label} ({s.workers} worker(s)), repeat {s.repeat}",
                            f"{i}: → {sw.to}" + (" (rollback)" if sw.rollback else ""),
                            sw.requests,
                            _failed(sw.failed, sw.failed_by_kind),
                            _num(sw.seconds_to_new, " s"),
                            _num(sw.p99_steady_ms, " ms"),
                            _num(sw.p99_during_ms, " ms"),
                            _num(sw.max_during_ms, " ms"),
                            f"{sw.longest_pause_s} s",
                        ]
                    )
                per = ", ".join(f"{k}: {v}" for k, v in sorted(s.by_version.items()))
                totals.append(
                    [
                        f"{p.label}, repeat {s.repeat}",
                        s.requests,
                        _failed(s.failed, s.failed_by_kind),
                        per,
                    ]
                )
        lines = markdown.table(
            ["server", "switch", "requests", "failed", "only the new version after", "p99 steady",
             "p99 during", "max during", "longest pause in sending"], rows,
        )  # fmt: skip
        lines += [
            "",
            *markdown.table(["server", "requests", "failed", "responses per version"], totals),
        ]
        return lines + [
            "",
            "Per switch, from it to the next (1 s resolution, by request start time): "
            "'only the new version after' is the first second from which every response came "
            f"from the new version; 'during' is from the switch to one second after that; 'p99 "
            f"steady' is the {STEADY_S} s before the first switch. Requests wait in the listening "
            "socket's backlog while new workers start, so a slow worker start shows as latency "
            "(and as failures only beyond the client timeout); while every simulated client "
            "waits, none sends: the 'longest pause'.",
            "",
            f"Failures are split by what the client saw. `{KEEPALIVE_RACE}` is the keep-alive "
            "race: the old worker closes its idle keep-alive connections when it stops, and the "
            "next request a client sends on one of them before it notices the close gets no "
            "answer (HTTP/1.1 allows the close; a client may retry only idempotent requests, and "
            "a POST is not one). At most one request per open connection per switch; how many "
            "depends on the client library (locust's FastHttpUser reuses a connection without "
            "checking it first). gunicorn's sync workers close every connection after its "
            "response, so they never meet this race; uvicorn's keep-alive connections (BentoML) "
            "do. A timeout means a worker start took longer than the client waits.",
        ]

    def headline(self, cmp) -> list[list[str]]:
        from loadtests.reporting.tables import Metric, row

        return [
            row(cmp, Metric("failed requests over both switches", lambda s: s.failed)),
            row(cmp, Metric("longest pause in sending (s)",
                            lambda s: max((w.longest_pause_s for w in s.switches), default=0))),
        ]  # fmt: skip

    def charts(self, cmp, out) -> list[tuple[str, str]]:
        self._versions(cmp, out / "rollout.png")
        return [("rollout.png", "model versions answering over time")]

    def _versions(self, cmp, path) -> None:
        from loadtests.reporting import charts

        plt = charts.plt()
        runs = [cmp.runs_of(p)[0] for p in cmp.profiles]
        fig, axes = plt.subplots(2, len(runs), figsize=(5.5 * len(runs) + 1, 6.5), squeeze=False,
                                 sharex="col", gridspec_kw={"height_ratios": [2, 1.3]})  # fmt: skip
        for col, run in enumerate(runs):
            s, rec = run.summary, run.record
            colours = {s.v1: "#4C72B0", s.v2: "#DD8452"}
            seconds = per_second(run.rows, rec.start, rec.end + 1, prefix(run.target))
            xs = [w.first - rec.start for w in seconds]
            share_ax, lat_ax = axes[0][col], axes[1][col]
            bottom = [0.0] * len(seconds)
            for version, label in ((s.v1, f"v1 {s.v1}"), (s.v2, f"v2 {s.v2}")):
                share = [100 * w.versions.get(version, 0) / max(1, w.n) for w in seconds]
                share_ax.bar(xs, share, bottom=bottom, width=1.0, align="edge",
                             color=colours[version], label=label)  # fmt: skip
                bottom = [b + v for b, v in zip(bottom, share, strict=True)]
            failed = [(x + 0.5, w.failures) for x, w in zip(xs, seconds, strict=True) if w.failures]
            if failed:
                share_ax.scatter(
                    [f[0] for f in failed],
                    [102] * len(failed),
                    marker="x",
                    color="red",
                    label="failed requests in that second",
                    zorder=5,
                )
            sent_ax = share_ax.twinx()
            sent_ax.plot(
                [x + 0.5 for x in xs], [w.n for w in seconds], color="black", lw=0.8, alpha=0.6
            )
            sent_ax.set_ylabel("requests sent per second (line)", fontsize=8)
            sent_ax.set_ylim(bottom=0)
            lat_ax.plot([x + 0.5 for x in xs], charts.nan([w.pct(1.0) for w in seconds]),
                        color="#C44E52", lw=1, label="max")  # fmt: skip
            lat_ax.plot([x + 0.5 for x in xs], charts.nan([w.pct(0.99) for w in seconds]),
                        color="black", lw=1.2, label="p99")  # fmt: skip
            lat_ax.set_yscale("log")
            for event in rec.events:
                x = event.at - rec.start
                for ax in (share_ax, lat_ax):
                    ax.axvline(x, color="black", ls="--", lw=1)
                how = "SIGHUP" if event.action == SWITCH else "swap"
                share_ax.text(x + 0.3, 50, f"{how}\n→ {event.detail}", fontsize=8, va="center")
            share_ax.set_title(
                f"{rec.profile.label}: {s.requests} requests, {s.failed} failed\n"
                f"{rec.workers} worker(s), {run.knobs.rate:g} req/s", fontsize=10,
            )  # fmt: skip
            share_ax.set_ylim(0, 108)
            share_ax.set_ylabel("responses by model version (%)")
            lat_ax.set_ylabel("latency per second (ms, log)")
            lat_ax.set_xlabel("seconds since the first phase started")
            share_ax.legend(loc="lower left", fontsize=8)
            lat_ax.legend(loc="upper left", fontsize=8)
            lat_ax.grid(alpha=0.3)
        charts.save(fig, path, "Rollout v1 → v2 → v1 under steady load")


CHALLENGER = {"num_boost_round": 60, "max_depth": 4}  # v2 when no other version exists


def choose_versions(settings) -> tuple[str, str]:
    """(v1, v2): the CURRENT version and the newest other one (trained if there is none);
    never a benchmark-only model (the crossover's heavy one)."""
    from shared import artifact
    from shared.training.train import BENCHMARK_ONLY, TrainParams, ensure_trained, train_and_save

    ensure_trained(settings)
    v1 = artifact.resolve_version(settings)
    others = [
        m["version"]
        for m in artifact.list_versions(settings.model_dir, settings.model_name)
        if m["version"] != v1 and m.get("preset") not in BENCHMARK_ONLY
    ]
    if not others:
        _, meta = train_and_save(settings, TrainParams(**CHALLENGER), make_current=False)
        others = [meta["version"]]
    return v1, others[-1]


def _failed(n: int, kinds: dict[str, int]) -> str:
    detail = ", ".join(f"{count}× {kind}" for kind, count in sorted(kinds.items()))
    return f"{n}" + (f" ({detail})" if detail else "")


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}{unit}" if unit == " s" else f"{value:.0f}{unit}"
