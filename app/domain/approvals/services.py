"""Option approval: a to-be version's status moves only along ``TRANSITIONS``, each move
recorded with who made it and why. As-is versions are not reviewed (their handoffs are
signed off by the branch leads instead).

=============  ===============================  ==============================
from           to                               comment
=============  ===============================  ==============================
draft          in-review                        optional
in-review      approved                         optional
in-review      rejected                         required (why)
in-review      draft (back for rework)          optional
rejected       draft (rework after rejection)   optional
approved       draft (reopen a decision)        required (why)
=============  ===============================  ==============================

Services never commit; the request owns the transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.db.models import ProcessVersion, VersionReview
from app.domain.accounts.roles import Principal
from app.domain.approvals.schemas import ReviewMove, ReviewRecord, ReviewState
from app.domain.processes.services import get_tree, get_version
from app.lib.errors import Conflict, InvalidRequest

__all__ = ["COMMENT_REQUIRED", "TRANSITIONS", "allowed_moves", "move_option", "review_state"]

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("in-review",),
    "in-review": ("approved", "rejected", "draft"),
    "rejected": ("draft",),
    "approved": ("draft",),
}
"""Where an option may go from each status."""

COMMENT_REQUIRED = frozenset({("in-review", "rejected"), ("approved", "draft")})
"""Moves that must say why: a rejection, and reopening an approved option."""


def allowed_moves(status: str) -> tuple[str, ...]:
    """The statuses an option may move to from ``status``.

    >>> allowed_moves("in-review")
    ('approved', 'rejected', 'draft')
    """
    return TRANSITIONS.get(status, ())


def _or(items: tuple[str, ...]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def _option(session: Session, slug: str, label: str) -> ProcessVersion:
    version = get_version(get_tree(session, slug), label)
    if version.kind != "to-be":
        raise Conflict(
            f"Version '{label}' of process '{slug}' is an as-is version: only to-be options go "
            "through review (the handoffs of an as-is version are signed off instead)."
        )
    return version


def _record(row: VersionReview) -> ReviewRecord:
    moment = row.created_at
    return ReviewRecord(
        from_status=row.from_status,
        to_status=row.to_status,
        username=row.username,
        comment=row.comment,
        created_at=moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC),
    )


def _state(session: Session, slug: str, version: ProcessVersion) -> ReviewState:
    rows = session.exec(
        select(VersionReview)
        .where(VersionReview.version_id == version.id)
        .order_by(col(VersionReview.id))
    ).all()
    return ReviewState(
        process=slug,
        version=version.label,
        status=version.status,
        allowed=list(allowed_moves(version.status)),
        history=[_record(r) for r in rows],
    )


def review_state(session: Session, slug: str, label: str) -> ReviewState:
    """An option's status, the moves open to it, and its history, oldest first.

    Raises:
        NotFound: no such process or version.
        Conflict: the version is an as-is version.
    """
    return _state(session, slug, _option(session, slug, label))


def move_option(
    session: Session, slug: str, label: str, to: str, comment: str | None, who: Principal
) -> ReviewMove:
    """Move a to-be option to another status and record the move.

    Args:
        session: the database session.
        slug: the process.
        label: a to-be version of it.
        to: the new status, one of ``allowed_moves`` of the current one.
        comment: why; required by ``COMMENT_REQUIRED``.
        who: the reviewer (or admin) making the move.

    Raises:
        NotFound: no such process or version.
        Conflict: the version is as-is, the move is not allowed from the current status, or
            someone else moved the option meanwhile.
        InvalidRequest: the move needs a comment and has none.
    """
    version = _option(session, slug, label)
    current = version.status
    allowed = allowed_moves(current)
    if to not in allowed:
        raise Conflict(
            f"Option '{label}' is {current}; from {current} it can move to {_or(allowed)} only"
            f"{' (it is already ' + current + ')' if to == current else ''}."
        )
    text = (comment or "").strip() or None
    if (current, to) in COMMENT_REQUIRED and text is None:
        why = "rejecting" if to == "rejected" else "reopening an approved option"
        raise InvalidRequest(f"Say why in a comment: {why} needs one.")
    moved = session.exec(
        update(ProcessVersion)
        .where(col(ProcessVersion.id) == version.id, col(ProcessVersion.status) == current)
        .values(status=to)
    )
    if moved.rowcount != 1:
        raise Conflict(f"Option '{label}' was moved by someone else meanwhile; reload and retry.")
    row = VersionReview(
        version_id=version.id or 0,
        username=who.username,
        from_status=current,
        to_status=to,
        comment=text,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    session.refresh(version)
    state = _state(session, slug, version)
    return ReviewMove(**state.model_dump(), move=_record(row))
