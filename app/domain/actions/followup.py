"""Measuring an action's metric on a log: the baseline when the action is made, and the
follow-up on every later log (``measure_open_actions``, called at the end of each import).

Same definition, same filters: both read the cached analysis document
(``analyses.services.analysis``) through the metric catalogue, with the action's filters,
except its date filters (``from``/``to``), which a later log, covering a later period,
would not pass; they apply to the baseline only.

Large logs: an import of a log with more than ``INLINE_EVENTS`` events does not analyse
it on the spot (that is the job of the background analyses); the follow-up is stored as
``pending``. Reading the register (``complete_pending``) asks for each pending log's
analysis in the background and fills the measurement in once it is cached;
``POST /api/actions/{id}/measure?log=N`` or ``handoff actions measure --log N`` measure
at once (analysing the log within the request or command).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from app.db.models import ActionMeasurement, EventLog, ImprovementAction
from app.domain.actions.metrics import METRICS, Reading, Subject, read_metric
from app.lib.errors import DomainError, InvalidRequest
from app.lib.times import instant, iso_utc
from app.mining.analysis.filters import Filters, where_pairs

__all__ = [
    "FOLLOWED",
    "INLINE_EVENTS",
    "complete_pending",
    "filters_of",
    "measure_action",
    "measure_open_actions",
    "read_on_log",
]

log = logging.getLogger("app.actions")

INLINE_EVENTS = 200_000
"""Logs up to this many events are measured within their import; larger ones later."""
FOLLOWED = ("planned", "in progress", "done")
"""States whose actions are measured on new logs: every one but ``dropped`` (a done
action is exactly the one whose effect the follow-up should show)."""


def filters_of(stored: dict[str, Any], *, dates: bool) -> Filters:
    """Analysis filters from an action's stored filters (``dates``: keep from/to).

    >>> kept = filters_of({"from": "2024-01-01", "department": ["Roads"]}, dates=False)
    >>> kept.start_us, kept.departments
    (None, ('Roads',))
    """
    return Filters(
        start_us=instant(stored.get("from"), "from") if dates else None,
        end_us=instant(stored.get("to"), "to") if dates else None,
        departments=tuple(stored.get("department") or ()),
        activities=tuple(stored.get("activity") or ()),
        variant=tuple(stored["variant"]) if stored.get("variant") else None,
        where=where_pairs(list(stored.get("where") or [])),
    )


@dataclass(frozen=True)
class Measure:
    """What to measure: a metric of a subject, with filters, against a process version."""

    metric: str
    subject: Subject
    filters: Filters
    process: str | None = None
    version: str | None = None


def read_on_log(session: Session, log_id: int, what: Measure, background: Any = None) -> Reading:
    """The metric on a stored log, from its (cached) analysis document.

    Args:
        background: the service's ``BackgroundAnalyses``: a large log's document that is
            not cached yet is then computed in the background (``Computing`` is raised)
            instead of within the call.

    Raises:
        NotFound: no such log, or process.
        InvalidRequest: the metric or its subject is not usable.
        Computing: see ``background``.
    """
    from app.domain.analyses.services import analysis

    needs_process = METRICS[what.metric].needs_process if what.metric in METRICS else False
    if needs_process and not what.process:
        raise InvalidRequest(f"The metric {what.metric} needs a process (and version).")
    document, _ = analysis(
        session,
        log_id,
        what.filters,
        process=what.process if needs_process else None,
        version=what.version if needs_process else None,
        background=background,
    )
    return read_metric(what.metric, document, what.subject)


def _measure_of(action: ImprovementAction) -> Measure:
    return Measure(
        action.metric,
        Subject(**action.finding),
        filters_of(action.filters, dates=False),
        action.process,
        action.version,
    )


def _store(
    session: Session,
    action: ImprovementAction,
    log_row: EventLog,
    value: float | None,
    state: str,
    note: str | None,
) -> ActionMeasurement:
    found = session.exec(
        select(ActionMeasurement).where(
            ActionMeasurement.action_id == action.id, ActionMeasurement.log_id == log_row.id
        )
    ).first()
    row = found or ActionMeasurement(
        action_id=action.id or 0, log_id=log_row.id or 0, log_name="", state=""
    )
    row.log_name = log_row.name[:300]
    row.log_last_event_us = log_row.last_event_us
    row.value, row.state, row.note = value, state, note
    row.measured_at = datetime.now(UTC)
    session.add(row)
    session.flush()
    return row


def is_later(action: ImprovementAction, log_row: EventLog) -> bool:
    """Whether a log's last event is later than the baseline log's."""
    if log_row.last_event_us is None:
        return False
    return action.baseline_last_event_us is None or (
        log_row.last_event_us > action.baseline_last_event_us
    )


def measure_action(
    session: Session, action: ImprovementAction, log_row: EventLog
) -> ActionMeasurement:
    """Measure an action's metric on a later log and store it (replacing an earlier
    measurement on the same log).

    Raises:
        InvalidRequest: the log does not end after the baseline log, or the metric cannot
            be read (a process that no longer has the flow's standard).
        NotFound: the action's process is gone.
    """
    if not is_later(action, log_row):
        ends = iso_utc(log_row.last_event_us) if log_row.last_event_us else "nowhere"
        baseline = iso_utc(action.baseline_last_event_us) if action.baseline_last_event_us else "?"
        raise InvalidRequest(
            f"Event log {log_row.id} ends {ends}, not after the baseline log "
            f"{action.baseline_log_id} ({baseline}); a follow-up needs a later log."
        )
    reading = read_on_log(session, log_row.id or 0, _measure_of(action))
    state = "measured" if reading.value is not None else "not observed"
    return _store(session, action, log_row, reading.value, state, reading.note)


def measure_open_actions(session: Session, log_id: int) -> list[ActionMeasurement]:
    """The follow-up hook of an import: measure every action that is not dropped on a
    newly imported log that ends after its baseline log.

    Never fails the import: an action that cannot be measured gets a ``failed``
    measurement whose note says why; a log larger than ``INLINE_EVENTS`` gets ``pending``
    ones (measured on request, see the module's text).

    Returns:
        The measurements stored.
    """
    log_row = session.get(EventLog, log_id)
    if log_row is None:
        return []
    actions = session.exec(
        select(ImprovementAction)
        .where(col(ImprovementAction.state).in_(FOLLOWED))
        .order_by(col(ImprovementAction.id))
    ).all()
    stored = []
    for action in actions:
        if not is_later(action, log_row) or action.baseline_log_id == log_id:
            continue
        if log_row.events > INLINE_EVENTS:
            note = (
                f"Deferred: the log has {log_row.events:,} events; measure it with "
                f"POST /api/actions/{action.id}/measure?log={log_id} or "
                f"'handoff actions measure --log {log_id}'."
            )
            stored.append(_store(session, action, log_row, None, "pending", note))
            continue
        try:
            with session.begin_nested():
                stored.append(measure_action(session, action, log_row))
        except DomainError as error:
            stored.append(_store(session, action, log_row, None, "failed", error.message))
        except Exception:  # a follow-up must never break an import
            log.exception("Action %s could not be measured on log %s", action.id, log_id)
            stored.append(
                _store(
                    session,
                    action,
                    log_row,
                    None,
                    "failed",
                    "Could not be measured (an internal error; see the server log).",
                )
            )
    return stored


def complete_pending(session: Session, background: Any) -> int:
    """Fill in the pending follow-ups of large logs whose analysis is cached by now; for
    the others, make sure their analysis is being computed in the background.

    Each completed measurement is committed at once: asking for a background analysis
    writes its claim on a connection of its own, which on SQLite would wait for this
    session's write lock.

    Returns:
        How many pending measurements were completed.
    """
    from app.db.engine import commit
    from app.domain.analyses.background import Computing

    pending = session.exec(
        select(ActionMeasurement).where(ActionMeasurement.state == "pending")
    ).all()
    done = 0
    for action_id, log_id in [(row.action_id, row.log_id) for row in pending]:
        action = session.get(ImprovementAction, action_id)
        log_row = session.get(EventLog, log_id)
        if action is None or log_row is None:
            continue
        try:
            reading = read_on_log(session, log_id, _measure_of(action), background)
        except Computing:
            session.rollback()
            continue
        except DomainError as error:
            session.rollback()
            _store(session, action, log_row, None, "failed", error.message)
        else:
            state = "measured" if reading.value is not None else "not observed"
            _store(session, action, log_row, reading.value, state, reading.note)
        commit(session)
        done += 1
    return done
