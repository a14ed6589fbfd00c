"""The rules of the catalogue of processes: create, read, change, copy, import, export.

Services never commit; the caller (a request handler or a CLI command) owns the
transaction. Every change re-checks the whole process with the same rules as a file
import (``rules.check_process``), so an edit cannot leave a version the file format
would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete
from sqlmodel import Session, col, func, or_, select

from app.db.models import Flow, HandoffSignoff, Process, ProcessVersion, Step
from app.domain.catalogue.lookups import (
    department_by_key,
    ensure_department,
    ensure_owner,
    owner_by_name,
)
from app.domain.processes.rules import check_process
from app.domain.processes.schemas import (
    VERSION_STATUSES,
    FlowCreate,
    FlowFile,
    HandoffPublic,
    ProcessFile,
    StepFile,
    VersionCopy,
    VersionFile,
)
from app.domain.processes.tree import ProcessTree, load_trees
from app.domain.processes.yaml_format import dump_process_yaml, pydantic_problems, raise_if_invalid
from app.lib.errors import Conflict, InvalidProcess, NotFound, require

__all__ = [
    "ImportOutcome",
    "add_flow",
    "add_step",
    "copy_version",
    "create_process",
    "create_version",
    "delete_flow",
    "delete_process",
    "delete_step",
    "delete_version",
    "export_process",
    "get_process",
    "get_tree",
    "get_version",
    "import_processes",
    "list_handoffs",
    "list_processes",
    "update_flow",
    "update_process",
    "update_step",
    "update_version",
]


# --- reading ---


def get_process(session: Session, slug: str) -> Process:
    """A process by slug.

    Raises:
        NotFound: no process has that slug.
    """
    found = session.exec(select(Process).where(Process.slug == slug)).first()
    return require(found, f"There is no process '{slug}'.")


def get_tree(session: Session, slug: str) -> ProcessTree:
    """A process with its versions, steps and flows."""
    return load_trees(session, [get_process(session, slug)])[0]


def get_version(tree: ProcessTree, label: str) -> ProcessVersion:
    """A version of a loaded process by label.

    Raises:
        NotFound: the process has no version with that label.
    """
    for version in tree.versions:
        if version.label == label:
            return version
    labels = ", ".join(v.label for v in tree.versions)
    raise NotFound(
        f"Process '{tree.process.slug}' has no version '{label}' (it has: {labels or 'none'})."
    )


def _step(tree: ProcessTree, version: ProcessVersion, key: str) -> Step:
    for step in tree.steps[version.id or 0]:
        if step.key == key:
            return step
    raise NotFound(
        f"Version '{version.label}' of process '{tree.process.slug}' has no step '{key}'."
    )


def _flow(tree: ProcessTree, version: ProcessVersion, flow_id: int) -> Flow:
    for flow in tree.flows[version.id or 0]:
        if flow.id == flow_id:
            return flow
    raise NotFound(
        f"Version '{version.label}' of process '{tree.process.slug}' has no flow {flow_id}."
    )


def list_processes(
    session: Session,
    *,
    department: str | None = None,
    owner: str | None = None,
    kind: str | None = None,
    q: str | None = None,
) -> list[ProcessTree]:
    """Processes matching every filter given, by name.

    Args:
        session: the database session.
        department: slug or name of a department taking part in any version.
        owner: name of an owner of the process, or of one of its steps or flows.
        kind: ``as-is`` or ``to-be``: processes having a version of that kind.
        q: text found in the slug, name or customer (case-insensitive).
    """
    query = select(Process)
    if department:
        dep = department_by_key(session, department)
        query = query.where(
            col(Process.id).in_(
                select(ProcessVersion.process_id)
                .join(Step, col(Step.version_id) == col(ProcessVersion.id))
                .where(Step.department_id == dep.id)
            )
        )
    if owner:
        who = owner_by_name(session, owner)
        in_steps = (
            select(ProcessVersion.process_id)
            .join(Step, col(Step.version_id) == col(ProcessVersion.id))
            .where(Step.owner_id == who.id)
        )
        in_flows = (
            select(ProcessVersion.process_id)
            .join(Flow, col(Flow.version_id) == col(ProcessVersion.id))
            .where(Flow.owner_id == who.id)
        )
        query = query.where(
            or_(
                Process.owner_id == who.id,
                col(Process.id).in_(in_steps),
                col(Process.id).in_(in_flows),
            )
        )
    if kind:
        query = query.where(
            col(Process.id).in_(
                select(ProcessVersion.process_id).where(ProcessVersion.kind == kind)
            )
        )
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(
            or_(
                func.lower(Process.slug).like(pattern),
                func.lower(Process.name).like(pattern),
                func.lower(func.coalesce(Process.customer, "")).like(pattern),
            )
        )
    processes = list(session.exec(query.order_by(func.lower(Process.name), Process.slug)).all())
    return load_trees(session, processes)


def list_handoffs(
    session: Session,
    *,
    department: str | None = None,
    owner: str | None = None,
    kind: str | None = None,
    unowned: bool | None = None,
) -> list[HandoffPublic]:
    """Handoffs across the catalogue, filtered.

    Args:
        session: the database session.
        department: slug or name; handoffs into or out of it.
        owner: name of the handoff's owner.
        kind: only versions of this kind (``as-is`` or ``to-be``).
        unowned: True for handoffs without an owner, False for owned ones.
    """
    dep_name = department_by_key(session, department).name if department else None
    if owner:
        owner_by_name(session, owner)
    out = []
    for tree in list_processes(session, department=department):
        for handoff in tree.handoffs():
            if dep_name and dep_name not in (handoff.from_department, handoff.to_department):
                continue
            if owner and handoff.owner != owner:
                continue
            if kind and handoff.version_kind != kind:
                continue
            if unowned is not None and (handoff.owner is None) != unowned:
                continue
            out.append(handoff)
    return out


# --- writing ---


def _recheck(session: Session, process: Process) -> ProcessTree:
    """Flush, reload and validate the whole process with the file-format rules.

    Raises:
        InvalidProcess: the change would leave the process invalid (rolled back by the caller).
    """
    session.flush()
    session.expire_all()
    tree = load_trees(session, [process])[0]
    try:
        document = tree.document()
    except ValidationError as error:
        raise_if_invalid(pydantic_problems(error), f"process '{process.slug}'")
        raise  # pragma: no cover  (raise_if_invalid always raises for a non-empty list)
    raise_if_invalid(check_process(document), f"process '{process.slug}'")
    return tree


def _owner_id(session: Session, name: str | None, department_id: int | None = None) -> int | None:
    return ensure_owner(session, name, department_id).id if name else None


def _write_version(
    session: Session, process: Process, version: VersionFile, position: int
) -> ProcessVersion:
    row = ProcessVersion(
        process_id=process.id or 0,
        label=version.label,
        kind=version.kind,
        status=version.status or VERSION_STATUSES[version.kind][0],
        description=version.description,
        effort_months=version.effort_months,
        one_off_cost=version.one_off_cost,
        expected_impact=version.expected_impact,
        position=position,
    )
    session.add(row)
    session.flush()
    step_ids: dict[str, int] = {}
    for i, step in enumerate(version.steps):
        step_ids[step.id] = _write_step(session, row, step, i).id or 0
    for i, flow in enumerate(version.flows):
        session.add(
            Flow(
                version_id=row.id or 0,
                from_step_id=step_ids[flow.from_],
                to_step_id=step_ids[flow.to],
                owner_id=_owner_id(session, flow.owner),
                standard_hours=flow.standard_hours,
                position=i,
            )
        )
    return row


def _write_step(session: Session, version: ProcessVersion, step: StepFile, position: int) -> Step:
    department = ensure_department(session, step.department)
    row = Step(
        version_id=version.id or 0,
        key=step.id,
        name=step.name,
        department_id=department.id or 0,
        owner_id=_owner_id(session, step.owner, department.id),
        system=step.system,
        manual_entry=step.manual_entry,
        minutes=step.minutes,
        cost=step.cost,
        position=position,
    )
    session.add(row)
    session.flush()
    return row


def _check_document(document: ProcessFile, source: str) -> None:
    raise_if_invalid(check_process(document), source)


def create_process(session: Session, document: ProcessFile) -> ProcessTree:
    """Store a new process with all its versions.

    Raises:
        Conflict: the slug is taken.
        InvalidProcess: the document breaks a rule of the format.
    """
    _check_document(document, f"process '{document.slug}'")
    if session.exec(select(Process.id).where(Process.slug == document.slug)).first():
        raise Conflict(f"A process with slug '{document.slug}' already exists.")
    process = Process(
        slug=document.slug,
        name=document.name,
        customer=document.customer,
        owner_id=_owner_id(session, document.owner),
        standard_hours=document.standard_hours,
    )
    session.add(process)
    session.flush()
    for i, version in enumerate(document.versions):
        _write_version(session, process, version, i)
    return _recheck(session, process)


def replace_process(session: Session, slug: str, document: ProcessFile) -> ProcessTree:
    """Replace a stored process, versions and all, by a document (slug may change).

    Raises:
        NotFound: no process has ``slug``.
        Conflict: the document's slug belongs to another process.
        InvalidProcess: the document breaks a rule of the format.
    """
    process = get_process(session, slug)
    _check_document(document, f"process '{document.slug}'")
    if (
        document.slug != slug
        and session.exec(select(Process.id).where(Process.slug == document.slug)).first()
    ):
        raise Conflict(f"A process with slug '{document.slug}' already exists.")
    for stored in session.exec(
        select(ProcessVersion).where(ProcessVersion.process_id == process.id)
    ).all():
        session.delete(stored)
    session.flush()
    process.slug = document.slug
    process.name = document.name
    process.customer = document.customer
    process.owner_id = _owner_id(session, document.owner)
    process.standard_hours = document.standard_hours
    session.add(process)
    for i, version in enumerate(document.versions):
        _write_version(session, process, version, i)
    return _recheck(session, process)


def _apply(row: Any, changes: dict[str, Any], required: set[str], what: str) -> None:
    """Set the changed fields on a row; a null for a required field is refused."""
    for key, value in changes.items():
        if value is None and key in required:
            raise InvalidProcess(f"{what}: '{key}' cannot be empty.")
        setattr(row, key, value)


def update_process(session: Session, slug: str, changes: dict[str, Any]) -> ProcessTree:
    """Change a process's own fields (PATCH); ``owner`` null leaves it without an owner.

    Raises:
        NotFound, Conflict, InvalidProcess: as the change requires.
    """
    process = get_process(session, slug)
    new_slug = changes.get("slug")
    if (
        new_slug
        and new_slug != slug
        and session.exec(select(Process.id).where(Process.slug == new_slug)).first()
    ):
        raise Conflict(f"A process with slug '{new_slug}' already exists.")
    if "owner" in changes:
        process.owner_id = _owner_id(session, changes.pop("owner"))
    _apply(process, changes, {"slug", "name"}, f"process '{slug}'")
    session.add(process)
    return _recheck(session, process)


def delete_process(session: Session, slug: str) -> None:
    """Delete a process with all its versions."""
    session.delete(get_process(session, slug))
    session.flush()


def create_version(session: Session, slug: str, version: VersionFile) -> ProcessTree:
    """Add a version (with its steps and flows) to a process.

    Raises:
        Conflict: the label is taken in this process.
    """
    tree = get_tree(session, slug)
    if any(v.label == version.label for v in tree.versions):
        raise Conflict(f"Process '{slug}' already has a version '{version.label}'.")
    probe = tree.document().model_copy(update={"versions": [version]})
    _check_document(probe, f"version '{version.label}' of process '{slug}'")
    _write_version(session, tree.process, version, len(tree.versions))
    return _recheck(session, tree.process)


def update_version(session: Session, slug: str, label: str, changes: dict[str, Any]) -> ProcessTree:
    """Change a version's label, kind, status, description or option figures (PATCH).

    Raises:
        Conflict: the new label is taken.
        InvalidProcess: the status does not suit the kind.
    """
    tree = get_tree(session, slug)
    version = get_version(tree, label)
    new_label = changes.get("label")
    if new_label and new_label != label and any(v.label == new_label for v in tree.versions):
        raise Conflict(f"Process '{slug}' already has a version '{new_label}'.")
    _refuse_option_status(slug, version, changes)
    if "kind" in changes and "status" not in changes and changes["kind"] != version.kind:
        changes["status"] = VERSION_STATUSES[changes["kind"]][0]
    _apply(version, changes, {"label", "kind", "status"}, f"version '{label}'")
    session.add(version)
    return _recheck(session, tree.process)


def _refuse_option_status(slug: str, version: ProcessVersion, changes: dict[str, Any]) -> None:
    """A to-be option's status moves only through review (approvals.services), so that
    every move is allowed, made by a reviewer and recorded; a PATCH may repeat it.

    Raises:
        Conflict: the PATCH would set a to-be version's status to something else.
    """
    status = changes.get("status")
    kind = changes.get("kind") or version.kind
    if status is None or kind != "to-be":
        return
    unchanged = version.status if version.kind == "to-be" else VERSION_STATUSES["to-be"][0]
    if status != unchanged:
        raise Conflict(
            f"The status of to-be option '{version.label}' changes only through review: use "
            f"the review endpoint (POST /api/processes/{slug}/versions/{version.label}/review "
            f'with {{"to": "{status}"}}, as a reviewer or an admin).'
        )


def _reset_signoffs(session: Session, flow_ids: list[int]) -> None:
    """Forget the branch leads' word on flows that changed: they agreed to the old flow."""
    if flow_ids:
        session.exec(delete(HandoffSignoff).where(col(HandoffSignoff.flow_id).in_(flow_ids)))


