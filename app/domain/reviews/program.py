"""Program review: the as-is and its to-be options side by side, scored and ranked.

Each weighted criterion is min-max normalised across every version in the review (the
as-is too: doing nothing is an option) to 0..1, where 1 is best: lower is better for the
counts, minutes, cost, cycle time, effort and one-off cost; higher is better for
``expected_impact`` (low 1, medium 2, high 3). A version missing a criterion's value
scores 0 on it and the criterion is listed in its ``missing``; when every version lacks
it, or all values are equal, nobody gains from it (equal values all score 1). The as-is
without effort or one-off cost is taken as 0 on both: keeping it changes nothing.
The score is the weighted mean of the criterion scores; rank 1 is the highest score,
ties broken by label.

Payback (with ``Payback`` figures: yearly cases mined from a log and an hourly staff cost):

- cost per case = the sum over the version's steps (every step once, as CONTRACT section 4
  sums them) of the step's recorded ``cost``, which is taken to include the staff time of
  its hands-on minutes; a step that records minutes but no cost is costed at its minutes
  / 60 x the hourly staff cost. Staff time is so never counted twice (the sample processes
  price every step, so the hourly cost only prices steps a team has not costed yet);
- saving per case = as-is cost per case - option's;
- yearly savings = saving per case x yearly cases;
- payback months = one-off cost / yearly savings x 12, only when yearly savings are above
  zero (otherwise the option "does not pay back" and the value is None); None as well
  when the option records no one-off cost;
- resident hours saved per year = (as-is expected cycle median - option's) x yearly cases.

The as-is saves nothing and pays back at once (0 months), like its effort and one-off cost.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.domain.reviews.comparison import METRICS, version_metrics
from app.lib.cells import neutralise
from app.lib.graph import ProcessGraph

__all__ = [
    "COLUMNS",
    "CRITERIA",
    "DEFAULT_WEIGHTS",
    "IMPACT_LEVELS",
    "PAYBACK_FIGURES",
    "Candidate",
    "Payback",
    "payback_sentences",
    "review_csv",
    "review_html",
    "review_table",
]

IMPACT_LEVELS = {"low": 1, "medium": 2, "high": 3}
"""Expected impact as a number: higher is better."""

CRITERIA: dict[str, str] = {
    **dict.fromkeys(METRICS, "lower"),
    "expected_cycle_hours": "lower",
    "expected_cycle_p90_hours": "lower",
    "effort_months": "lower",
    "one_off_cost": "lower",
    "expected_impact": "higher",
    "yearly_savings": "higher",
    "payback_months": "lower",
    "resident_hours_saved_per_year": "higher",
}
"""Every criterion that can be weighted, with the direction that is better."""

DEFAULT_WEIGHTS: dict[str, float] = {
    "handoffs": 2,
    "expected_cycle_hours": 3,
    "hands_on_minutes": 1,
    "one_off_cost": 1,
    "expected_impact": 2,
    "effort_months": 1,
}
"""What a review weighs unless told otherwise: time to the customer first, then transfers
and expected impact, then staff time and the price and effort of the change. The payback
figures (``yearly_savings``, ``payback_months``, ``resident_hours_saved_per_year``) are
shown on every row and weigh only when given a weight: yearly savings restate hands-on
minutes and cost in money, so weighing both by default would count them twice."""

PAYBACK_FIGURES = (
    "saving_per_case",
    "yearly_savings",
    "payback_months",
    "resident_hours_saved_per_year",
)
"""The payback figures of every row (None everywhere without ``Payback``)."""

DOES_NOT_PAY_BACK = "does not pay back"


@dataclass(frozen=True)
class Payback:
    """What payback figures need beside the versions.

    Attributes:
        yearly_cases: cases a year (mined from a log, or given).
        hourly_cost: staff cost of one hour of hands-on work, in the currency of costs.
        basis: one sentence on where ``yearly_cases`` comes from.
    """

    yearly_cases: float
    hourly_cost: float
    basis: str = ""


@dataclass(frozen=True)
class Candidate:
    """A version under review, with its option figures and expected cycle (if mined)."""

    graph: ProcessGraph
    effort_months: float | None = None
    one_off_cost: float | None = None
    expected_impact: str | None = None
    expected_cycle: Mapping[str, float] | None = None
    """``{"median_hours", "p90_hours"}`` from ``app.mining.analysis.cycle``."""

    @property
    def label(self) -> str:
        """The version's label."""
        return self.graph.version


