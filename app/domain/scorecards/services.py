"""Department scorecards of a stored log: the figures a branch lead is held to over a
period, their change against the period just before, and their trend per month.

The figures come from the cached analysis documents of each period (``analyses.services.
analysis``), so they share the document's definitions; two figures the document does not
carry per department (the 90th percentile of holding time and the cases with ping-pong,
counted once per case) come from one SQL pass over the log's events with the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from app.domain.analyses.background import BackgroundAnalyses, Computing
from app.domain.analyses.services import analysis
from app.domain.event_logs.services import get_log
from app.domain.processes.services import get_tree, list_handoffs, list_processes
from app.domain.scorecards.figures import (
    FIGURES,
    department_key,
    match_department,
    period_figures,
)
from app.lib.errors import InvalidRequest, NotFound
from app.lib.times import iso_utc
from app.mining.analysis import Filters

__all__ = ["default_period", "scorecard", "scorecards"]

DAY_US = 86_400 * 1_000_000
TREND_MONTHS = 24
"""At most this many months (the latest) in a trend."""


@dataclass
class Facts:
    """Per-case facts of a log the documents do not carry per department."""

    first_us: dict[str, int] = field(default_factory=dict)
    holding: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    """department -> (case, seconds it held the case) for cases it held for a while."""
    pingpong: dict[str, set[str]] = field(default_factory=dict)
    """department -> cases with a handoff into or out of it repeated."""

    def holding_in(self, department: str, start: int, end: int) -> list[float]:
        return [
            s for case, s in self.holding.get(department, []) if start <= self.first_us[case] < end
        ]

    def pingpong_in(self, department: str, start: int, end: int) -> int:
        return sum(start <= self.first_us[c] < end for c in self.pingpong.get(department, ()))


_CONSECUTIVE = (
    "SELECT case_id, department, timestamp_us, "
    "LAG(department) OVER (PARTITION BY case_id ORDER BY seq) AS previous_department, "
    "LAG(timestamp_us) OVER (PARTITION BY case_id ORDER BY seq) AS previous_us "
    "FROM event WHERE log_id = :log"
)
"""Each event with the one before it in its case (ordered as the analyses order: ``seq``)."""


def _facts(session: Session, log_id: int) -> Facts:
    """Per-case facts in three grouped SQL queries (no loop over events)."""
    run = session.connection().execute
    facts = Facts()
    facts.first_us = {
        case: first
        for case, first in run(
            text(
                "SELECT case_id, MIN(timestamp_us) FROM event WHERE log_id = :log GROUP BY case_id"
            ),
            {"log": log_id},
        )
    }
    for department, case, micros in run(
        text(
            f"SELECT department, case_id, SUM(timestamp_us - previous_us) FROM ({_CONSECUTIVE}) "
            "AS pairs WHERE previous_department = department GROUP BY department, case_id"
        ),
        {"log": log_id},
    ):
        facts.holding.setdefault(department, []).append((case, int(micros) / 1e6))
    for case, a, b in run(
        text(
            f"SELECT case_id, previous_department, department FROM ({_CONSECUTIVE}) AS pairs "
            "WHERE previous_department <> department "
            "GROUP BY case_id, previous_department, department HAVING COUNT(*) >= 2"
        ),
        {"log": log_id},
    ):
        facts.pingpong.setdefault(a, set()).add(case)
        facts.pingpong.setdefault(b, set()).add(case)
    return facts


def _month_start(moment: datetime) -> datetime:
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next_month(moment: datetime) -> datetime:
    return _month_start(_month_start(moment) + timedelta(days=32))


def _us(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _utc(micros: int) -> datetime:
    return datetime.fromtimestamp(micros / 1e6, UTC)


def default_period(first_us: int, last_us: int) -> tuple[int, int]:
    """The latest calendar month (UTC) the log covers to its end: the month of its last
    event when that event falls on the month's last day, otherwise the month before (a
    month cut short would understate every volume); the whole log when it is shorter.

    >>> [iso_utc(x) for x in default_period(0, 45 * 86_400_000_000)]
    ['1970-01-01T00:00:00Z', '1970-02-01T00:00:00Z']
    """
    last = _utc(last_us)
    end = _next_month(last)
    if (end - timedelta(days=1)).date() != last.date():
        end = _month_start(last)
    start = _month_start(end - timedelta(days=1))
    if _us(start) < _month_start(_utc(first_us)).timestamp() * 1e6 or _us(end) <= first_us:
        return first_us, last_us + 1
    return _us(start), _us(end)


def _period(
    first_us: int, last_us: int, start: int | None, end: int | None
) -> tuple[int, int, int]:
    """The period asked for (or the default) and the start of the one before it: as many
    calendar months before when the period is whole months, else the same length."""
    if start is None and end is None:
        start, end = default_period(first_us, last_us)
    elif start is None:
        assert end is not None
        start = end - 30 * DAY_US
    elif end is None:
        end = start + 30 * DAY_US
    if end <= start:
        raise InvalidRequest("The period's end ('to') must come after its start ('from').")
    if start - (end - start) < EARLIEST_US or end > LATEST_US:
        raise InvalidRequest(
            "The period and the one before it must lie between 1900 and 2200; check "
            "'from' and 'to'."
        )
    first, last = _utc(start), _utc(end)
    if first == _month_start(first) and last == _month_start(last):
        months = (last.year - first.year) * 12 + last.month - first.month
        before = first
        for _ in range(months):
            before = _month_start(before - timedelta(days=1))
        return start, end, _us(before)
    return start, end, start - (end - start)


EARLIEST_US = int(datetime(1900, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)
LATEST_US = int(datetime(2200, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)


def _previous(
    context: _Context, document: dict[str, Any] | None, department: str, before: int, start: int
) -> dict[str, Any]:
    """A department's figures over the previous period (``document``: its analysis); all
    None without one, when that period ends before the log's first event (the log cannot
    say, which is not the same as zero)."""
    if document is None:
        return dict.fromkeys(FIGURES)
    return dict(context.figures(document, department, before, start))


def _months(first_us: int, last_us: int) -> list[tuple[int, int]]:
    months = []
    moment = _month_start(_utc(first_us))
    while _us(moment) <= last_us:
        following = _next_month(moment)
        months.append((_us(moment), _us(following)))
        moment = following
    return months[-TREND_MONTHS:]


@dataclass
class _Context:
    session: Session
    log_id: int
    process: str | None
    version: str | None
    facts: Facts
    unowned: dict[str, int | None]
    background: BackgroundAnalyses | None = None
    pending: list[Computing] = field(default_factory=list)

    def document(self, start: int, end: int) -> dict[str, Any]:
        """The period's analysis document; an empty one while it is computed in the
        background (``done`` then raises, once every missing document was asked for)."""
        try:
            document, _ = analysis(
                self.session,
                self.log_id,
                Filters(start_us=start, end_us=end),
                process=self.process,
                version=self.version,
                background=self.background,
            )
        except Computing as waiting:
            self.pending.append(waiting)
            return {}
        return document

    def done(self) -> None:
        """Raise the first ``Computing`` (a 202) when any document is not ready yet."""
        if self.pending:
            raise self.pending[0]

    def figures(self, document: dict[str, Any], department: str, start: int, end: int) -> Any:
        return period_figures(
            document,
            department,
            self.facts.holding_in(department, start, end),
            self.facts.pingpong_in(department, start, end),
            self.unowned.get(department),
        )


def _standards_process(session: Session, activities: set[str]) -> str | None:
    """The documented process whose as-is step names match most of the log's activities
    (ignoring case), when any does; ties by slug."""
    names = {a.casefold() for a in activities}
    best: tuple[int, str] | None = None
    for tree in list_processes(session):
        as_is = [v for v in tree.versions if v.kind == "as-is"]
        steps = {s.name.casefold() for v in as_is for s in tree.steps[v.id or 0]}
        overlap = len(steps & names)
        if overlap and (best is None or (-overlap, tree.process.slug) < (-best[0], best[1])):
            best = (overlap, tree.process.slug)
    return best[1] if best else None


def _unowned(
    session: Session, departments: list[str], process: str | None
) -> dict[str, int | None]:
    """Per log department: documented as-is handoffs touching it without an owner (of the
    named process, or of every documented process); None when the catalogue does not know
    the department."""
    handoffs = [
        h
        for h in list_handoffs(session, kind="as-is", unowned=True)
        if process is None or h.process == process
    ]
    known = {department_key(n) for t in list_processes(session) for n in t.department_names()}
    out: dict[str, int | None] = {}
    for department in departments:
        key = department_key(department)
        out[department] = (
            sum(
                key in (department_key(h.from_department), department_key(h.to_department))
                for h in handoffs
            )
            if key in known
            else None
        )
    return out


def _context(
    session: Session,
    log_id: int,
    process: str | None,
    version: str | None,
    background: BackgroundAnalyses | None,
) -> tuple[_Context, dict[str, Any], str]:
    log = get_log(session, log_id)
    if process is not None:
        get_tree(session, process)  # NotFound names it
    whole = analysis(session, log_id, Filters(), background=background)[0]
    chosen = process
    how = "named"
    if process is None:
        chosen = _standards_process(session, {a["activity"] for a in whole.get("activities", [])})
        how = "best match of the log's activities" if chosen else "none"
    departments = whole["log"]["departments"]
    context = _Context(
        session,
        log.id or log_id,
        chosen,
        version if process is not None else None,
        _facts(session, log_id),
        _unowned(session, departments, process),
        background,
    )
    return context, whole, how


def _change(current: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """Current minus previous, per figure (None where either is missing)."""
    out: dict[str, Any] = {}
    for name in FIGURES:
        a, b = current.get(name), previous.get(name)
        out[name] = round(a - b, 4) if a is not None and b is not None else None
    return out


def _header(
    context: _Context, whole: dict[str, Any], how: str, start: int, end: int, before: int
) -> dict[str, Any]:
    return {
        "log_id": context.log_id,
        "period": {"from": iso_utc(start), "to": iso_utc(end)},
        "previous_period": {"from": iso_utc(before), "to": iso_utc(start)},
        "log_span": {
            "first_event": whole["log"]["first_event"],
            "last_event": whole["log"]["last_event"],
        },
        "standards": {"process": context.process, "chosen": how},
        "figures": {
            name: {"label": label, "better": better} for name, (label, better) in FIGURES.items()
        },
    }


def scorecards(
    session: Session,
    log_id: int,
    start: int | None = None,
    end: int | None = None,
    *,
    process: str | None = None,
    version: str | None = None,
    background: BackgroundAnalyses | None = None,
) -> dict[str, Any]:
    """Every department's scorecard over a period (the default: ``default_period``), with
    the previous period of the same length and the change.

    Raises:
        NotFound: no log or process by that id or slug.
        InvalidRequest: the period ends before it starts.
        Computing: given ``background``, the log is large and an analysis it needs is
            being computed in the background (every missing one is asked for at once).
    """
    context, whole, how = _context(session, log_id, process, version, background)
    first, last = _span(whole)
    start, end, before = _period(first, last, start, end)
    current = context.document(start, end)
    previous = context.document(before, start) if start > first else None
    context.done()
    rows = []
    for department in whole["log"]["departments"]:
        now = context.figures(current, department, start, end)
        then = _previous(context, previous, department, before, start)
        rows.append(
            {
                "department": department,
                "current": now,
                "previous": then,
                "change": _change(now, then),
            }
        )
    rows.sort(key=lambda r: (-r["current"]["cases"], r["department"]))
    return {**_header(context, whole, how, start, end, before), "departments": rows}


def scorecard(
    session: Session,
    log_id: int,
    department: str,
    start: int | None = None,
    end: int | None = None,
    *,
    process: str | None = None,
    version: str | None = None,
    background: BackgroundAnalyses | None = None,
) -> dict[str, Any]:
    """One department's scorecard with its trend: every figure per calendar month over the
    log (at most the latest ``TREND_MONTHS``).

    Raises:
        NotFound: no log, process or department (in the log) by that name; the sentence
            lists the log's departments.
        InvalidRequest: the period ends before it starts.
        Computing: given ``background``, the log is large and an analysis it needs is
            being computed in the background (every missing one is asked for at once).
    """
    context, whole, how = _context(session, log_id, process, version, background)
    known = whole["log"]["departments"]
    name = match_department(department, known)
    if name is None:
        raise NotFound(
            f"Event log {log_id} has no department '{department}'; it has: {', '.join(known)}."
        )
    first, last = _span(whole)
    start, end, before = _period(first, last, start, end)
    now = context.figures(context.document(start, end), name, start, end)
    then = _previous(
        context,
        context.document(before, start) if start > first else None,
        name,
        before,
        start,
    )
    trend = []
    for month_start, month_end in _months(first, last):
        figures = context.figures(
            context.document(month_start, month_end), name, month_start, month_end
        )
        trend.append({"month": _utc(month_start).strftime("%Y-%m"), **figures})
    context.done()
    return {
        **_header(context, whole, how, start, end, before),
        "department": name,
        "current": now,
        "previous": then,
        "change": _change(now, then),
        "trend": trend,
    }


def _span(whole: dict[str, Any]) -> tuple[int, int]:
    first, last = whole["log"]["first_event"], whole["log"]["last_event"]
    if first is None or last is None:
        raise InvalidRequest("The event log has no events, so there is no scorecard.")
    return _instant(first), _instant(last)


def _instant(iso: str) -> int:
    return _us(datetime.fromisoformat(iso.replace("Z", "+00:00")))
