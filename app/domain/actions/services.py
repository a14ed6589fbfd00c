"""The register of improvement actions: made from a finding with a measured baseline,
owned, followed through states and comments, and judged on later logs."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session, col, select

from app.db.models import (
    Account,
    ActionComment,
    ActionMeasurement,
    ImprovementAction,
    Owner,
)
from app.domain.accounts.roles import Principal, may
from app.domain.accounts.services import account_by_name
from app.domain.actions.followup import Measure, filters_of, measure_action, read_on_log
from app.domain.actions.metrics import METRICS, Subject, default_metric
from app.domain.actions.schemas import (
    STATES,
    ActionCreate,
    ActionDetail,
    ActionPublic,
    ActionUpdate,
    CommentPublic,
    MeasurementPublic,
)
from app.domain.audit.services import neutralise
from app.domain.catalogue.lookups import owner_by_name
from app.domain.event_logs.services import get_log
from app.lib.errors import Conflict, Forbidden, InvalidRequest, require
from app.lib.times import iso_utc

__all__ = [
    "action_detail",
    "add_comment",
    "create_action",
    "get_action",
    "measure_on_log",
    "register",
    "register_csv",
    "register_row",
    "update_action",
]

NEEDS = {
    "handoff": ("from_department", "to_department"),
    "pingpong": ("from_department", "to_department"),
    "rework": ("activity", "department"),
    "duplicate": ("activity",),
    "step": ("activity",),
    "standard": ("from_step", "to_step"),
}
"""The finding fields each kind must name."""
NEXT_STATES = {
    "planned": ("in progress", "done", "dropped"),
    "in progress": ("planned", "done", "dropped"),
    "done": ("in progress",),
    "dropped": ("planned",),
}
"""Where an action may go from each state (a done one reopens; a dropped one revives)."""
SHOWN = ("measured", "not observed", "pending")
"""Measurements that count as the register's "after" (a failed one stays in the history)."""


def _subject_text(kind: str, finding: dict[str, Any]) -> str:
    if kind in ("handoff", "pingpong"):
        return f"{finding['from_department']} → {finding['to_department']}"
    if kind == "rework":
        return f"{finding['activity']} ({finding['department']})"
    if kind == "standard":
        return f"{finding['from_step']} → {finding['to_step']}"
    return str(finding["activity"])


def _default_department(kind: str, finding: dict[str, Any]) -> str | None:
    """The department an action belongs to unless named: a handoff's receiving side (its
    queue is the wait), a reworked activity's department."""
    if kind in ("handoff", "pingpong"):
        return str(finding["to_department"])
    if kind == "rework":
        return str(finding["department"])
    return None


def _better(direction: str, value: float, target: float) -> bool:
    return value <= target if direction == "lower" else value >= target