def delete_version(session: Session, slug: str, label: str) -> None:
    """Delete a version with its steps and flows.

    Raises:
        Conflict: it is the process's only version.
    """
    tree = get_tree(session, slug)
    version = get_version(tree, label)
    if len(tree.versions) == 1:
        raise Conflict(
            f"Version '{label}' is the only version of process '{slug}'; "
            "a process needs at least one (delete the process instead)."
        )
    session.delete(version)
    session.flush()


def copy_version(session: Session, slug: str, label: str, copy: VersionCopy) -> ProcessTree:
    """Start a new version as a copy of an existing one, e.g. a to-be option from the as-is.

    Steps and flows are copied; the option figures are the copy's own (``copy``), not the
    source's.

    Raises:
        Conflict: the new label is taken.
    """
    tree = get_tree(session, slug)
    source = get_version(tree, label)
    original = next(v for v in tree.document().versions if v.label == source.label)
    version = original.model_copy(
        update={
            "label": copy.label,
            "kind": copy.kind,
            "status": None,
            "effort_months": copy.effort_months,
            "one_off_cost": copy.one_off_cost,
            "expected_impact": copy.expected_impact,
            "description": copy.description
            or f"Option starting from '{source.label}'"
            + (f": {original.description}" if original.description else ""),
        }
    )
    return create_version(session, slug, version)


