"""HTTP endpoints of option review."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from app.db.engine import commit
from app.domain.approvals import services
from app.domain.approvals.schemas import ReviewMove, ReviewRequest, ReviewState
from app.domain.deps import DbSession

__all__ = ["ReviewController"]

REVIEW = "/{slug:str}/versions/{label:str}/review"


class ReviewController(Controller):
    """Reviewers move to-be options from draft through review to a decision."""

    path = "/api/processes"
    tags = ["review"]

    @get(REVIEW, sync_to_thread=True)
    def review_state(
        self, session: DbSession, slug: FromPath[str], label: FromPath[str]
    ) -> ReviewState:
        """An option's status, the moves open to it, and every move so far (oldest first)."""
        return services.review_state(session, slug, label)

    @post(REVIEW, sync_to_thread=True, status_code=HTTP_201_CREATED, opt={"permission": "review"})
    def move(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        slug: FromPath[str],
        label: FromPath[str],
        data: JSONBody[ReviewRequest],
    ) -> ReviewMove:
        """Move an option to another status (a reviewer or an admin); the move is recorded."""
        moved = services.move_option(
            session, slug, label, data.to, data.comment, request.scope["user"]
        )
        commit(session)
        return moved