def create_action(session: Session, data: ActionCreate, who: str) -> ImprovementAction:
    """Make an action from a finding, with its baseline measured on the finding's log.

    Raises:
        NotFound: no such log, process, owner or account.
        InvalidRequest: the finding is incomplete, the metric does not fit it, it is not
            observed in the log, the target is no improvement, or nobody owns the action.
    """
    kind = data.finding.kind
    finding = {k: v for k, v in data.finding.model_dump(exclude={"kind"}).items() if v}
    missing = [f for f in NEEDS[kind] if f not in finding]
    if missing:
        raise InvalidRequest(f"A {kind} finding needs {' and '.join(missing)}.")
    metric_name = data.metric or default_metric(kind)
    metric = METRICS.get(metric_name)
    if metric is None:
        raise InvalidRequest(
            f"There is no metric {metric_name!r}; known: {', '.join(sorted(METRICS))}."
        )
    if any(f not in finding for f in metric.needs):
        raise InvalidRequest(
            f"The metric {metric_name} measures {' and '.join(metric.needs)}, which a "
            f"{kind} finding does not name."
        )
    if metric.needs_process and not data.process:
        raise InvalidRequest(f"The metric {metric_name} needs the process (and version).")
    department = data.department or _default_department(kind, finding)
    if not department:
        raise InvalidRequest(f"Name the department a {kind} action belongs to (department).")
    if not data.owner and not data.account:
        raise InvalidRequest("An action needs an owner (owner from the catalogue or account).")
    owner = owner_by_name(session, data.owner) if data.owner else None
    account = account_by_name(session, data.account) if data.account else None
    log_row = get_log(session, data.log_id)
    stored_filters = data.filters.model_dump(by_alias=True, exclude_defaults=True)
    reading = read_on_log(
        session,
        data.log_id,
        Measure(
            metric_name,
            Subject(**finding),
            filters_of(stored_filters, dates=True),
            data.process,
            data.version,
        ),
    )
    subject = _subject_text(kind, finding)
    if reading.value is None:
        raise InvalidRequest(
            f"{metric.label} of {subject} is not observed in event log {data.log_id} with "
            f"these filters ({reading.note}), so there is no baseline to improve on."
        )
    direction = data.direction or metric.direction
    if data.target == reading.value or not _better(direction, data.target, reading.value):
        raise InvalidRequest(
            f"The target {data.target:g} {metric.unit} is not {direction} than the baseline "
            f"{reading.value:g} {metric.unit}; set one the action should reach."
        )
    action = ImprovementAction(
        title=data.title or f"{metric.label}: {subject}",
        finding_kind=kind,
        finding=finding,
        department=department,
        process=data.process,
        version=data.version,
        owner_id=owner.id if owner else None,
        account_id=account.id if account else None,
        due=data.due,
        metric=metric_name,
        filters=stored_filters,
        baseline_log_id=data.log_id,
        baseline_log_name=log_row.name[:300],
        baseline_last_event_us=log_row.last_event_us,
        baseline_value=reading.value,
        target=data.target,
        direction=direction,
        state="planned",
        created_by=who,
    )
    session.add(action)
    session.flush()
    if data.comment:
        _comment(session, action, who, data.comment)
    return action


def get_action(session: Session, action_id: int) -> ImprovementAction:
    """An action by id.

    Raises:
        NotFound: no action has that id.
    """
    return require(
        session.get(ImprovementAction, action_id), f"There is no improvement action {action_id}."
    )


def _latest(session: Session, action_ids: list[int]) -> dict[int, ActionMeasurement]:
    """Each action's "after": its measurement on the latest later log."""
    if not action_ids:
        return {}
    rows = session.exec(
        select(ActionMeasurement)
        .where(col(ActionMeasurement.action_id).in_(action_ids))
        .where(col(ActionMeasurement.state).in_(SHOWN))
        .order_by(col(ActionMeasurement.log_last_event_us), col(ActionMeasurement.log_id))
    ).all()
    return {row.action_id: row for row in rows}


def _names(session: Session, model: Any, column: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(model.id, column).where(col(model.id).in_(ids))).all()
    return {int(ident): str(name) for ident, name in rows}


def _public(
    action: ImprovementAction,
    after: ActionMeasurement | None,
    owners: dict[int, str],
    accounts: dict[int, str],
    today: date,
) -> dict[str, Any]:
    metric = METRICS[action.metric]
    value: float | None
    note: str | None
    if after is None:
        outcome, value, note = "not yet measured", None, "No later log has been measured yet."
    elif after.state == "measured" and after.value is not None:
        value, note = after.value, after.note
        outcome = "met" if _better(action.direction, after.value, action.target) else "missed"
    else:
        outcome, value, note = after.state, None, after.note
    return {
        "id": action.id,
        "title": action.title,
        "finding_kind": action.finding_kind,
        "finding": action.finding,
        "department": action.department,
        "process": action.process,
        "version": action.version,
        "owner": owners.get(action.owner_id) if action.owner_id else None,
        "account": accounts.get(action.account_id) if action.account_id else None,
        "due": action.due,
        "overdue": action.state in ("planned", "in progress") and action.due < today,
        "state": action.state,
        "metric": action.metric,
        "metric_label": metric.label,
        "unit": metric.unit,
        "direction": action.direction,
        "filters": action.filters,
        "baseline_log_id": action.baseline_log_id,
        "baseline_log_name": action.baseline_log_name,
        "before": action.baseline_value,
        "after": value,
        "after_log_id": after.log_id if after else None,
        "after_note": note,
        "target": action.target,
        "outcome": outcome,
        "created_by": action.created_by,
        "created_at": action.created_at,
        "updated_at": action.updated_at,
    }