def add_step(session: Session, slug: str, label: str, step: StepFile) -> ProcessTree:
    """Add a step at the end of a version.

    Raises:
        Conflict: the step id is taken in this version.
    """
    tree = get_tree(session, slug)
    version = get_version(tree, label)
    if any(s.key == step.id for s in tree.steps[version.id or 0]):
        raise Conflict(f"Version '{label}' of process '{slug}' already has a step '{step.id}'.")
    _write_step(session, version, step, len(tree.steps[version.id or 0]))
    return _recheck(session, tree.process)


def update_step(
    session: Session, slug: str, label: str, key: str, changes: dict[str, Any]
) -> ProcessTree:
    """Change a step (PATCH): its id, name, department, owner, system or figures.

    Raises:
        Conflict: the new id is taken in this version.
        InvalidProcess: a required field is cleared.
    """
    tree = get_tree(session, slug)
    version = get_version(tree, label)
    step = _step(tree, version, key)
    what = f"step '{key}' of version '{label}'"
    if "id" in changes:
        new_key = changes.pop("id")
        if new_key is None:
            raise InvalidProcess(f"{what}: 'id' cannot be empty.")
        if any(s.key == new_key for s in tree.steps[version.id or 0] if s is not step):
            raise Conflict(f"Version '{label}' of process '{slug}' already has a step '{new_key}'.")
        step.key = new_key
    if "department" in changes:
        name = changes.pop("department")
        if name is None:
            raise InvalidProcess(f"{what}: 'department' cannot be empty.")
        department_id = ensure_department(session, name).id or 0
        if department_id != step.department_id:
            _reset_signoffs(
                session,
                [
                    f.id or 0
                    for f in tree.flows[version.id or 0]
                    if step.id in (f.from_step_id, f.to_step_id)
                ],
            )
        step.department_id = department_id
    if "owner" in changes:
        name = changes.pop("owner")
        if name is None:
            raise InvalidProcess(f"{what}: 'owner' cannot be empty.")
        step.owner_id = _owner_id(session, name, step.department_id)
    _apply(step, changes, {"name", "manual_entry"}, what)
    session.add(step)
    return _recheck(session, tree.process)


