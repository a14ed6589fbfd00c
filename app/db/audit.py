"""The audit trail: every change to a tracked table (``audit_tables.SPECS``) is recorded
as who, when, what, and the row's fields before and after, in the transaction that makes
the change, so a change that is rolled back leaves no record.

Session events collect the changes: ``before_flush`` (updates and deletes, while the old
rows are still stored), ``after_flush`` (creations, once they have ids) and
``do_orm_execute`` (rows a bulk ``delete()`` or ``update()`` statement touches). At commit
the changes of the transaction are merged per row (a row created and then edited is one
creation; one edited twice is one update) and written. Rows of other tables, above all
the events of a log, are passed over by their class without being looked at.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, insert, inspect, select, tuple_, update
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction
from sqlmodel import SQLModel, col

from app.db.audit_changes import Change, merge_changes
from app.db.audit_tables import SPECS, Lookup, Spec
from app.db.models import AuditEntry
from app.lib.actor import actor

__all__ = ["note_change", "note_creation"]

PENDING = "handoff_audit"
"""The key in ``Session.info`` of the changes not yet written: (transaction, change)."""


def _pending(session: Session) -> list[tuple[SessionTransaction | None, Change]]:
    found: list[tuple[SessionTransaction | None, Change]] = session.info.setdefault(PENDING, [])
    return found


def _keep(session: Session, change: Change) -> None:
    transaction = session.get_nested_transaction() or session.get_transaction()
    _pending(session).append((transaction, change))


def _values(row: Any) -> dict[str, Any]:
    """Every column of an ORM row (an expired one is loaded again)."""
    return {attr.key: getattr(row, attr.key) for attr in inspect(type(row)).column_attrs}


def _ident(spec_model: type[SQLModel], values: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(values[c.key] for c in inspect(spec_model).primary_key)


def _whole(
    spec: Spec, model: type[SQLModel], action: str, look: Lookup, values: dict[str, Any]
) -> Change:
    key, process = spec.describe(look, values)
    record = spec.record(look, values)
    return Change(
        action,
        spec.entity,
        _ident(model, values),
        key,
        process,
        before=record if action == "delete" else None,
        after=record if action == "create" else None,
    )


def _update(look: Lookup, spec: Spec, row: Any) -> Change | None:
    """The fields of a row changed since it was loaded, before and after."""
    state = inspect(row)
    changed = [a.key for a in state.mapper.column_attrs if state.attrs[a.key].history.has_changes()]
    recorded = [c for c in changed if c in spec.columns or c in spec.flags]
    if not recorded:
        return None  # bookkeeping only (last sign-in, last use of a token)
    stored = _stored(look, row, recorded)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for column in recorded:
        if column in spec.flags:
            before[spec.flags[column]], after[spec.flags[column]] = False, True
            continue
        old, new = stored.get(column), getattr(row, column)
        if old == new:
            continue
        name = spec.name_of(column)
        before[name], after[name] = (
            spec.readable(look, column, old),
            spec.readable(look, column, new),
        )
    if not after:
        return None
    values = _values(row)
    key, process = spec.describe(look, values)
    renamed = (
        (before["slug"], after["slug"]) if spec.entity == "process" and "slug" in after else None
    )
    return Change(
        "update", spec.entity, _ident(type(row), values), key, process, before, after, renamed
    )


def _stored(look: Lookup, row: Any, columns: list[str]) -> dict[str, Any]:
    """The values of the columns as loaded or, when not loaded, as stored now."""
    state = inspect(row)
    out: dict[str, Any] = {}
    missing = []
    for column in columns:
        history = state.attrs[column].history
        if history.deleted:
            out[column] = history.deleted[0]
        elif history.unchanged:
            out[column] = history.unchanged[0]
        else:
            missing.append(column)
    if missing and state.key is not None:
        mapper = state.mapper
        table = mapper.local_table
        where = [c == v for c, v in zip(mapper.primary_key, state.key[1], strict=True)]
        stored = look.connection.execute(
            select(*(table.c[c] for c in missing)).where(*where)
        ).first()
        if stored is not None:
            out.update(zip(missing, stored, strict=True))
    return out


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    rows = [r for r in (*session.dirty, *session.deleted) if type(r) in SPECS]
    if not rows:
        return
    look = Lookup(session.connection())
    deleted = set(map(id, session.deleted))
    for row in rows:
        spec = SPECS[type(row)]
        if id(row) in deleted:
            _keep(session, _whole(spec, type(row), "delete", look, _values(row)))
        elif (change := _update(look, spec, row)) is not None:
            _keep(session, change)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: UOWTransaction) -> None:
    rows = [r for r in session.new if type(r) in SPECS]
    if not rows:
        return
    look = Lookup(session.connection())
    for row in rows:
        _keep(session, _whole(SPECS[type(row)], type(row), "create", look, _values(row)))


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(state: ORMExecuteState) -> Any:
    """Record the rows a bulk ``delete()`` or ``update()`` of a tracked table touches."""
    if not (state.is_delete or state.is_update):
        return None
    mapper = state.bind_mapper
    model = mapper.class_ if mapper is not None else None
    spec = SPECS.get(model) if model is not None else None
    if spec is None or model is None or (state.is_delete and not spec.bulk_deletes):
        return None
    session = state.session
    session.flush()
    look = Lookup(session.connection())
    table = mapper.local_table  # type: ignore[union-attr]
    where = state.statement.whereclause  # type: ignore[attr-defined]
    query = select(*table.columns)
    rows = [
        dict(r._mapping)
        for r in look.connection.execute(query if where is None else query.where(where))
    ]
    if state.is_delete:
        for values in rows:
            _keep(session, _whole(spec, model, "delete", look, values))
        return None
    result = state.invoke_statement()
    keys = list(mapper.primary_key)  # type: ignore[union-attr]
    idents = [tuple(v[c.key] for c in keys) for v in rows]
    if idents:
        fresh = look.connection.execute(query.where(tuple_(*keys).in_(idents)))
        after = {tuple(r._mapping[c.key] for c in keys): dict(r._mapping) for r in fresh}
        for values in rows:
            new = after.get(tuple(values[c.key] for c in keys))
            if new is not None:
                _keep_difference(session, look, spec, model, values, new)
    return result


def _keep_difference(
    session: Session,
    look: Lookup,
    spec: Spec,
    model: type[SQLModel],
    old: dict[str, Any],
    new: dict[str, Any],
) -> None:
    before, after = {}, {}
    for column in spec.columns:
        if old[column] != new[column]:
            name = spec.name_of(column)
            before[name] = spec.readable(look, column, old[column])
            after[name] = spec.readable(look, column, new[column])
    for column, flag in spec.flags.items():
        if old[column] != new[column]:
            before[flag], after[flag] = False, True
    if after:
        key, process = spec.describe(look, new)
        _keep(
            session, Change("update", spec.entity, _ident(model, new), key, process, before, after)
        )


def note_change(
    session: Session, row: SQLModel, before: dict[str, Any], after: dict[str, Any]
) -> None:
    """Record a change of a row that its columns do not show (an account's departments,
    kept in another table), merged at commit with the row's other changes.

    Args:
        session: the session making the change.
        row: a tracked row, stored (flushed) already.
        before: the fields as they were.
        after: the same fields as they are now.
    """
    spec = SPECS[type(row)]
    if before == after:
        return
    values = _values(row)
    key, process = spec.describe(Lookup(session.connection()), values)
    _keep(
        session,
        Change("update", spec.entity, _ident(type(row), values), key, process, before, after),
    )


def note_creation(session: Session, row: SQLModel) -> None:
    """Record the creation of a tracked row that was stored without the session (a staged
    event log made visible at the end of its import), written with the session's
    transaction."""
    spec = SPECS[type(row)]
    look = Lookup(session.connection())
    _keep(session, _whole(spec, type(row), "create", look, _values(row)))


@event.listens_for(Session, "before_commit")
def _write(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint is released; the changes are written with the transaction
    session.flush()
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    raw = [change for _, change in pending]
    entries = merge_changes(raw)
    connection = session.connection()
    if entries:
        at, who = datetime.now(UTC), actor()[:100]
        connection.execute(
            insert(AuditEntry),
            [
                {
                    "at": at,
                    "username": who,
                    "action": c.action,
                    "entity": c.entity,
                    "entity_key": c.key[:300],
                    "process": c.process[:100] if c.process else None,
                    "before": c.before,
                    "after": c.after,
                }
                for c in entries
            ],
        )
    for change in raw:
        if change.renamed is not None:  # the history follows the process to its new slug
            old, new = change.renamed
            connection.execute(
                update(AuditEntry).where(col(AuditEntry.process) == old).values(process=new)
            )


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous: SessionTransaction) -> None:
    """A rolled-back transaction or savepoint takes its changes with it."""
    pending = session.info.get(PENDING)
    if not pending:
        return
    if not previous.nested:
        session.info.pop(PENDING, None)
        return
    session.info[PENDING] = [(t, c) for t, c in pending if not _within(t, previous)]


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False