def _rows(session: Session, actions: list[ImprovementAction]) -> list[dict[str, Any]]:
    ids = [a.id or 0 for a in actions]
    latest = _latest(session, ids)
    owners = _names(session, Owner, Owner.name, {a.owner_id for a in actions if a.owner_id})
    accounts = _names(
        session, Account, Account.username, {a.account_id for a in actions if a.account_id}
    )
    today = datetime.now(UTC).date()
    return [_public(a, latest.get(a.id or 0), owners, accounts, today) for a in actions]


def register(
    session: Session,
    *,
    department: str | None = None,
    process: str | None = None,
    state: str | None = None,
) -> list[ActionPublic]:
    """The register: every action (newest first) with before, after, target and outcome.

    Raises:
        InvalidRequest: an unknown state.
    """
    query = select(ImprovementAction).order_by(col(ImprovementAction.id).desc())
    if state:
        if state not in STATES:
            raise InvalidRequest(f"There is no state {state!r}; states: {', '.join(STATES)}.")
        query = query.where(ImprovementAction.state == state)
    if process:
        query = query.where(ImprovementAction.process == process)
    actions = list(session.exec(query).all())
    if department:  # in Python: SQLite's lower() folds ASCII letters only
        wanted = department.casefold()
        actions = [a for a in actions if (a.department or "").casefold() == wanted]
    return [ActionPublic(**row) for row in _rows(session, actions)]


def register_row(session: Session, action_id: int) -> list[ActionPublic]:
    """One action's row of the register (a list of one)."""
    return [ActionPublic(**row) for row in _rows(session, [get_action(session, action_id)])]


def action_detail(session: Session, action_id: int) -> ActionDetail:
    """One action with its measurement history and comments."""
    action = get_action(session, action_id)
    (row,) = _rows(session, [action])
    measurements = session.exec(
        select(ActionMeasurement)
        .where(ActionMeasurement.action_id == action_id)
        .order_by(col(ActionMeasurement.log_last_event_us), col(ActionMeasurement.log_id))
    ).all()
    comments = session.exec(
        select(ActionComment)
        .where(ActionComment.action_id == action_id)
        .order_by(col(ActionComment.id))
    ).all()
    return ActionDetail(
        **row,
        definition=METRICS[action.metric].definition,
        measurements=[
            MeasurementPublic(
                log_id=m.log_id,
                log_name=m.log_name,
                log_last_event=iso_utc(m.log_last_event_us) if m.log_last_event_us else None,
                value=m.value,
                state=m.state,
                note=m.note,
                measured_at=m.measured_at,
            )
            for m in measurements
        ],
        comments=[
            CommentPublic(id=c.id or 0, username=c.username, text=c.text, at=c.at) for c in comments
        ],
    )


def _may_follow_up(action: ImprovementAction, who: Principal) -> bool:
    """Whether a branch lead answers for the action: it is in one of their departments,
    or their account owns it."""
    led = {d.casefold() for d in who.departments}
    return action.department.casefold() in led or (
        who.account_id is not None and action.account_id == who.account_id
    )


def _check(action: ImprovementAction, who: Principal, fields: set[str]) -> None:
    """Editors change anything; a branch lead of the action only its state and comments.

    Raises:
        Forbidden: anyone else, or a branch lead changing other fields.
    """
    if may(who, "edit"):
        return
    if not _may_follow_up(action, who):
        led = ", ".join(who.departments) if who.departments else "no department"
        raise Forbidden(
            f"You lead {led}, not {action.department}; only a branch lead of "
            f"{action.department}, its owner or an analyst can follow up this action."
        )
    other = sorted(fields - {"state", "comment", "text"})
    if other:
        raise Forbidden(
            f"A branch lead may change the state of an action and comment on it, not its "
            f"{', '.join(other)}; ask an analyst."
        )


