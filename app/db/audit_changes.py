"""One recorded change of one row, and how a transaction's changes merge into entries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Change", "merge_changes"]


@dataclass
class Change:
    """One recorded change of one row."""

    action: str  # create | update | delete
    entity: str
    ident: tuple[Any, ...]
    key: str
    process: str | None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    renamed: tuple[str, str] | None = field(default=None, compare=False)
    """A process's slug changed from the first to the second."""


def merge_changes(changes: Iterable[Change]) -> list[Change]:
    """One change per row and transaction, in the order rows were first touched: a row
    created then edited is a creation; created then deleted, nothing; edited twice, one
    update from the first before to the last after. A deletion ends a row's story (the
    same id may be used again by a new row).

    >>> a = Change("create", "owner", (1,), "Ann", None, after={"name": "Ann"})
    >>> b = Change("update", "owner", (1,), "Bo", None, {"name": "Ann"}, {"name": "Bo"})
    >>> [(c.action, c.key, c.after) for c in merge_changes([a, b])]
    [('create', 'Bo', {'name': 'Bo'})]
    """
    out: list[Change | None] = []
    open_: dict[tuple[str, tuple[Any, ...]], int] = {}
    for change in changes:
        ident = (change.entity, change.ident)
        at = open_.get(ident)
        prior = out[at] if at is not None else None
        if prior is None or change.action == "create":
            out.append(
                Change(
                    **{
                        **change.__dict__,
                        "before": _copy(change.before),
                        "after": _copy(change.after),
                    }
                )
            )
            open_[ident] = len(out) - 1
        elif change.action == "update":
            if prior.before is not None:
                for name, value in (change.before or {}).items():
                    prior.before.setdefault(name, value)
            prior.after = {**(prior.after or {}), **(change.after or {})}
            prior.key, prior.process = change.key, change.process
        elif prior.action == "create":
            out[at or 0] = None  # created and deleted again: nothing to record
        else:
            whole = {**(change.before or {}), **(prior.before or {})}
            out[at or 0] = Change(
                "delete", change.entity, change.ident, change.key, change.process, whole
            )
        if change.action == "delete":
            open_.pop(ident, None)
    return [c for c in out if c is not None and _something(c)]


def _copy(fields: dict[str, Any] | None) -> dict[str, Any] | None:
    return dict(fields) if fields is not None else None


def _something(change: Change) -> bool:
    """Drop the fields of an update that ended as they began; keep it if any is left."""
    if change.action != "update":
        return True
    before, after = change.before or {}, change.after or {}
    same = [name for name in after if name in before and before[name] == after[name]]
    for name in same:
        del before[name], after[name]
    return bool(after)
