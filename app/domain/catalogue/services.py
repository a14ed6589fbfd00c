"""Departments, owners and the "who does what" guide built from the catalogue."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, select

from app.db.models import Department, Flow, Owner, Process, ProcessVersion, Step
from app.domain.catalogue.lookups import (
    department_by_key,
    ensure_department,
    unique_slug,
)
from app.domain.catalogue.schemas import (
    CatalogueOverview,
    DepartmentOverview,
    DepartmentProcess,
    DepartmentPublic,
    OwnerPublic,
    WhoDoesWhat,
)
from app.domain.processes.services import list_handoffs, list_processes
from app.domain.processes.tree import load_trees
from app.lib.errors import Conflict, require

__all__ = [
    "catalogue_overview",
    "create_department",
    "create_owner",
    "customer_map",
    "delete_department",
    "delete_owner",
    "department_public",
    "get_owner",
    "list_departments",
    "list_owners",
    "owner_public",
    "rename_department",
    "update_owner",
    "who_does_what",
]


def department_public(session: Session, department: Department) -> DepartmentPublic:
    """A department with counts of what it takes part in."""
    steps = session.exec(
        select(func.count()).select_from(Step).where(Step.department_id == department.id)
    ).one()
    processes = session.exec(
        select(func.count(func.distinct(ProcessVersion.process_id)))
        .select_from(Step)
        .join(ProcessVersion, col(ProcessVersion.id) == col(Step.version_id))
        .where(Step.department_id == department.id)
    ).one()
    owners = session.exec(
        select(func.count()).select_from(Owner).where(Owner.department_id == department.id)
    ).one()
    return DepartmentPublic(
        slug=department.slug,
        name=department.name,
        processes=processes,
        steps=steps,
        owners=owners,
    )


def list_departments(session: Session) -> list[DepartmentPublic]:
    """Every department, by name."""
    rows = session.exec(select(Department).order_by(func.lower(Department.name))).all()
    return [department_public(session, d) for d in rows]


def create_department(session: Session, name: str) -> Department:
    """Add a department.

    Raises:
        Conflict: the name is taken.
    """
    if session.exec(select(Department.id).where(Department.name == name)).first():
        raise Conflict(f"A department named '{name}' already exists.")
    return ensure_department(session, name)


def rename_department(session: Session, key: str, name: str) -> Department:
    """Rename a department; its slug follows the new name.

    Raises:
        Conflict: another department has that name.
    """
    department = department_by_key(session, key)
    clash = session.exec(select(Department).where(Department.name == name)).first()
    if clash is not None and clash.id != department.id:
        raise Conflict(f"A department named '{name}' already exists.")
    department.name = name
    department.slug = unique_slug(session, name, keep=department.id)
    session.add(department)
    session.flush()
    return department


def delete_department(session: Session, key: str) -> None:
    """Delete a department nobody refers to.

    Raises:
        Conflict: steps or owners still belong to it.
    """
    department = department_by_key(session, key)
    public = department_public(session, department)
    if public.steps or public.owners:
        raise Conflict(
            f"Department '{department.name}' still has {public.steps} step(s) and "
            f"{public.owners} owner(s); move them to another department first."
        )
    session.delete(department)
    session.flush()


def _department_name(session: Session, department_id: int | None) -> str | None:
    if department_id is None:
        return None
    department = session.get(Department, department_id)
    return department.name if department else None


def owner_public(session: Session, owner: Owner) -> OwnerPublic:
    """An owner with counts of what they are accountable for."""

    def count(model: Any) -> int:
        return session.exec(
            select(func.count()).select_from(model).where(model.owner_id == owner.id)
        ).one()

    return OwnerPublic(
        id=owner.id or 0,
        name=owner.name,
        department=_department_name(session, owner.department_id),
        email=owner.email,
        processes=count(Process),
        steps=count(Step),
        flows=count(Flow),
    )


def list_owners(
    session: Session, *, department: str | None = None, q: str | None = None
) -> list[OwnerPublic]:
    """Owners, optionally of one department or matching a text, by name."""
    query = select(Owner)
    if department:
        query = query.where(Owner.department_id == department_by_key(session, department).id)
    if q:
        query = query.where(func.lower(Owner.name).like(f"%{q.lower()}%"))
    rows = session.exec(query.order_by(func.lower(Owner.name))).all()
    return [owner_public(session, o) for o in rows]


def get_owner(session: Session, owner_id: int) -> Owner:
    """An owner by id.

    Raises:
        NotFound: no owner has that id.
    """
    return require(session.get(Owner, owner_id), f"There is no owner {owner_id}.")


def create_owner(session: Session, name: str, department: str | None, email: str | None) -> Owner:
    """Add an owner (a person or a role).

    Raises:
        Conflict: the name is taken.
    """
    if session.exec(select(Owner.id).where(Owner.name == name)).first():
        raise Conflict(f"An owner named '{name}' already exists.")
    owner = Owner(
        name=name,
        department_id=ensure_department(session, department).id if department else None,
        email=email,
    )
    session.add(owner)
    session.flush()
    return owner


def update_owner(session: Session, owner_id: int, changes: dict[str, Any]) -> Owner:
    """Rename an owner or change their department or e-mail (PATCH).

    Raises:
        Conflict: the new name is taken.
    """
    owner = get_owner(session, owner_id)
    if changes.get("name") and changes["name"] != owner.name:
        if session.exec(select(Owner.id).where(Owner.name == changes["name"])).first():
            raise Conflict(f"An owner named '{changes['name']}' already exists.")
        owner.name = changes["name"]
    if "department" in changes:
        name = changes["department"]
        owner.department_id = ensure_department(session, name).id if name else None
    if "email" in changes:
        owner.email = changes["email"]
    session.add(owner)
    session.flush()
    return owner


def delete_owner(session: Session, owner_id: int) -> None:
    """Delete an owner who is accountable for nothing.

    Raises:
        Conflict: processes, steps or flows still name the owner.
    """
    owner = get_owner(session, owner_id)
    public = owner_public(session, owner)
    if public.processes or public.steps or public.flows:
        raise Conflict(
            f"Owner '{owner.name}' still owns {public.processes} process(es), {public.steps} "
            f"step(s) and {public.flows} flow(s); give them another owner first."
        )
    session.delete(owner)
    session.flush()


def who_does_what(session: Session, key: str, *, kind: str | None = None) -> WhoDoesWhat:
    """One department's part in the catalogue.

    Args:
        session: the database session.
        key: the department's slug or name.
        kind: only versions of this kind (``as-is`` or ``to-be``); all by default.
    """
    department = department_by_key(session, key)
    processes = []
    for tree in list_processes(session, department=department.slug):
        versions = [v for v in tree.versions if kind is None or v.kind == kind]
        steps = sorted(
            {
                s.name
                for v in versions
                for s in tree.steps[v.id or 0]
                if s.department_id == department.id
            }
        )
        if steps:
            processes.append(
                DepartmentProcess(
                    slug=tree.process.slug,
                    name=tree.process.name,
                    owner=tree.owner_name(tree.process.owner_id),
                    versions=[v.label for v in versions],
                    steps=steps,
                )
            )
    handoffs = list_handoffs(session, department=department.slug, kind=kind)
    return WhoDoesWhat(
        department=department_public(session, department),
        processes=processes,
        handoffs_in=[h for h in handoffs if h.to_department == department.name],
        handoffs_out=[h for h in handoffs if h.from_department == department.name],
        unowned_handoffs=[h for h in handoffs if h.owner is None],
    )


def catalogue_overview(session: Session, *, kind: str | None = None) -> CatalogueOverview:
    """The summary guide of who does what across the catalogue, with its gaps."""
    handoffs = list_handoffs(session, kind=kind)
    departments = []
    for d in session.exec(select(Department).order_by(func.lower(Department.name))).all():
        ins = [h for h in handoffs if h.to_department == d.name]
        outs = [h for h in handoffs if h.from_department == d.name]
        departments.append(
            DepartmentOverview(
                slug=d.slug,
                name=d.name,
                processes=department_public(session, d).processes,
                handoffs_in=len(ins),
                handoffs_out=len(outs),
                unowned_handoffs=sum(h.owner is None for h in ins + outs),
            )
        )
    ownerless = session.exec(
        select(Process).where(col(Process.owner_id).is_(None)).order_by(Process.slug)
    ).all()
    return CatalogueOverview(
        departments=departments,
        unowned_handoffs=[h for h in handoffs if h.owner is None],
        processes_without_owner=[t.summary() for t in load_trees(session, list(ownerless))],
    )


def customer_map(session: Session, *, kind: str | None = "as-is") -> dict[str, Any]:
    """The department customer map of the catalogue: departments as nodes, documented
    handoffs between them as edges (how many flows, in which processes, how many have no
    owner, the tightest standard).

    Args:
        session: the database session.
        kind: versions of this kind only (as-is by default, the way the city works today).
    """
    handoffs = list_handoffs(session, kind=kind)
    edges: dict[tuple[str, str], list[Any]] = {}
    for h in handoffs:
        edges.setdefault((h.from_department, h.to_department), []).append(h)
    steps = session.exec(
        select(Department.name, func.count(col(Step.id)))
        .join(Step, col(Step.department_id) == col(Department.id))
        .join(ProcessVersion, col(ProcessVersion.id) == col(Step.version_id))
        .where(True if kind is None else col(ProcessVersion.kind) == kind)
        .group_by(Department.name)
    ).all()
    step_counts = dict(steps)
    names = sorted({n for pair in edges for n in pair} | set(step_counts), key=str.lower)
    return {
        "source": "catalogue",
        "kind": kind,
        "departments": [
            {
                "department": name,
                "steps": step_counts.get(name, 0),
                "handoffs_in": sum(len(v) for (a, b), v in edges.items() if b == name),
                "handoffs_out": sum(len(v) for (a, b), v in edges.items() if a == name),
            }
            for name in names
        ],
        "handoffs": [
            {
                "from_department": a,
                "to_department": b,
                "count": len(flows),
                "processes": sorted({h.process for h in flows}),
                "unowned": sum(h.owner is None for h in flows),
                "tightest_standard_hours": min(
                    (h.standard_hours for h in flows if h.standard_hours is not None),
                    default=None,
                ),
            }
            for (a, b), flows in sorted(
                edges.items(), key=lambda item: (-len(item[1]), item[0][0], item[0][1])
            )
        ],
    }