def staffed_cost(graph: ProcessGraph, hourly_cost: float) -> float:
    """Cost per case of a version: each step's recorded cost (staff time included), or its
    minutes at the hourly staff cost when it records none.

    >>> from app.lib.graph import GraphStep
    >>> g = ProcessGraph("p", "v", [GraphStep("a", "A", "D", minutes=30),
    ...     GraphStep("b", "B", "D", minutes=10, cost=12.0)], [])
    >>> staffed_cost(g, 60)
    42.0
    """
    return sum(
        s.cost if s.cost is not None else (s.minutes or 0.0) / 60 * hourly_cost for s in graph.steps
    )


def _payback(
    row: dict[str, Any],
    base: dict[str, Any],
    payback: Payback | None,
    kind: str,
    costs: tuple[ProcessGraph, ProcessGraph],
) -> dict[str, Any]:
    """The payback figures of one version's row against the as-is row ``base`` (``costs``:
    the as-is graph and the version's)."""
    if payback is None:
        return dict.fromkeys(PAYBACK_FIGURES)
    per_case = staffed_cost(costs[0], payback.hourly_cost) - staffed_cost(
        costs[1], payback.hourly_cost
    )
    yearly = per_case * payback.yearly_cases
    one_off = row["one_off_cost"]
    months: float | None
    if kind == "as-is":
        months = 0.0
    elif yearly <= 0 or one_off is None:
        months = None
    else:
        months = round(float(one_off) / yearly * 12, 2)
    cycles = (base["expected_cycle_hours"], row["expected_cycle_hours"])
    resident = (
        round((cycles[0] - cycles[1]) * payback.yearly_cases, 1) if None not in cycles else None
    )
    return {
        "saving_per_case": round(per_case, 4),
        "yearly_savings": round(yearly, 2),
        "payback_months": months,
        "resident_hours_saved_per_year": resident,
    }


def _values(candidate: Candidate, kind: str) -> dict[str, Any]:
    """The figures of one version, as a row shows them."""
    cycle = candidate.expected_cycle
    no_change = 0 if kind == "as-is" else None
    return {
        **version_metrics(candidate.graph),
        "expected_cycle_hours": cycle["median_hours"] if cycle else None,
        "expected_cycle_p90_hours": cycle["p90_hours"] if cycle else None,
        "effort_months": candidate.effort_months
        if candidate.effort_months is not None
        else no_change,
        "one_off_cost": candidate.one_off_cost if candidate.one_off_cost is not None else no_change,
        "expected_impact": candidate.expected_impact,
    }


def _number(criterion: str, value: Any) -> float | None:
    if value is None:
        return None
    if criterion == "expected_impact":
        return float(IMPACT_LEVELS[value])
    return float(value)


def _criterion_scores(criterion: str, values: list[float | None]) -> list[float]:
    """Min-max scores (1 best) of one criterion; 0 where the value is missing."""
    known = [v for v in values if v is not None]
    if not known:
        return [0.0] * len(values)
    low, high = min(known), max(known)
    scores = []
    for value in values:
        if value is None:
            scores.append(0.0)
        elif high == low:
            scores.append(1.0)
        elif CRITERIA[criterion] == "lower":
            scores.append((high - value) / (high - low))
        else:
            scores.append((value - low) / (high - low))
    return scores


