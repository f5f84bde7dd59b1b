"""Load tests: scenarios played by locust against server profiles, and their reports.

    core/        pure definitions (knobs, phases, timeline, profiles, targets, the run record)
    scenarios/   one module per scenario: knobs, plan, summary, report section, headline, charts
    profiles/    one TOML file per server profile (a server kind + settings)
    generator/   runs inside locust: users, the shape, listeners, payloads, body checks
    locustfiles/ the one locustfile
    harness/     runs on the host: servers, CPU budget and accounting, runner, comparisons,
                 dashboards, the operator that acts on a server during a run
    reporting/   runs on the host afterwards: run records -> Markdown reports and charts

Data flow: a scenario's plan -> locust run (generator) -> run directory with run.json (the
run record) and timeline.json (harness) -> report.md and charts (reporting -> scenario).
Command line: python -m loadtests --help (the Makefile's load targets call it).
"""
