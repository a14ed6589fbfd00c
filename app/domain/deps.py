"""Dependencies shared by the controllers: the database session of a request."""

from __future__ import annotations

from collections.abc import Iterator

from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlmodel import Session

from app.db.engine import session_scope

__all__ = ["DbSession", "provide_session"]

DbSession = NamedDependency[Session]
"""The request's database session, as a handler parameter."""


def provide_session(state: State) -> Iterator[Session]:
    """A session for one request; whatever the handler did not commit is rolled back."""
    with session_scope(state.engine) as session:
        yield session
