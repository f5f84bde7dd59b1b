"""bad_input: valid applications mixed with invalid ones -> what each server does with garbage.

Robustness of the contract. Each invalid kind has its own stats row; a clear 4xx is the right
answer, a 5xx a crash, and a 200 that scored an invalid application is the dangerous failure:
a credit decision made up from garbage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import Field

from loadtests.core.knobs import Knobs
from loadtests.core.measures import PhaseStats
from loadtests.core.phases import Phase, phase
from loadtests.core.timeline import named
from loadtests.generator.payloads import INVALID_KINDS
from loadtests.scenarios.base import Scenario, Summary

OUTCOMES = ("4xx", "5xx", "200", "other")  # other: no response


class BadInputKnobs(Knobs):
    invalid_share: float = Field(
        0.5, ge=0, le=1, description="bad_input: share of invalid requests (0..1)"
    )


@dataclass(frozen=True)
class BadInputSummary(Summary):
    hold: PhaseStats
    valid: PhaseStats  # the valid applications of the hold phase
    outcomes: Mapping[str, Mapping[str, int]]  # request kind -> outcome -> count (whole run)


def outcome(code: int) -> str:
    if 400 <= code < 500:
        return "4xx"
    if code >= 500:
        return "5xx"
    return "200" if code == 200 else "other"


def outcomes(rows, target: str) -> dict[str, dict[str, int]]:
    """Per request kind (valid / each invalid kind): 4xx, 5xx, 200 and other, every request."""
    out: dict[str, dict[str, int]] = {}
    for row in rows:
        if not row["name"].startswith(f"{target} "):
            continue
        what = row["name"].split(" ", 1)[1]
        kind = "valid" if what == "classify" else what.removeprefix("invalid ")
        if kind not in ("valid", *INVALID_KINDS):
            raise ValueError(f"unexpected request name {row['name']!r}")
        into = out.setdefault(kind, dict.fromkeys(OUTCOMES, 0))
        for code, n in row["codes"].items():
            into[outcome(int(code))] += n
    return out


def totals(summaries: list[BadInputSummary]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for s in summaries:
        for kind, counts in s.outcomes.items():
            into = out.setdefault(kind, dict.fromkeys(OUTCOMES, 0))
            for key, n in counts.items():
                into[key] += n
    return out


def invalid_counts(summaries: list[BadInputSummary]) -> tuple[int, int, int]:
    """(invalid requests, scored with 200, answered 5xx) over every repeat."""
    invalid = [c for k, c in totals(summaries).items() if k != "valid"]
    return (
        sum(sum(c.values()) for c in invalid),
        sum(c["200"] for c in invalid),
        sum(c["5xx"] for c in invalid),
    )


class BadInput(Scenario):
    name = "bad_input"
    order = 40
    shows = "robustness of the contract: what happens to invalid applications"
    Knobs = BadInputKnobs
    defaults = {"rate": 40.0, "duration": 20.0}

    def phases(self, k: BadInputKnobs) -> list[Phase]:
        return [
            *self.warmup(k, "bad_input"),
            phase("hold", k.duration, k.rate, k.user_rate, "bad_input"),
        ]

    def describe(self, k: BadInputKnobs) -> str:
        return f"{k.rate:g} req/s for {k.duration:g} s, {k.invalid_share:.0%} invalid"

    def summarize(self, run) -> BadInputSummary:
        return BadInputSummary(
            **Summary.common(run),
            hold=self.stats(run, "hold"),
            valid=self.stats(run, "hold", named(f"{run.target} classify")),
            outcomes=outcomes(run.rows, run.target),
        )

    def console(self, run) -> list[str]:
        lines = super().console(run)
        for kind, counts in run.summary.outcomes.items():
            lines.append(f"  {kind:<17} " + ", ".join(f"{k} {v}" for k, v in counts.items() if v))
        return lines

    def section(self, cmp) -> list[str]:
        from loadtests.reporting import markdown, tables

        per = {p.name: totals(cmp.summaries(p)) for p in cmp.profiles}
        counts = {p.name: invalid_counts(cmp.summaries(p)) for p in cmp.profiles}
        rows = [
            [kind, *(_cell(per[p.name].get(kind)) for p in cmp.profiles)]
            for kind in ["valid", *INVALID_KINDS]
        ]
        rows.append(
            ["**invalid applications scored (200)**"]
            + [f"**{counts[p.name][1]} of {counts[p.name][0]}**" for p in cmp.profiles]
        )
        rows.append(
            ["invalid input answered with 5xx"]
            + [f"{counts[p.name][2]} of {counts[p.name][0]}" for p in cmp.profiles]
        )
        lines = markdown.table(
            ["request kind (all repeats)", *(p.label for p in cmp.profiles)], rows
        )
        lines += [
            "",
            "The valid applications of the same runs (hold phase), while garbage is mixed in; "
            "server CPU per request counts every request, valid or not:",
            "",
        ]
        wanted = ("answered", "p50", "p99", "max", "errors")
        metrics = [m for m in tables.phase_metrics("valid") if m.label.startswith(wanted)]
        lines += tables.metric_table(cmp, metrics + tables.RUN_METRICS[:1])
        return lines + [
            "",
            "Counts are over every request of every repeat (warm-up included). For an invalid "
            "application a 4xx is the right answer, a 5xx a crash and a 200 a made-up decision.",
        ]

    def headline(self, cmp) -> list[list[str]]:
        def cell(summaries) -> str:
            invalid, scored, errors5 = invalid_counts(summaries)
            return f"{100 * scored / invalid:.0f} % scored, {100 * errors5 / invalid:.0f} % 5xx"

        from loadtests.reporting.tables import cells_row

        return [cells_row(cmp, "invalid applications: 200 (scored) / 5xx", cell)]

    def charts(self, cmp, out) -> list[tuple[str, str]]:
        made = super().charts(cmp, out)
        self._outcomes(cmp, out / "bad_input.png")
        return [*made, ("bad_input.png", "bad input outcomes")]

    def _outcomes(self, cmp, path) -> None:
        """Per request kind, the share of right answers (4xx for invalid, 200 for valid), wrong
        ones (an invalid application scored, a valid one rejected), 5xx and no answer."""
        from loadtests.reporting import charts

        plt = charts.plt()
        kinds = ["valid", *INVALID_KINDS]
        n = len(cmp.profiles)
        fig, axes = plt.subplots(1, n, figsize=(5.5 * n + 1, 5), squeeze=False)
        colors = {"right": "#2ca02c", "wrong": "#d62728", "5xx": "#ff7f0e", "other": "#7f7f7f"}
        for col, profile in enumerate(cmp.profiles):
            ax = axes[0][col]
            per = totals(cmp.summaries(profile))
            for y, kind in enumerate(kinds):
                counts = per.get(kind, {})
                total = sum(counts.values())
                right, wrong = ("200", "4xx") if kind == "valid" else ("4xx", "200")
                parts = [
                    ("right", right, counts.get(right, 0)),
                    ("wrong", wrong, counts.get(wrong, 0)),
                    ("5xx", "5xx", counts.get("5xx", 0)),
                    ("other", "none", counts.get("other", 0)),
                ]
                left = 0.0
                for category, status, count in parts:
                    share = 100 * count / total if total else 0.0
                    if not share:
                        continue
                    ax.barh(y, share, left=left, color=colors[category])
                    if share >= 12:
                        ax.text(left + share / 2, y, status, ha="center", va="center",
                                fontsize=8, color="white")  # fmt: skip
                    left += share
                ax.text(101, y, f"n={total}", va="center", fontsize=7)
            ax.set_yticks(range(len(kinds)), kinds if col == 0 else [""] * len(kinds))
            ax.set_ylim(len(kinds) - 0.5, -0.5)  # first kind on top
            ax.set_xlim(0, 112)
            ax.set_xlabel("% of requests of that kind (all repeats)")
            ax.set_title(profile.label)
            ax.grid(True, axis="x", alpha=0.3)
        handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colors.values()]
        labels = [
            "right answer (4xx for invalid, 200 for valid)",
            "wrong answer (invalid scored with 200, valid rejected)",
            "5xx: server error",
            "no answer",
        ]
        fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8)
        fig.suptitle("bad input: what each server answered, per kind of request", fontsize=12)
        fig.tight_layout(rect=(0, 0.1, 1, 1))
        fig.savefig(path, dpi=110)
        plt.close(fig)


def _cell(counts: Mapping[str, int] | None) -> str:
    if not counts:
        return "not sent"
    total = sum(counts.values())
    return ", ".join(f"{k} {v} ({100 * v / total:.0f} %)" for k, v in counts.items() if v)
