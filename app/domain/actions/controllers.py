"""HTTP endpoints of the improvement-action register and its follow-up."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import State
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from app.db.engine import commit
from app.domain.actions import followup, services
from app.domain.actions.metrics import METRICS
from app.domain.actions.schemas import (
    ActionCreate,
    ActionDetail,
    ActionPublic,
    ActionUpdate,
    CommentCreate,
    CommentPublic,
)
from app.domain.deps import DbSession, IdPath

__all__ = ["ActionController"]

Text = Annotated[str | None, QueryParameter(max_length=200)]
StateQuery = Annotated[str | None, QueryParameter(name="state", max_length=20)]
Format = Annotated[Literal["json", "csv"], QueryParameter(name="format")]
LogId = Annotated[int, QueryParameter(name="log", ge=1, le=2_147_483_647)]


class ActionController(Controller):
    """Improvement actions made from findings, with owners, states, comments and the
    metric measured again on later logs."""

    path = "/api/actions"
    tags = ["actions"]

    @get("/", sync_to_thread=True)
    def register(
        self,
        session: DbSession,
        state: State,
        department: Text = None,
        process: Text = None,
        action_state: StateQuery = None,
        output: Format = "json",
    ) -> Response[Any]:
        """The register: before, after (latest later log), target, met or missed, due."""
        followup.complete_pending(session, state.background)
        rows = services.register(
            session, department=department, process=process, state=action_state
        )
        if output == "csv":
            return Response(
                services.register_csv(rows),
                media_type="text/csv",
                headers={"Content-Disposition": 'attachment; filename="actions.csv"'},
            )
        return Response([row.model_dump(mode="json") for row in rows])

    @get("/metrics", sync_to_thread=False)
    def metrics(self) -> list[dict[str, Any]]:
        """The metric catalogue: name, label, unit, which way is better, what it reads."""
        return [
            {
                "name": m.name,
                "label": m.label,
                "unit": m.unit,
                "direction": m.direction,
                "needs": list(m.needs),
                "needs_process": m.needs_process,
                "definition": m.definition,
            }
            for m in METRICS.values()
        ]

    @post("/", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def create(
        self, request: Request[Any, Any, Any], session: DbSession, data: JSONBody[ActionCreate]
    ) -> ActionDetail:
        """Make an action from a finding; its baseline is measured on the finding's log."""
        action = services.create_action(session, data, request.scope["user"].username)
        commit(session)
        return services.action_detail(session, action.id or 0)

    @get("/{action_id:int}", sync_to_thread=True)
    def detail(self, session: DbSession, state: State, action_id: IdPath) -> ActionDetail:
        """One action with its measurement history and comments."""
        followup.complete_pending(session, state.background)
        return services.action_detail(session, action_id)

    @patch("/{action_id:int}", sync_to_thread=True, opt={"permission": "follow-up"})
    def update(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        action_id: IdPath,
        data: JSONBody[ActionUpdate],
    ) -> ActionDetail:
        """Change the state (a branch lead of its department may) or, as analyst, any field."""
        services.update_action(session, action_id, data, request.scope["user"])
        commit(session)
        return services.action_detail(session, action_id)

    @post(
        "/{action_id:int}/comments",
        sync_to_thread=True,
        status_code=HTTP_201_CREATED,
        opt={"permission": "follow-up"},
    )
    def comment(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        action_id: IdPath,
        data: JSONBody[CommentCreate],
    ) -> CommentPublic:
        """Add a comment (analysts, and branch leads of the action's department)."""
        row = services.add_comment(session, action_id, data.text, request.scope["user"])
        commit(session)
        return CommentPublic(id=row.id or 0, username=row.username, text=row.text, at=row.at)

    @post("/{action_id:int}/measure", sync_to_thread=True, status_code=200)
    def measure(self, session: DbSession, action_id: IdPath, log: LogId) -> ActionPublic:
        """Measure the action's metric on a later log (same definition, same filters but
        dates) and answer the action's register row."""
        services.measure_on_log(session, action_id, log)
        commit(session)
        (row,) = services.register_row(session, action_id)
        return row