def delete_step(session: Session, slug: str, label: str, key: str) -> None:
    """Delete a step that no flow uses.

    Raises:
        Conflict: flows still lead to or from the step.
    """
    tree = get_tree(session, slug)
    version = get_version(tree, label)
    step = _step(tree, version, key)
    using = [
        f"{tree.step(f.from_step_id).key} -> {tree.step(f.to_step_id).key}"
        for f in tree.flows[version.id or 0]
        if step.id in (f.from_step_id, f.to_step_id)
    ]
    if using:
        raise Conflict(
            f"Step '{key}' of version '{label}' is used by {len(using)} flow"
            f"{'s' if len(using) > 1 else ''} ({', '.join(using)}); delete or re-point them first."
        )
    session.delete(step)
    session.flush()


def _step_id_for_flow(tree: ProcessTree, version: ProcessVersion, key: str, end: str) -> int:
    for step in tree.steps[version.id or 0]:
        if step.key == key:
            return step.id or 0
    raise InvalidProcess(
        f"Flow {end} '{key}' is not a step id of version '{version.label}' "
        f"of process '{tree.process.slug}'."
    )


def add_flow(session: Session, slug: str, label: str, flow: FlowCreate | FlowFile) -> ProcessTree:
    """Add a flow between two steps of a version.

    Raises:
        InvalidProcess: an end is not a step of the version.
        Conflict: the same flow exists.
    """
    tree = get_tree(session, slug)
    version = get_version(tree, label)
    a = _step_id_for_flow(tree, version, flow.from_, "from")
    b = _step_id_for_flow(tree, version, flow.to, "to")
    if any((f.from_step_id, f.to_step_id) == (a, b) for f in tree.flows[version.id or 0]):
        raise Conflict(
            f"Version '{label}' of process '{slug}' already has a flow {flow.from_} -> {flow.to}."
        )
    session.add(
        Flow(
            version_id=version.id or 0,
            from_step_id=a,
            to_step_id=b,
            owner_id=_owner_id(session, flow.owner),
            standard_hours=flow.standard_hours,
            position=len(tree.flows[version.id or 0]),
        )
    )
    return _recheck(session, tree.process)


