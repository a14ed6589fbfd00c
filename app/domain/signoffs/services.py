"""Handoff sign-off: the branch leads of the two departments of a handoff each confirm
it or dispute it (with a comment), one record per flow and side, changed in place when a
lead changes their word. Only as-is versions are signed off: they describe how work runs
today, which the people doing it can vouch for; to-be options go through review instead.

Services never commit; the request owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from app.db.models import Flow, HandoffSignoff, ProcessVersion
from app.domain.accounts.roles import Principal
from app.domain.catalogue.lookups import department_by_key
from app.domain.processes.schemas import HandoffPublic
from app.domain.processes.services import get_tree, get_version, list_processes
from app.domain.processes.tree import ProcessTree
from app.domain.signoffs.schemas import (
    HandoffSignoffs,
    QueueEntry,
    ReviewQueue,
    SideState,
    VersionSignoffs,
)
from app.lib.errors import Conflict, Forbidden, InvalidRequest, NotFound

__all__ = ["review_queue", "sign_off", "version_signoffs"]

QUEUE_ORDER = {"pending": 0, "disputed": 1, "confirmed": 2}


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes for timezone columns: they are UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _as_is(tree: ProcessTree, label: str) -> ProcessVersion:
    version = get_version(tree, label)
    if version.kind != "as-is":
        raise Conflict(
            f"Version '{label}' of process '{tree.process.slug}' is a to-be option: only the "
            "handoffs of an as-is version are signed off (options go through review)."
        )
    return version


def _records(session: Session, flow_ids: Iterable[int]) -> dict[tuple[int, int], HandoffSignoff]:
    ids = sorted(set(flow_ids))
    if not ids:
        return {}
    rows = session.exec(select(HandoffSignoff).where(col(HandoffSignoff.flow_id).in_(ids))).all()
    return {(r.flow_id, r.department_id): r for r in rows}


def _side(
    department: str,
    department_id: int,
    flow_id: int,
    records: dict[tuple[int, int], HandoffSignoff],
) -> SideState:
    found = records.get((flow_id, department_id))
    if found is None:
        return SideState(department=department, state="pending")
    return SideState(
        department=department,
        state="confirmed" if found.state == "confirmed" else "disputed",
        username=found.username,
        updated_at=_aware(found.updated_at),
        comment=found.comment,
    )


def _entry(
    tree: ProcessTree, handoff: HandoffPublic, records: dict[tuple[int, int], HandoffSignoff]
) -> HandoffSignoffs:
    flow = _flow_row(tree, handoff.flow_id)
    ends = (tree.step(flow.from_step_id).department_id, tree.step(flow.to_step_id).department_id)
    sides = [
        _side(handoff.from_department, ends[0], handoff.flow_id, records),
        _side(handoff.to_department, ends[1], handoff.flow_id, records),
    ]
    return HandoffSignoffs(
        **handoff.model_dump(),
        sides=sides,
        agreed=all(s.state == "confirmed" for s in sides),
    )


def _flow_row(tree: ProcessTree, flow_id: int) -> Flow:
    for flows in tree.flows.values():
        for flow in flows:
            if flow.id == flow_id:
                return flow
    raise NotFound(f"Process '{tree.process.slug}' has no flow {flow_id}.")  # pragma: no cover


def _handoffs_of(tree: ProcessTree, version: ProcessVersion) -> list[HandoffPublic]:
    return [h for h in tree.handoffs() if h.version == version.label]


def version_signoffs(session: Session, slug: str, label: str) -> VersionSignoffs:
    """Every handoff of an as-is version with both sides' word.

    Raises:
        NotFound: no such process or version.
        Conflict: the version is a to-be option.
    """
    tree = get_tree(session, slug)
    version = _as_is(tree, label)
    handoffs = _handoffs_of(tree, version)
    records = _records(session, (h.flow_id for h in handoffs))
    entries = [_entry(tree, h, records) for h in handoffs]
    disputed = sum(any(s.state == "disputed" for s in e.sides) for e in entries)
    agreed = sum(e.agreed for e in entries)
    return VersionSignoffs(
        process=slug,
        version=label,
        agreed=agreed,
        disputed=disputed,
        pending=len(entries) - agreed - disputed,
        handoffs=entries,
    )


def sign_off(
    session: Session,
    slug: str,
    label: str,
    flow_id: int,
    who: Principal,
    department: str,
    state: str,
    comment: str | None,
) -> HandoffSignoffs:
    """Record (or change) a branch lead's word on one side of a handoff.

    Args:
        session: the database session.
        slug: the process.
        label: an as-is version of it.
        flow_id: a handoff of that version.
        who: the branch lead; ``departments`` must hold ``department``.
        department: name or slug of one of the handoff's two departments.
        state: ``confirmed`` or ``disputed``.
        comment: why, required when disputing.

    Raises:
        NotFound: no such process, version, flow or department.
        Conflict: the version is a to-be option.
        InvalidRequest: the flow is no handoff, the department is not one of its sides, or a
            dispute has no comment.
        Forbidden: the person does not lead that department.
    """
    tree = get_tree(session, slug)
    version = _as_is(tree, label)
    flow = next((f for f in tree.flows[version.id or 0] if f.id == flow_id), None)
    if flow is None:
        raise NotFound(f"Version '{label}' of process '{slug}' has no flow {flow_id}.")
    a, b = tree.step(flow.from_step_id), tree.step(flow.to_step_id)
    names = (tree.departments[a.department_id], tree.departments[b.department_id])
    if a.department_id == b.department_id:
        raise InvalidRequest(
            f"Flow {flow_id} ({a.key} -> {b.key}) stays within {names[0]}: it is not a handoff, "
            "so there is nothing to sign off."
        )
    side = department_by_key(session, department)
    if side.id not in (a.department_id, b.department_id):
        raise InvalidRequest(
            f"Flow {flow_id} hands work from {names[0]} to {names[1]}; sign off for one of "
            f"them, not {side.name}."
        )
    if side.name not in who.departments:
        led = ", ".join(who.departments) if who.departments else "no department"
        raise Forbidden(
            f"You lead {led}, not {side.name}; only a branch lead of {side.name} can sign off "
            f"for {side.name}."
        )
    text = (comment or "").strip() or None
    if state == "disputed" and text is None:
        raise InvalidRequest("A dispute needs a comment saying what is wrong with the handoff.")
    record = session.exec(
        select(HandoffSignoff).where(
            HandoffSignoff.flow_id == flow_id, HandoffSignoff.department_id == side.id
        )
    ).first() or HandoffSignoff(flow_id=flow_id, department_id=side.id or 0, username="", state="")
    record.account_id = who.account_id
    record.username = who.username
    record.state = state
    record.comment = text
    record.updated_at = datetime.now(UTC)
    session.add(record)
    session.flush()
    handoff = next(h for h in tree.handoffs() if h.flow_id == flow_id)
    return _entry(tree, handoff, _records(session, [flow_id]))


def review_queue(session: Session, key: str) -> ReviewQueue:
    """The handoffs of as-is versions into or out of a department, with its side's word:
    pending first, then disputed, then confirmed (catalogue order within each).

    Raises:
        NotFound: no department has that slug or name.
    """
    department = department_by_key(session, key)
    found: list[tuple[ProcessTree, HandoffPublic]] = [
        (tree, h)
        for tree in list_processes(session, department=department.slug)
        for h in tree.handoffs()
        if h.version_kind == "as-is" and department.name in (h.from_department, h.to_department)
    ]
    records = _records(session, (h.flow_id for _, h in found))
    entries = []
    for tree, handoff in found:
        entry = _entry(tree, handoff, records)
        side = next(s for s in entry.sides if s.department == department.name)
        entries.append(QueueEntry(**entry.model_dump(), side=side))
    entries.sort(key=lambda e: QUEUE_ORDER[e.side.state])
    count = {state: sum(e.side.state == state for e in entries) for state in QUEUE_ORDER}
    return ReviewQueue(
        department=department.name,
        slug=department.slug,
        pending=count["pending"],
        disputed=count["disputed"],
        confirmed=count["confirmed"],
        handoffs=entries,
    )
