"""HTTP endpoints of processes, versions, steps, flows and handoffs."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Response, delete, get, patch, post, put
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter, RawBody
from litestar.status_codes import HTTP_201_CREATED
from sqlmodel import Session

from app.db.engine import commit
from app.domain.deps import DbSession, IdPath
from app.domain.processes import services
from app.domain.processes.schemas import (
    FlowCreate,
    FlowPublic,
    FlowUpdate,
    HandoffPublic,
    ProcessCreate,
    ProcessFile,
    ProcessPublic,
    ProcessSummary,
    ProcessUpdate,
    StepCreate,
    StepPublic,
    StepUpdate,
    VersionCopy,
    VersionFile,
    VersionPublic,
    VersionSummary,
    VersionUpdate,
)
from app.domain.processes.yaml_format import parse_process_yaml
from app.lib.errors import InvalidProcess, NotFound, PayloadTooLarge

__all__ = ["HandoffController", "ProcessController"]

Kind = Literal["as-is", "to-be"]
VERSION = "/{slug:str}/versions/{label:str}"


class ProcessController(Controller):
    """Documented processes and everything below them."""

    path = "/api/processes"
    tags = ["processes"]

    @get("/", sync_to_thread=True)
    def list_processes(
        self,
        session: DbSession,
        department: FromQuery[str | None] = None,
        owner: FromQuery[str | None] = None,
        kind: FromQuery[Kind | None] = None,
        q: FromQuery[str | None] = None,
    ) -> list[ProcessSummary]:
        """List processes, filtered by department, owner, version kind or text."""
        trees = services.list_processes(session, department=department, owner=owner, kind=kind, q=q)
        return [t.summary() for t in trees]

    @post("/", sync_to_thread=True)
    def create_process(self, session: DbSession, data: JSONBody[ProcessCreate]) -> ProcessPublic:
        """Create a process with all its versions, steps and flows."""
        tree = services.create_process(session, data)
        commit(session)
        return tree.public()

    @post("/import", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def import_yaml(
        self,
        session: DbSession,
        state: State,
        body: RawBody,
        replace: FromQuery[bool] = False,
    ) -> list[dict[str, str]]:
        """Import one process file (YAML text as the request body)."""
        limit = state.settings.max_process_file_bytes
        if len(body) > limit:
            raise PayloadTooLarge(
                f"The process file has {len(body):,} bytes, more than the {limit:,} allowed "
                "for a process definition."
            )
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidProcess("The request body is not UTF-8 text.") from None
        document = parse_process_yaml(text, "request body")
        outcomes = services.import_processes(session, [("request body", document)], replace=replace)
        commit(session)
        return [{"slug": o.slug, "action": o.action} for o in outcomes]

    @get("/{slug:str}", sync_to_thread=True)
    def get_process(self, session: DbSession, slug: FromPath[str]) -> ProcessPublic:
        """A process with every version, step and flow."""
        return services.get_tree(session, slug).public()

    @put("/{slug:str}", sync_to_thread=True)
    def replace_process(
        self, session: DbSession, slug: FromPath[str], data: JSONBody[ProcessFile]
    ) -> ProcessPublic:
        """Replace a process, versions and all, by a whole document."""
        tree = services.replace_process(session, slug, data)
        commit(session)
        return tree.public()

    @patch("/{slug:str}", sync_to_thread=True)
    def update_process(
        self, session: DbSession, slug: FromPath[str], data: JSONBody[ProcessUpdate]
    ) -> ProcessPublic:
        """Change a process's slug, name, customer, owner or standard."""
        tree = services.update_process(session, slug, data.model_dump(exclude_unset=True))
        commit(session)
        return tree.public()

    @delete("/{slug:str}", sync_to_thread=True)
    def delete_process(self, session: DbSession, slug: FromPath[str]) -> None:
        """Delete a process with all its versions."""
        services.delete_process(session, slug)
        commit(session)

    @get("/{slug:str}/export", sync_to_thread=True, media_type="application/yaml")
    def export_process(self, session: DbSession, slug: FromPath[str]) -> Response[str]:
        """The process as a YAML file (CONTRACT section 2)."""
        text = services.export_process(session, slug)
        disposition = f'attachment; filename="{slug}.yaml"'
        return Response(
            text, media_type="application/yaml", headers={"Content-Disposition": disposition}
        )

    @get("/{slug:str}/versions", sync_to_thread=True)
    def list_versions(
        self, session: DbSession, slug: FromPath[str], kind: FromQuery[Kind | None] = None
    ) -> list[VersionSummary]:
        """The versions of a process, optionally of one kind."""
        summary = services.get_tree(session, slug).summary()
        return [v for v in summary.versions if kind is None or v.kind == kind]

    @post("/{slug:str}/versions", sync_to_thread=True)
    def create_version(
        self, session: DbSession, slug: FromPath[str], data: JSONBody[VersionFile]
    ) -> VersionPublic:
        """Add a version with its steps and flows."""
        tree = services.create_version(session, slug, data)
        commit(session)
        return tree.version_public(services.get_version(tree, data.label))

    @get(VERSION, sync_to_thread=True)
    def get_version(
        self, session: DbSession, slug: FromPath[str], label: FromPath[str]
    ) -> VersionPublic:
        """A version with its steps and flows."""
        return _version(session, slug, label)

    @patch(VERSION, sync_to_thread=True)
    def update_version(
        self,
        session: DbSession,
        slug: FromPath[str],
        label: FromPath[str],
        data: JSONBody[VersionUpdate],
    ) -> VersionPublic:
        """Change a version's label, kind, status or description."""
        changes = data.model_dump(exclude_unset=True)
        tree = services.update_version(session, slug, label, changes)
        commit(session)
        return tree.version_public(services.get_version(tree, changes.get("label") or label))

    @delete(VERSION, sync_to_thread=True)
    def delete_version(self, session: DbSession, slug: FromPath[str], label: FromPath[str]) -> None:
        """Delete a version (not the last one of a process)."""
        services.delete_version(session, slug, label)
        commit(session)

    @post(f"{VERSION}/copy", sync_to_thread=True)
    def copy_version(
        self,
        session: DbSession,
        slug: FromPath[str],
        label: FromPath[str],
        data: JSONBody[VersionCopy],
    ) -> VersionPublic:
        """Copy a version into a new one, e.g. to start a to-be option from the as-is."""
        tree = services.copy_version(session, slug, label, data)
        commit(session)
        return tree.version_public(services.get_version(tree, data.label))

    @get(f"{VERSION}/steps", sync_to_thread=True)
    def list_steps(
        self,
        session: DbSession,
        slug: FromPath[str],
        label: FromPath[str],
        department: FromQuery[str | None] = None,
        owner: FromQuery[str | None] = None,
    ) -> list[StepPublic]:
        """The steps of a version, optionally of one department or owner."""
        steps = _version(session, slug, label).steps
        return [s for s in steps if _matches(s.department, department) and _matches(s.owner, owner)]

    @post(f"{VERSION}/steps", sync_to_thread=True)
    def add_step(
        self,
        session: DbSession,
        slug: FromPath[str],
        label: FromPath[str],
        data: JSONBody[StepCreate],
    ) -> StepPublic:
        """Add a step at the end of a version."""
        tree = services.add_step(session, slug, label, data)
        commit(session)
        return _find_step(tree.version_public(services.get_version(tree, label)), data.id)

    @get(f"{VERSION}/steps/{{step_id:str}}", sync_to_thread=True)
    def get_step(
        self, session: DbSession, slug: FromPath[str], label: FromPath[str], step_id: FromPath[str]
    ) -> StepPublic:
        """One step of a version."""
        return _find_step(_version(session, slug, label), step_id)

    @patch(f"{VERSION}/steps/{{step_id:str}}", sync_to_thread=True)
    def update_step(
        self,
        session: DbSession,
        slug: FromPath[str],
        label: FromPath[str],
        step_id: FromPath[str],
        data: JSONBody[StepUpdate],
    ) -> StepPublic:
        """Change a step; flows follow a change of its id."""
        changes = data.model_dump(exclude_unset=True)
        tree = services.update_step(session, slug, label, step_id, dict(changes))
        commit(session)
        version = tree.version_public(services.get_version(tree, label))
        return _find_step(version, changes.get("id") or step_id)

    @delete(f"{VERSION}/steps/{{step_id:str}}", sync_to_thread=True)
    def delete_step(
        self, session: DbSession, slug: FromPath[str], label: FromPath[str], step_id: FromPath[str]
    ) -> None:
        """Delete a step that no flow uses."""
        services.delete_step(session, slug, label, step_id)
        commit(session)

    @get(f"{VERSION}/flows", sync_to_thread=True)
    def list_flows(
        self,
        session: DbSession,
        slug: FromPath[str],
        label: FromPath[str],
        department: FromQuery[str | None] = None,
        owner: FromQuery[str | None] = None,
        handoffs_only: FromQuery[bool] = False,
    ) -> list[FlowPublic]:
        """The flows of a version; filter by department (either end), owner or handoffs only."""
        flows = _version(session, slug, label).flows
        return [
            f
            for f in flows
            if (not handoffs_only or f.handoff)
            and _matches(f.owner, owner)
            and (
                department is None
                or department.lower() in {f.from_department.lower(), f.to_department.lower()}
            )
        ]

    @post(f"{VERSION}/flows", sync_to_thread=True)
    def add_flow(
        self,
        session: DbSession,
        slug: FromPath[str],
        label: FromPath[str],
        data: JSONBody[FlowCreate],
    ) -> FlowPublic:
        """Add a flow between two steps of a version."""
        tree = services.add_flow(session, slug, label, data)
        commit(session)
        flows = tree.version_public(services.get_version(tree, label)).flows
        return next(f for f in flows if (f.from_, f.to) == (data.from_, data.to))

    @get(f"{VERSION}/flows/{{flow_id:int}}", sync_to_thread=True)
    def get_flow(
        self, session: DbSession, slug: FromPath[str], label: FromPath[str], flow_id: IdPath
    ) -> FlowPublic:
        """One flow of a version."""
        return _find_flow(_version(session, slug, label), flow_id)

    @patch(f"{VERSION}/flows/{{flow_id:int}}", sync_to_thread=True)
    def update_flow(
        self,
        session: DbSession,
        slug: FromPath[str],
        label: FromPath[str],
        flow_id: IdPath,
        data: JSONBody[FlowUpdate],
    ) -> FlowPublic:
        """Change a flow's ends, owner or standard."""
        tree = services.update_flow(
            session, slug, label, flow_id, data.model_dump(exclude_unset=True)
        )
        commit(session)
        return _find_flow(tree.version_public(services.get_version(tree, label)), flow_id)

    @delete(f"{VERSION}/flows/{{flow_id:int}}", sync_to_thread=True)
    def delete_flow(
        self, session: DbSession, slug: FromPath[str], label: FromPath[str], flow_id: IdPath
    ) -> None:
        """Delete a flow."""
        services.delete_flow(session, slug, label, flow_id)
        commit(session)