def review_table(
    as_is: Candidate,
    options: list[Candidate],
    weights: Mapping[str, float] | None = None,
    payback: Payback | None = None,
) -> list[dict[str, Any]]:
    """One row per version, the as-is first, then the options by rank.

    Args:
        as_is: the version as it runs today.
        options: the to-be options.
        weights: criterion to weight (``CRITERIA`` names, >= 0); ``DEFAULT_WEIGHTS`` if None.
        payback: yearly cases and hourly staff cost, for the payback figures (None
            without a log: every payback figure is None).

    Returns:
        Rows with ``rank``, ``label``, ``kind``, ``score`` (0..1), every metric, the expected
        cycle, ``effort_months``, ``one_off_cost``, ``expected_impact``, ``criteria``
        (criterion scores), ``missing`` (weighted criteria without a value) and ``weights``.

    Raises:
        ValueError: an unknown criterion, a negative weight, no positive weight, an
            unknown impact level or two versions with the same label.
    """
    weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
    unknown = sorted(set(weights) - set(CRITERIA))
    if unknown:
        raise ValueError(f"unknown criteria {unknown}; known: {sorted(CRITERIA)}")
    if any(w < 0 for w in weights.values()) or not any(w > 0 for w in weights.values()):
        raise ValueError("weights must not be negative and at least one must be positive")
    candidates = [as_is, *options]
    if len({c.label for c in candidates}) != len(candidates):
        raise ValueError("every version in a review needs its own label")
    rows = [_values(c, "as-is" if i == 0 else "to-be") for i, c in enumerate(candidates)]
    rows = [
        {
            **row,
            **_payback(
                row,
                rows[0],
                payback,
                "as-is" if i == 0 else "to-be",
                (as_is.graph, candidates[i].graph),
            ),
        }
        for i, row in enumerate(rows)
    ]
    for row in rows:
        if row["expected_impact"] not in (None, *IMPACT_LEVELS):
            raise ValueError(f"unknown expected impact {row['expected_impact']!r}")
    criteria = {
        name: _criterion_scores(name, [_number(name, row[name]) for row in rows])
        for name in weights
    }
    total = sum(weights.values())
    out = []
    for i, (candidate, row) in enumerate(zip(candidates, rows, strict=True)):
        scores = {name: round(criteria[name][i], 4) for name in weights}
        score = sum(weights[name] * criteria[name][i] for name in weights) / total
        out.append(
            {
                "rank": 0,
                "label": candidate.label,
                "kind": "as-is" if i == 0 else "to-be",
                "score": round(score, 4),
                **row,
                "criteria": scores,
                "missing": [n for n in weights if weights[n] > 0 and row[n] is None],
                "weights": weights,
            }
        )
    for rank, row in enumerate(sorted(out, key=lambda r: (-r["score"], r["label"])), start=1):
        row["rank"] = rank
    return [out[0], *sorted(out[1:], key=lambda r: r["rank"])]


COLUMNS = (
    "rank",
    "label",
    "kind",
    "score",
    *METRICS,
    "expected_cycle_hours",
    "expected_cycle_p90_hours",
    "effort_months",
    "one_off_cost",
    "expected_impact",
    *PAYBACK_FIGURES,
    "missing",
)
"""The columns of the review table, in order (CSV and HTML)."""


def _cell(value: Any) -> str:
    """A value as table text: integral numbers without ``.0``, lists joined, None empty."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def _shown(row: Mapping[str, Any], column: str) -> str:
    """A row's value as table text; an option whose payback never comes says so."""
    if (
        column == "payback_months"
        and row.get("payback_months") is None
        and row.get("yearly_savings") is not None
        and row["yearly_savings"] <= 0
    ):
        return DOES_NOT_PAY_BACK
    return _cell(row.get(column))


