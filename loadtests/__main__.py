"""The load tests' command line (the Makefile's load targets call it).

    python -m loadtests run --scenario steady --profile flask [--rate 200 --duration 60]
    python -m loadtests compare --scenario spike --profiles flask,bento --repeats 3
    python -m loadtests compare --scenario all
    python -m loadtests report reports/compare-steady-<stamp> [--index DIR]
    python -m loadtests dashboard --profiles flask,bento --port 8091
    python -m loadtests summary reports/compose/steady-<time>   # locust's stats.json as a table
    python -m loadtests fuzz [--examples 200]      # schemathesis: the contract, both servers
    python -m loadtests fuzz [--examples 200]    # schemathesis: the contract, both servers
    python -m loadtests scorecard                 # from docs/results/*/summary.json
    python -m loadtests list                      # scenarios, profiles and every knob

Every knob of every scenario is an option (``--spike-factor 4``) or ``--set spike_factor=4``;
empty means the scenario's default. The options are made from the knob declarations
(loadtests.core.knobs and each scenario's Knobs), so this list is never out of date.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from loadtests import scenarios
from loadtests.core import profiles
from loadtests.core.knobs import KnobError, declarations, parse_assignments


def _knob_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("knobs (empty: the scenario's default)")
    for name, (_kind, text) in declarations(s.Knobs for s in scenarios.all_scenarios()).items():
        group.add_argument(
            "--" + name.replace("_", "-"), dest=f"knob_{name}", default=None,
            help=text.replace("%", "%%"),  # argparse formats help strings with %
        )  # fmt: skip
    group.add_argument("--set", action="append", default=[], metavar="KNOB=VALUE", help="any knob")
    group.add_argument("--users", default=None, help="users at the rate (sets user_rate)")
    parser.add_argument("--processes", type=int, default=0, help="locust --processes")
    parser.add_argument(
        "--server-set",
        action="append",
        default=[],
        metavar="SETTING=VALUE",
        help="a shared.settings value for every server of this run (e.g. model_cost_ms=2)",
    )


def _profiles(names: str | list[str], args: argparse.Namespace) -> list[profiles.ServerProfile]:
    extra = parse_assignments(args.server_set)
    return [profiles.with_settings(p, extra) for p in profiles.parse(names)]


def _overrides(args: argparse.Namespace, scenario: scenarios.Scenario | None) -> dict[str, str]:
    values = {k.removeprefix("knob_"): v for k, v in vars(args).items() if k.startswith("knob_")}
    values = {k: v for k, v in values.items() if v not in (None, "")}
    values.update(parse_assignments(args.set))
    if args.users:
        if scenario is None:
            raise SystemExit("--users applies to one scenario (it sets user_rate = rate / users)")
        rate = scenario.knobs(values).rate
        values["user_rate"] = str(rate / float(args.users))
    return values


def _run(args: argparse.Namespace) -> int:
    from loadtests.harness.budget import budget_for, external
    from loadtests.harness.fingerprint import server_code_fingerprint
    from loadtests.harness.pool import ensure_pool
    from loadtests.harness.runner import REPORTS, RunSpec, execute, stamp
    from loadtests.harness.servers import running
    from loadtests.reporting.console import summary_lines

    scenario = scenarios.get(args.scenario)
    (profile,) = _profiles([args.profile], args)
    knobs = scenario.knobs(_overrides(args, scenario))
    out = Path(args.out) if args.out else REPORTS / f"{stamp()}-{scenario.name}-{profile.name}"
    workers = profile.workers_for(args.workers)
    budget = external(args.processes) if args.url else budget_for(workers, args.processes)
    spec = RunSpec(
        scenario=scenario,
        profile=profile,
        knobs=knobs,
        requested_workers=args.workers,
        budget=budget,
        out_dir=out,
        pool_file=ensure_pool(out / "pool.json"),
        processes=args.processes,
        server_code=server_code_fingerprint(),
    )
    print(f"CPU budget: {budget.statement}")
    if args.url:
        execute(spec, None, args.url.rstrip("/"))
    else:
        env = scenario.server_env(profile.name, out)
        with running(
            profile, None, args.workers, budget.server_cpus, env, log_path=out / "server.log"
        ) as srv:
            execute(spec, srv, srv.url)
    for line in summary_lines(out):
        print(line)
    print(f"report: {out / 'report.html'}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from loadtests.harness.compare import compare

    chosen = (
        [s for s in scenarios.all_scenarios() if s.in_all]
        if args.scenario == "all"
        else [scenarios.get(args.scenario)]
    )
    if args.repeats < 1:
        raise SystemExit("--repeats must be >= 1")
    overrides = _overrides(args, chosen[0] if len(chosen) == 1 else None)
    compare(chosen, _profiles(args.profiles, args), args.repeats, overrides, args.processes)
    return 0


def _report(args: argparse.Namespace) -> int:
    from loadtests.reporting.report import build_index, build_report

    built = [build_report(d) for d in args.dirs]
    for path in built:
        print(path)
    if args.index:
        print(build_index(args.index, built))
    return 0


def _dashboard(args: argparse.Namespace) -> int:
    from loadtests.harness import dashboard

    if args.worker:
        return dashboard.worker(args.master_host, args.processes)
    return dashboard.web_ui(
        profiles.parse(args.profiles),
        args.port,
        args.workers,
        args.processes,
        args.no_server,
        args.master,
        args.expect_workers,
    )


def _crossover(args: argparse.Namespace) -> int:
    from loadtests.harness.crossover import sweep

    costs = [float(c) for c in args.costs.split(",") if c.strip()]
    sweep(costs, args.repeats, _overrides(args, scenarios.get("crossover")))
    return 0


def _fuzz(args: argparse.Namespace) -> int:
    from loadtests.harness.fuzz import fuzz, write_report
    from loadtests.harness.runner import REPORTS, stamp
    from loadtests.harness.servers import running

    out = REPORTS / f"fuzz-{stamp()}"
    bento, flask = _profiles([args.bento, args.flask], args)
    with (
        running(bento, log_path=out / "bento.log", timeout=180) as b,
        running(flask, log_path=out / "flask.log") as f,
    ):
        result = fuzz(b.url, f.url, args.examples)
    print(write_report(result, out))
    return 0 if not result["bento_failures"] else 1


def _compose_crash(args: argparse.Namespace) -> int:
    from loadtests.harness.containers import crash_containers

    services = [s.strip() for s in args.services.split(",") if s.strip()]
    crash_containers(services, args.repeats, _overrides(args, scenarios.get("crash")))
    return 0


def _scorecard(_args: argparse.Namespace) -> int:
    from loadtests.reporting.scorecard import main as scorecard

    return scorecard()


def _publish(args: argparse.Namespace) -> int:
    from loadtests.reporting.publish import publish

    print(publish(args.dir, args.name))
    return 0


def _summary(args: argparse.Namespace) -> int:
    from loadtests.reporting.console import stats_lines

    for line in stats_lines(args.dir / "stats.json"):
        print(line)
    return 0


def _list(_args: argparse.Namespace) -> int:
    print("scenarios:")
    for s in scenarios.all_scenarios():
        print(f"  {s.name:<10} {s.shows}" + ("" if s.in_all else " (not in compare-all)"))
    print("profiles (loadtests/profiles/*.toml):")
    for p in profiles.available().values():
        print(f"  {p.name:<14} {p.kind:<6} {p.description}")
    print("knobs (scenario defaults in loadtests/scenarios/<name>.py):")
    for name, (_kind, text) in declarations(s.Knobs for s in scenarios.all_scenarios()).items():
        print(f"  --{name.replace('_', '-'):<16} {text}")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m loadtests", description=__doc__.split("\n\n")[0])
    sub = top.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="one headless run against one server")
    run.add_argument("--scenario", required=True, choices=scenarios.names())
    run.add_argument("--profile", default="flask", choices=list(profiles.available()))
    run.add_argument("--workers", type=int, default=1, help="server workers (default 1)")
    run.add_argument("--url", default="", help="use this running server instead of starting one")
    run.add_argument("--out", default="", help="run directory (default reports/<run-id>)")
    _knob_options(run)
    run.set_defaults(func=_run)
    cmp = sub.add_parser("compare", help="profiles side by side, repeated")
    cmp.add_argument("--scenario", required=True, choices=[*scenarios.names(), "all"])
    cmp.add_argument("--profiles", default="", help="comma-separated, baseline first (flask,bento)")
    cmp.add_argument("--repeats", type=int, default=3)
    _knob_options(cmp)
    cmp.set_defaults(func=_compare)
    rep = sub.add_parser("report", help="(re)build comparison reports")
    rep.add_argument("dirs", nargs="+", type=Path)
    rep.add_argument("--index", type=Path, help="also write an index.md here")
    rep.set_defaults(func=_report)
    dash = sub.add_parser("dashboard", help="locust's web UI")
    dash.add_argument("--profiles", default="flask")
    dash.add_argument("--port", type=int, default=8089)
    dash.add_argument("--workers", type=int, default=1, help="server workers")
    dash.add_argument("--processes", type=int, default=0, help="locust --processes")
    dash.add_argument("--no-server", action="store_true", help="use running servers")
    dash.add_argument("--master", action="store_true", help="a distributed master")
    dash.add_argument("--expect-workers", type=int, default=1)
    dash.add_argument("--worker", action="store_true", help="a distributed worker")
    dash.add_argument("--master-host", default="127.0.0.1")
    dash.set_defaults(func=_dashboard)
    cross = sub.add_parser("crossover", help="capacity of four ways of serving vs model cost")
    cross.add_argument("--costs", default="0,0.5,1,2,4,8", help="ms per model call")
    cross.add_argument("--repeats", type=int, default=1)
    _knob_options(cross)
    cross.set_defaults(func=_crossover)
    fz = sub.add_parser("fuzz", help="schemathesis cases from BentoML's /docs.json, both servers")
    fz.add_argument("--bento", default="bento", help="the BentoML profile checked")
    fz.add_argument("--flask", default="flask", help="the Flask profile the cases also go to")
    fz.add_argument("--examples", type=int, default=200, help="per operation and mode")
    fz.add_argument("--server-set", action="append", default=[], metavar="SETTING=VALUE")
    fz.set_defaults(func=_fuzz)
    cc = sub.add_parser("compose-crash", help="SIGKILL each server container under load")
    cc.add_argument("--services", default="flask,bento")
    cc.add_argument("--repeats", type=int, default=2)
    _knob_options(cc)
    cc.set_defaults(func=_compose_crash)
    card = sub.add_parser("scorecard", help="docs/results/scorecard.md + README table")
    card.set_defaults(func=_scorecard)
    pub = sub.add_parser("publish", help="copy a report into docs/results/NAME (committed)")
    pub.add_argument("dir", type=Path)
    pub.add_argument("name")
    pub.set_defaults(func=_publish)
    summ = sub.add_parser("summary", help="a table of locust's stats.json in DIR")
    summ.add_argument("dir", type=Path)
    summ.set_defaults(func=_summary)
    lst = sub.add_parser("list", help="scenarios, profiles, knobs")
    lst.set_defaults(func=_list)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    # SIGTERM raises SystemExit, so `with running(...)` blocks stop their servers.
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(128 + signal.SIGTERM))
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (KnobError, profiles.ProfileError) as exc:  # a typo on the command line
        raise SystemExit(f"python -m loadtests: error: {exc}") from None


if __name__ == "__main__":
    sys.exit(main())
