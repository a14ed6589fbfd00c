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
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.domain.reviews.comparison import METRICS, version_metrics
from app.lib.graph import ProcessGraph

__all__ = [
    "COLUMNS",
    "CRITERIA",
    "DEFAULT_WEIGHTS",
    "IMPACT_LEVELS",
    "Candidate",
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
and expected impact, then staff time and the price and effort of the change."""


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
    as_is: Candidate, options: list[Candidate], weights: Mapping[str, float] | None = None
) -> list[dict[str, Any]]:
    """One row per version, the as-is first, then the options by rank.

    Args:
        as_is: the version as it runs today.
        options: the to-be options.
        weights: criterion to weight (``CRITERIA`` names, >= 0); ``DEFAULT_WEIGHTS`` if None.

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


def review_csv(rows: list[dict[str, Any]]) -> str:
    """The review table as CSV: a header row, then one row per version (``COLUMNS``).

    >>> review_csv([]).splitlines()[0].split(",")[:4]
    ['rank', 'label', 'kind', 'score']
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in COLUMNS])
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


def review_html(
    title: str, rows: list[dict[str, Any]], maps: Mapping[str, str], notes: list[str]
) -> str:
    """One self-contained, printable HTML page: ranked table, weights used and each map.

    Args:
        title: the page title (escaped).
        rows: rows of ``review_table``.
        maps: version label to its map as SVG text (trusted Graphviz output, embedded
            as is); shown in the order of ``rows``.
        notes: paragraphs shown under the table (escaped).
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
            value = row.get(column)
            missing = column in row.get("missing", []) and value is None
            css = "text" if column in ("label", "kind", "missing") else ""
            text = "missing" if missing else _cell(value)
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
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{e(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{e(title)}</h1>\n<h2>Options ranked</h2>\n"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>\n"
        f"{notes_html}\n<h2>Weights used</h2>\n<ul>{weight_items}</ul>\n"
        '<p class="note">Each criterion is scaled across the versions from 0 (worst) to '
        "1 (best); a missing value scores 0. The score is the weighted mean.</p>\n"
        f"<h2>Maps</h2>\n{figures}\n</body>\n</html>\n"
    )