class HandoffController(Controller):
    """Handoffs (flows across departments) across the whole catalogue."""

    path = "/api/handoffs"
    tags = ["who does what"]

    @get("/", sync_to_thread=True)
    def list_handoffs(
        self,
        session: DbSession,
        department: FromQuery[str | None] = None,
        owner: FromQuery[str | None] = None,
        kind: FromQuery[Kind | None] = None,
        unowned: Annotated[bool | None, QueryParameter(description="true: only unowned")] = None,
    ) -> list[HandoffPublic]:
        """Handoffs into or out of a department, of an owner, of a kind, or unowned."""
        return services.list_handoffs(
            session, department=department, owner=owner, kind=kind, unowned=unowned
        )


def _version(session: Session, slug: str, label: str) -> VersionPublic:
    tree = services.get_tree(session, slug)
    return tree.version_public(services.get_version(tree, label))


def _matches(value: str | None, wanted: str | None) -> bool:
    return wanted is None or (value is not None and value.lower() == wanted.lower())


def _find_step(version: VersionPublic, step_id: str) -> StepPublic:
    for step in version.steps:
        if step.id == step_id:
            return step
    raise NotFound(f"Version '{version.label}' has no step '{step_id}'.")


def _find_flow(version: VersionPublic, flow_id: int) -> FlowPublic:
    for flow in version.flows:
        if flow.id == flow_id:
            return flow
    raise NotFound(f"Version '{version.label}' has no flow {flow_id}.")
