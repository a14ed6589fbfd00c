"""Roles and what each may do; one table the server's guard reads for every endpoint."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PERMISSIONS", "ROLES", "Principal", "may"]

ROLES = ("admin", "analyst", "branch-lead", "reviewer", "viewer")

PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"read", "edit", "review", "users", "follow-up"}),
    "analyst": frozenset({"read", "edit", "follow-up"}),
    "branch-lead": frozenset({"read", "signoff", "follow-up"}),
    "reviewer": frozenset({"read", "review"}),
    "viewer": frozenset({"read"}),
}
"""read: every GET; edit: change processes, owners, departments, logs; signoff: confirm or
dispute the handoffs of one's own departments; review: move options through review;
users: manage accounts; follow-up: change the state of and comment on improvement actions
(a branch lead only those of their departments, checked by the actions slice)."""

WHO_MAY = {
    "read": "anyone signed in",
    "edit": "an analyst or an admin",
    "signoff": "a branch lead of the department",
    "review": "a reviewer or an admin",
    "users": "an admin",
    "follow-up": "an analyst, an admin or a branch lead of the action's department",
}


@dataclass(frozen=True)
class Principal:
    """Who makes a request: an account (by session or token) or an anonymous reader."""

    account_id: int | None
    username: str
    role: str
    departments: tuple[str, ...] = ()
    via: str = "session"
    """``session`` (cookie), ``token`` (bearer) or ``anonymous``."""
    csrf_token: str | None = None


def may(principal: Principal, permission: str) -> bool:
    """Whether the principal's role grants the permission.

    >>> may(Principal(1, "ana", "analyst"), "edit"), may(Principal(2, "val", "viewer"), "edit")
    (True, False)
    """
    return permission in PERMISSIONS.get(principal.role, frozenset())
