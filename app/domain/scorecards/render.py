"""Scorecards as CSV, as a printable HTML page with sparklines, and as a text table."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from typing import Any

from app.domain.scorecards.figures import FIGURES
from app.lib.cells import neutralise

__all__ = ["scorecard_csv", "scorecard_html", "scorecard_text", "sparkline_svg"]

SHOWN = tuple(FIGURES)


def _value(name: str, value: Any) -> str:
    """A figure as text: shares as percents, hours with one decimal, counts as integers."""
    if value is None:
        return "-"
    if name.endswith(("_share", "_rate")):
        return f"{value * 100:.1f}%"
    if name.endswith("_hours"):
        return f"{value:,.1f} h"
    return f"{value:,}"


def _arrow(name: str, change: Any) -> str:
    """The change against the previous period, with ▲/▼ and whether it is better."""
    if change is None:
        return ""
    if change == 0:
        return "= no change"
    better = FIGURES[name][1]
    sign = "▲" if change > 0 else "▼"
    amount = _value(name, abs(change)).replace("%", " pts") if "%" in _value(name, 1.0) else None
    text = f"{sign} {amount or _value(name, abs(change))}"
    if better == "neutral":
        return text
    good = (change > 0) == (better == "higher")
    return f"{text} ({'better' if good else 'worse'})"


def _rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    if "departments" in document:
        return list(document["departments"])
    return [document]


def scorecard_csv(document: dict[str, Any]) -> str:
    """One row per department and figure: the period's value, the previous one, the change.

    >>> scorecard_csv({"departments": []}).splitlines()
    ['department,figure,label,period_from,period_to,value,previous,change']
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["department", "figure", "label", "period_from", "period_to", "value", "previous", "change"]
    )
    period = document.get("period", {})
    for row in _rows(document):
        for name in SHOWN:
            writer.writerow(
                [
                    neutralise(row["department"]),
                    name,
                    FIGURES[name][0],
                    period.get("from", ""),
                    period.get("to", ""),
                    _plain(row["current"].get(name)),
                    _plain(row["previous"].get(name)),
                    _plain(row["change"].get(name)),
                ]
            )
    return out.getvalue()


def _plain(value: Any) -> str:
    return "" if value is None else str(value)


def sparkline_svg(values: Sequence[float | None], label: str, width: int = 120) -> str:
    """A small line of the values (gaps where None), with a dot on the last one.

    >>> sparkline_svg([1, None, 3], "cases").startswith('<svg class="spark"')
    True
    """
    height, pad = 28, 3
    known = [v for v in values if v is not None]
    e = html.escape
    head = (
        f'<svg class="spark" role="img" aria-label="{e(label)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    )
    if not known:
        return head + "</svg>"
    low, high = min(known), max(known)
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def point(i: int, v: float) -> str:
        y = height - pad - ((v - low) / (high - low) if high > low else 0.5) * (height - 2 * pad)
        return f"{pad + i * step:.1f},{y:.1f}"

    segments: list[list[str]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            segments.append([])
        else:
            segments[-1].append(point(i, v))
    lines = "".join(
        f'<polyline fill="none" stroke="#2a5db0" stroke-width="1.5" points="{" ".join(s)}"/>'
        for s in segments
        if s
    )
    last = next((i, v) for i, v in reversed(list(enumerate(values))) if v is not None)
    x, y = point(*last).split(",")
    return f'{head}{lines}<circle cx="{x}" cy="{y}" r="2.2" fill="#2a5db0"/></svg>'


_STYLE = """
body { font: 11pt/1.4 system-ui, sans-serif; color: #1a1a1a; margin: 2rem auto;
       max-width: 60rem; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 1.6rem; }
table { border-collapse: collapse; width: 100%; font-size: 10pt; }
th, td { border: 1px solid #bbb; padding: .25rem .45rem; text-align: right; }
th { background: #eef1f5; } td.text, th.text { text-align: left; }
.note { color: #444; } .better { color: #1b6b2a; } .worse { color: #a33; }
@media print { @page { size: A4; margin: 12mm; } body { margin: 0; max-width: none; }
  section { break-inside: avoid; } }
"""


def _change_cell(name: str, change: Any) -> str:
    text = _arrow(name, change)
    css = "better" if "better" in text else "worse" if "worse" in text else ""
    return f'<td class="{css}">{html.escape(text)}</td>'


def scorecard_html(document: dict[str, Any]) -> str:
    """One printable page: per department the figures, the previous period, the change,
    and (for one department) a sparkline of each figure per month. Every name is escaped."""
    e = html.escape
    period, previous = document["period"], document["previous_period"]
    sections = []
    trend = document.get("trend")
    for row in _rows(document):
        body = []
        for name in SHOWN:
            spark = ""
            if trend:
                values = [m.get(name) for m in trend]
                spark = f"<td>{sparkline_svg(values, FIGURES[name][0] + ' per month')}</td>"
            body.append(
                f'<tr><td class="text">{e(FIGURES[name][0])}</td>'
                f"<td>{e(_value(name, row['current'].get(name)))}</td>"
                f"<td>{e(_value(name, row['previous'].get(name)))}</td>"
                f"{_change_cell(name, row['change'].get(name))}{spark}</tr>"
            )
        trend_head = (
            f"<th>per month, {e(trend[0]['month'])} to {e(trend[-1]['month'])}</th>"
            if trend
            else ""
        )
        sections.append(
            f"<section><h2>{e(row['department'])}</h2><table><thead><tr>"
            '<th class="text">figure</th><th>this period</th><th>previous period</th>'
            f"<th>change</th>{trend_head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            "</section>"
        )
    standards = document.get("standards", {})
    source = (
        f"Standards: process '{standards['process']}' ({standards['chosen']})."
        if standards.get("process")
        else "Standards: no documented process matches the log, so none are checked."
    )
    title = f"Scorecard: event log {document['log_id']}"
    if "department" in document:
        title = f"Scorecard: {document['department']} (event log {document['log_id']})"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<title>{e(title)}</title>\n<link rel="icon" href="data:,">\n'
        f"<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{e(title)}</h1>\n"
        f'<p class="note">Cases starting from {e(period["from"][:10])} to before '
        f"{e(period['to'][:10])}, against {e(previous['from'][:10])} to before "
        f"{e(previous['to'][:10])}. {e(source)}</p>\n"
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )


def scorecard_text(document: dict[str, Any]) -> str:
    """A readable table for a terminal: one block per department."""
    period, previous = document["period"], document["previous_period"]
    lines = [
        f"period {period['from'][:10]} to {period['to'][:10]} "
        f"(previous {previous['from'][:10]} to {previous['to'][:10]})"
    ]
    width = max(len(label) for label, _ in FIGURES.values())
    for row in _rows(document):
        lines += ["", row["department"]]
        for name in SHOWN:
            lines.append(
                f"  {FIGURES[name][0]:<{width}}  {_value(name, row['current'].get(name)):>10}  "
                f"{_value(name, row['previous'].get(name)):>10}  "
                f"{_arrow(name, row['change'].get(name))}"
            )
    return "\n".join(lines)