def review_csv(rows: list[dict[str, Any]]) -> str:
    """The review table as CSV: a header row, then one row per version (``COLUMNS``).

    >>> review_csv([]).splitlines()[0].split(",")[:4]
    ['rank', 'label', 'kind', 'score']
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        # version labels are the team's text (numbers, negative ones too, stay numbers)
        writer.writerow(
            [
                neutralise(_shown(row, column)) if column == "label" else _shown(row, column)
                for column in COLUMNS
            ]
        )
    return out.getvalue()


_STYLE = """
body { font: 11pt/1.4 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color: #1a1a1a; margin: 2rem auto; max-width: 75rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; }
th, td { border: 1px solid #bbb; padding: .25rem .4rem; text-align: right; }
th { background: #eef1f5; font-size: 8.5pt; vertical-align: bottom; }
td.text, th.text { text-align: left; }
tr.as-is td { background: #f7f7f7; font-style: italic; }
td.missing { color: #a33; } .note { color: #444; }
figure { margin: 1rem 0; page-break-inside: avoid; break-inside: avoid; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { margin: 0; max-width: none; font-size: 9pt; }
  h2 { page-break-after: avoid; break-after: avoid; }
  table { page-break-inside: avoid; break-inside: avoid; }
  figure { page-break-before: always; break-before: page; }
  figure svg { max-height: 170mm; }
}
"""


def _svg_only(svg: str) -> str:
    """The ``<svg>`` element of Graphviz output, without its XML prolog and doctype."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def _money(value: float) -> str:
    return f"{value:,.0f}"


def payback_sentences(rows: list[dict[str, Any]], payback: Payback | None) -> list[str]:
    """The payback of each option in words, for the council report (or why there is none).

    >>> rows = [{"label": "as-is", "kind": "as-is"}, {"label": "b", "kind": "to-be",
    ...     "yearly_savings": -5.0, "payback_months": None, "one_off_cost": 10,
    ...     "resident_hours_saved_per_year": None, "saving_per_case": -0.5}]
    >>> payback_sentences(rows, Payback(10, 60, "10 cases a year (given)."))[1]
    'b: costs 5 a year more than the as-is (-0.50 per case), so it does not pay back.'
    """
    if payback is None:
        return [
            "Payback is not shown: it needs the yearly number of cases, mined from an event "
            "log (choose one) or given as yearly cases."
        ]
    lines = [
        f"{payback.basis} A step's recorded cost is taken to include its staff time; a step "
        f"with minutes but no cost is costed at {payback.hourly_cost:,.2f} an hour."
    ]
    if payback.yearly_cases <= 0:
        return [*lines, "With no cases a year, no option saves or costs anything a year."]
    for row in rows:
        if row["kind"] == "as-is":
            continue
        yearly, per_case = row["yearly_savings"], row["saving_per_case"]
        if yearly <= 0:
            text = (
                f"{row['label']}: costs {_money(-yearly)} a year more than the as-is "
                f"({per_case:,.2f} per case), so it does not pay back."
            )
        else:
            text = f"{row['label']}: saves {_money(yearly)} a year ({per_case:,.2f} per case)"
            if row["payback_months"] is not None:
                text += (
                    f" and pays back its one-off cost of {_money(row['one_off_cost'])} in "
                    f"{row['payback_months']:,.1f} months."
                )
            else:
                text += "; it records no one-off cost, so no payback period."
        hours = row.get("resident_hours_saved_per_year")
        if hours is not None:
            text += (
                f" Residents wait {hours:,.0f} fewer hours a year."
                if hours >= 0
                else f" Residents wait {-hours:,.0f} more hours a year."
            )
        lines.append(text)
    return lines


def review_html(
    title: str,
    rows: list[dict[str, Any]],
    maps: Mapping[str, str],
    notes: list[str],
    payback: list[str] | None = None,
) -> str:
    """One self-contained, printable HTML page: ranked table, weights used and each map.

    Args:
        title: the page title (escaped).
        rows: rows of ``review_table``.
        maps: version label to its map as SVG text (trusted Graphviz output, embedded
            as is); shown in the order of ``rows``.
        notes: paragraphs shown under the table (escaped).
        payback: sentences of the payback section (escaped; none: no section).
    """
    e = html.escape
    head = "".join(
        f'<th class="{"text" if c in ("label", "kind", "missing") else ""}">'
        f"{e(c.replace('_', ' '))}</th>"
        for c in COLUMNS
    )
    body = []
    for row in rows:
        cells = []
        for column in COLUMNS:
            missing = column in row.get("missing", []) and not _shown(row, column)
            css = "text" if column in ("label", "kind", "missing") else ""
            text = "missing" if missing else _shown(row, column)
            cells.append(f'<td class="{css}{" missing" if missing else ""}">{e(text)}</td>')
        body.append(f'<tr class="{e(str(row.get("kind", "")))}">{"".join(cells)}</tr>')
    weights = rows[0]["weights"] if rows else {}
    weight_items = "".join(
        f"<li>{e(name)}: {e(_cell(float(w)))} ({e(CRITERIA[name])} is better)</li>"
        for name, w in weights.items()
    )
    order = [r["label"] for r in rows if r["label"] in maps]
    order += sorted(label for label in maps if label not in order)
    figures = "".join(
        f"<figure><figcaption>{e(label)}</figcaption>{_svg_only(maps[label])}</figure>"
        for label in order
    )
    notes_html = "".join(f'<p class="note">{e(note)}</p>' for note in notes)
    payback_html = (
        '<h2>Payback</h2>\n<ul class="payback">'
        + "".join(f"<li>{e(line)}</li>" for line in payback)
        + "</ul>\n"
        if payback
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<title>{e(title)}</title>\n<link rel="icon" href="data:,">\n'
        f"<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{e(title)}</h1>\n<h2>Options ranked</h2>\n"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>\n"
        f"{notes_html}\n{payback_html}<h2>Weights used</h2>\n<ul>{weight_items}</ul>\n"
        '<p class="note">Each criterion is scaled across the versions from 0 (worst) to '
        "1 (best); a missing value scores 0. The score is the weighted mean.</p>\n"
        f"<h2>Maps</h2>\n{figures}\n</body>\n</html>\n"
    )