def update_flow(
    session: Session, slug: str, label: str, flow_id: int, changes: dict[str, Any]
) -> ProcessTree:
    """Change a flow's ends, owner or standard (PATCH); a real change resets the flow's
    sign-offs (the branch leads agreed to the flow as it was).

    Raises:
        InvalidProcess: a new end is not a step of the version, or an end is cleared.
        Conflict: the new ends duplicate another flow.
    """
    tree = get_tree(session, slug)
    version = get_version(tree, label)
    flow = _flow(tree, version, flow_id)
    before = (flow.from_step_id, flow.to_step_id, flow.owner_id, flow.standard_hours)
    for key, attr, end in (("from_", "from_step_id", "from"), ("to", "to_step_id", "to")):
        if key in changes:
            value = changes.pop(key)
            if value is None:
                raise InvalidProcess(f"Flow {flow_id}: '{end}' cannot be empty.")
            setattr(flow, attr, _step_id_for_flow(tree, version, value, end))
    if any(
        (f.from_step_id, f.to_step_id) == (flow.from_step_id, flow.to_step_id)
        for f in tree.flows[version.id or 0]
        if f is not flow
    ):
        a, b = tree.step(flow.from_step_id).key, tree.step(flow.to_step_id).key
        raise Conflict(f"Version '{label}' of process '{slug}' already has a flow {a} -> {b}.")
    if "owner" in changes:
        flow.owner_id = _owner_id(session, changes.pop("owner"))
    _apply(flow, changes, set(), f"flow {flow_id}")
    if (flow.from_step_id, flow.to_step_id, flow.owner_id, flow.standard_hours) != before:
        _reset_signoffs(session, [flow_id])
    session.add(flow)
    return _recheck(session, tree.process)


