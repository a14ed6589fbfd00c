"""HTTP endpoints of handoff sign-off and of a department's review queue."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, put
from litestar.params import FromPath, JSONBody

from app.db.engine import commit
from app.domain.deps import DbSession, IdPath
from app.domain.signoffs import services
from app.domain.signoffs.schemas import (
    HandoffSignoffs,
    ReviewQueue,
    SignoffRequest,
    VersionSignoffs,
)

__all__ = ["ReviewQueueController", "SignoffController"]

VERSION = "/{slug:str}/versions/{label:str}"


class SignoffController(Controller):
    """Branch leads confirm or dispute the handoffs of as-is versions."""

    path = "/api/processes"
    tags = ["sign-off"]

    @get(f"{VERSION}/signoffs", sync_to_thread=True)
    def list_signoffs(
        self, session: DbSession, slug: FromPath[str], label: FromPath[str]
    ) -> VersionSignoffs:
        """Every handoff of an as-is version with both departments' word and whether they agree."""
        return services.version_signoffs(session, slug, label)

    @put(
        f"{VERSION}/flows/{{flow_id:int}}/signoff",
        sync_to_thread=True,
        opt={"permission": "signoff"},
    )
    def sign_off(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        slug: FromPath[str],
        label: FromPath[str],
        flow_id: IdPath,
        data: JSONBody[SignoffRequest],
    ) -> HandoffSignoffs:
        """Confirm or dispute (with a comment) one side of a handoff, as that side's branch lead."""
        entry = services.sign_off(
            session,
            slug,
            label,
            flow_id,
            request.scope["user"],
            data.department,
            data.state,
            data.comment,
        )
        commit(session)
        return entry


class ReviewQueueController(Controller):
    """What a department's branch leads have yet to sign off."""

    path = "/api/departments"
    tags = ["sign-off"]

    @get("/{key:str}/review-queue", sync_to_thread=True)
    def review_queue(self, session: DbSession, key: FromPath[str]) -> ReviewQueue:
        """The as-is handoffs into and out of a department with its side's word, pending first."""
        return services.review_queue(session, key)
