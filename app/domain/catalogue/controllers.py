"""HTTP endpoints of departments, owners and the "who does what" guide."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from app.db.engine import commit
from app.domain.catalogue import services
from app.domain.catalogue.lookups import department_by_key
from app.domain.catalogue.schemas import (
    CatalogueOverview,
    DepartmentCreate,
    DepartmentPublic,
    DepartmentUpdate,
    OwnerCreate,
    OwnerPublic,
    OwnerUpdate,
    WhoDoesWhat,
)
from app.domain.deps import DbSession, IdPath

__all__ = [
    "CustomerMapController",
    "DepartmentController",
    "OwnerController",
    "WhoDoesWhatController",
]

Kind = Literal["as-is", "to-be"]


class DepartmentController(Controller):
    """Departments of the city."""

    path = "/api/departments"
    tags = ["departments"]

    @get("/", sync_to_thread=True)
    def list_departments(self, session: DbSession) -> list[DepartmentPublic]:
        """Every department with the number of processes, steps and owners it has."""
        return services.list_departments(session)

    @post("/", sync_to_thread=True)
    def create_department(
        self, session: DbSession, data: JSONBody[DepartmentCreate]
    ) -> DepartmentPublic:
        """Add a department."""
        department = services.create_department(session, data.name)
        commit(session)
        return services.department_public(session, department)

    @get("/{key:str}", sync_to_thread=True)
    def get_department(self, session: DbSession, key: FromPath[str]) -> DepartmentPublic:
        """A department by slug or name."""
        return services.department_public(session, department_by_key(session, key))

    @patch("/{key:str}", sync_to_thread=True)
    def rename_department(
        self, session: DbSession, key: FromPath[str], data: JSONBody[DepartmentUpdate]
    ) -> DepartmentPublic:
        """Rename a department; steps and owners follow."""
        department = services.rename_department(session, key, data.name)
        commit(session)
        return services.department_public(session, department)

    @delete("/{key:str}", sync_to_thread=True)
    def delete_department(self, session: DbSession, key: FromPath[str]) -> None:
        """Delete a department that no step or owner belongs to."""
        services.delete_department(session, key)
        commit(session)

    @get("/{key:str}/who-does-what", sync_to_thread=True)
    def who_does_what(
        self, session: DbSession, key: FromPath[str], kind: FromQuery[Kind | None] = None
    ) -> WhoDoesWhat:
        """The department's processes and its handoffs in and out, with owners and standards."""
        return services.who_does_what(session, key, kind=kind)


class OwnerController(Controller):
    """People and roles accountable for processes, steps and handoffs."""

    path = "/api/owners"
    tags = ["owners"]

    @get("/", sync_to_thread=True)
    def list_owners(
        self,
        session: DbSession,
        department: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
    ) -> list[OwnerPublic]:
        """Owners, optionally of one department or matching a text."""
        return services.list_owners(session, department=department, q=q)

    @post("/", sync_to_thread=True)
    def create_owner(self, session: DbSession, data: JSONBody[OwnerCreate]) -> OwnerPublic:
        """Add an owner."""
        owner = services.create_owner(session, data.name, data.department, data.email)
        commit(session)
        return services.owner_public(session, owner)

    @get("/{owner_id:int}", sync_to_thread=True)
    def get_owner(self, session: DbSession, owner_id: IdPath) -> OwnerPublic:
        """An owner with counts of what they own."""
        return services.owner_public(session, services.get_owner(session, owner_id))

    @patch("/{owner_id:int}", sync_to_thread=True)
    def update_owner(
        self, session: DbSession, owner_id: IdPath, data: JSONBody[OwnerUpdate]
    ) -> OwnerPublic:
        """Rename an owner or change their department or e-mail."""
        owner = services.update_owner(session, owner_id, data.model_dump(exclude_unset=True))
        commit(session)
        return services.owner_public(session, owner)

    @delete("/{owner_id:int}", sync_to_thread=True)
    def delete_owner(self, session: DbSession, owner_id: IdPath) -> None:
        """Delete an owner who owns nothing."""
        services.delete_owner(session, owner_id)
        commit(session)


class WhoDoesWhatController(Controller):
    """The catalogue-wide guide of who does what."""

    path = "/api/who-does-what"
    tags = ["who does what"]

    @get("/", sync_to_thread=True)
    def overview(
        self, session: DbSession, kind: FromQuery[Kind | None] = None
    ) -> CatalogueOverview:
        """Departments with handoff counts, every unowned handoff, every process without owner."""
        return services.catalogue_overview(session, kind=kind)


class CustomerMapController(Controller):
    """The department customer map as data (the maps draw it)."""

    path = "/api/customer-map"
    tags = ["who does what"]

    @get("/", sync_to_thread=True)
    def customer_map(
        self, session: DbSession, kind: FromQuery[Kind | None] = "as-is"
    ) -> dict[str, Any]:
        """Departments as nodes and the documented handoffs between them as edges."""
        return services.customer_map(session, kind=kind)