def delete_flow(session: Session, slug: str, label: str, flow_id: int) -> None:
    """Delete a flow."""
    tree = get_tree(session, slug)
    session.delete(_flow(tree, get_version(tree, label), flow_id))
    session.flush()


# --- files ---


def export_process(session: Session, slug: str) -> str:
    """The canonical YAML text of a stored process.

    Raises:
        Conflict: the process has no owner, which the file format requires.
    """
    tree = get_tree(session, slug)
    document = tree.document()
    if document.owner is None:
        raise Conflict(
            f"Process '{slug}' has no accountable owner, which a process file requires; "
            "set one before exporting."
        )
    return dump_process_yaml(document)


@dataclass(frozen=True)
class ImportOutcome:
    """What importing one file did."""

    source: str
    slug: str
    action: str  # created | replaced | unchanged


def import_processes(
    session: Session, documents: list[tuple[str, ProcessFile]], *, replace: bool = False
) -> list[ImportOutcome]:
    """Store several process documents at once (all or nothing, the caller commits).

    An identical stored process is left unchanged; a different one with the same slug is
    a clash unless ``replace`` is set.

    Raises:
        Conflict: two documents share a slug, or a stored process differs and not ``replace``.
        InvalidProcess: a document breaks a rule of the format.
    """
    seen: dict[str, str] = {}
    for source, document in documents:
        if document.slug in seen:
            raise Conflict(
                f"{source}: slug '{document.slug}' is also used by {seen[document.slug]}."
            )
        seen[document.slug] = source
    outcomes = []
    for source, document in documents:
        existing = session.exec(select(Process).where(Process.slug == document.slug)).first()
        if existing is None:
            create_process(session, document)
            outcomes.append(ImportOutcome(source, document.slug, "created"))
            continue
        stored = load_trees(session, [existing])[0].document()
        if dump_process_yaml(stored) == dump_process_yaml(_with_default_statuses(document)):
            outcomes.append(ImportOutcome(source, document.slug, "unchanged"))
        elif replace:
            replace_process(session, document.slug, document)
            outcomes.append(ImportOutcome(source, document.slug, "replaced"))
        else:
            raise Conflict(
                f"{source}: process '{document.slug}' already exists with different content; "
                "import with --replace to overwrite it."
            )
    return outcomes


def _with_default_statuses(document: ProcessFile) -> ProcessFile:
    """The document as it would be stored: every version with an explicit status."""
    versions = [
        v.model_copy(update={"status": v.status or VERSION_STATUSES[v.kind][0]})
        for v in document.versions
    ]
    return document.model_copy(update={"versions": versions})