def _comment(session: Session, action: ImprovementAction, who: str, text: str) -> ActionComment:
    row = ActionComment(action_id=action.id or 0, username=who, text=text)
    session.add(row)
    session.flush()
    return row


def update_action(
    session: Session, action_id: int, data: ActionUpdate, who: Principal
) -> ImprovementAction:
    """Change an action's state (with an optional comment) or, as an editor, its fields.

    Raises:
        NotFound: no such action, owner or account.
        Forbidden: the person may not change this (see ``_check``).
        Conflict: a move between states that is not allowed.
        InvalidRequest: the action would be left without an owner, or a target that is
            no improvement on the baseline.
    """
    action = get_action(session, action_id)
    changes = data.model_dump(exclude_unset=True)
    _check(action, who, set(changes))
    notes = []
    state = changes.get("state")
    if state is not None and state != action.state:
        if state not in NEXT_STATES[action.state]:
            allowed = " or ".join(NEXT_STATES[action.state])
            raise Conflict(f"An action that is {action.state} can move to {allowed}, not {state}.")
        notes.append(f"[{action.state} → {state}]")
        action.state = state
    if "owner" in changes:
        action.owner_id = owner_by_name(session, changes["owner"]).id if changes["owner"] else None
    if "account" in changes:
        found = account_by_name(session, changes["account"]) if changes["account"] else None
        action.account_id = found.id if found else None
    if (
        ("owner" in changes or "account" in changes)
        and action.owner_id is None
        and action.account_id is None
    ):
        raise InvalidRequest("An action needs an owner (owner from the catalogue or account).")
    for name in ("title", "due", "department"):
        if changes.get(name) is not None:
            setattr(action, name, changes[name])
    if changes.get("target") is not None:
        target = float(changes["target"])
        if target == action.baseline_value or not _better(
            action.direction, target, action.baseline_value
        ):
            raise InvalidRequest(
                f"The target {target:g} is not {action.direction} than the baseline "
                f"{action.baseline_value:g}."
            )
        action.target = target
    if changes.get("comment"):
        notes.append(changes["comment"])
    action.updated_at = datetime.now(UTC)
    session.add(action)
    session.flush()
    if notes:
        _comment(session, action, who.username, " ".join(notes))
    return action


def add_comment(session: Session, action_id: int, text: str, who: Principal) -> ActionComment:
    """Add a remark to an action (editors, and the branch leads who answer for it)."""
    action = get_action(session, action_id)
    _check(action, who, {"text"})
    return _comment(session, action, who.username, text)


def measure_on_log(session: Session, action_id: int, log_id: int) -> ActionMeasurement:
    """Measure an action's metric on a chosen later log (also completes a pending one)."""
    action = get_action(session, action_id)
    return measure_action(session, action, get_log(session, log_id))


CSV_COLUMNS = (
    "id",
    "title",
    "department",
    "process",
    "owner",
    "account",
    "due",
    "overdue",
    "state",
    "metric",
    "unit",
    "direction",
    "before",
    "after",
    "target",
    "outcome",
    "baseline_log_id",
    "after_log_id",
    "note",
)


def register_csv(rows: list[ActionPublic]) -> str:
    """The register as CSV, safe to open in a spreadsheet (text cells that look like
    formulas get a leading apostrophe; numbers are written as numbers)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        data = row.model_dump()
        data["note"] = data.pop("after_note")
        cells = []
        for name in CSV_COLUMNS:
            value = data.get(name)
            if value is None:
                cells.append("")
            elif isinstance(value, bool):
                cells.append("yes" if value else "no")
            elif isinstance(value, int | float):
                cells.append(str(value))
            else:
                cells.append(neutralise(str(value)))
        writer.writerow(cells)
    return out.getvalue()
