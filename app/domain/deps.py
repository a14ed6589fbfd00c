"""Dependencies shared by the controllers: the database session of a request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import PathParameter
from sqlmodel import Session

from app.db.engine import session_scope

__all__ = ["DbSession", "IdPath", "provide_session"]

DbSession = NamedDependency[Session]
"""The request's database session, as a handler parameter."""

IdPath = Annotated[int, PathParameter(ge=1, le=2_147_483_647)]
"""A numeric id in a path: larger values cannot be ids (400, not a database error)."""
"""The request's database session, as a handler parameter."""


def provide_session(state: State) -> Iterator[Session]:
    """A session for one request; whatever the handler did not commit is rolled back."""
    with session_scope(state.engine) as session:
        yield session
