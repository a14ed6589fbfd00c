"""Who is acting in the current request or command, for the audit trail."""

from __future__ import annotations

from contextvars import ContextVar

__all__ = ["ACTOR", "actor"]

ACTOR: ContextVar[str | None] = ContextVar("handoff_actor", default=None)
"""Set by the authentication middleware (the username) and by the CLI (``cli``)."""


def actor() -> str:
    """The name to record for a change made now.

    >>> actor()
    'system'
    """
    return ACTOR.get() or "system"
