"""Shapes of departments, owners and the "who does what" documents."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from app.domain.processes.schemas import HandoffPublic, ProcessSummary

__all__ = [
    "CatalogueOverview",
    "DepartmentCreate",
    "DepartmentOverview",
    "DepartmentProcess",
    "DepartmentPublic",
    "DepartmentUpdate",
    "OwnerCreate",
    "OwnerPublic",
    "OwnerUpdate",
    "WhoDoesWhat",
]

Name = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=200,
        pattern=r"^[^\x00-\x1f\x7f\x85\u2028\u2029]*$",
    ),
]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[^@\s]+@[^@\s]+$", max_length=320)
]
_API = ConfigDict(extra="forbid")


class DepartmentCreate(BaseModel):
    """A new department."""

    model_config = _API
    name: Name


class DepartmentUpdate(BaseModel):
    """Rename a department (every step and owner follows)."""

    model_config = _API
    name: Name


class DepartmentPublic(BaseModel):
    """A department with how much of the catalogue it takes part in."""

    slug: str
    name: str
    processes: int
    steps: int
    owners: int


class OwnerCreate(BaseModel):
    """A new owner: a person or a role, optionally in a department."""

    model_config = _API
    name: Name
    department: Name | None = None
    email: Email | None = None


class OwnerUpdate(BaseModel):
    """Change an owner; omitted fields stay as they are, null clears an optional one."""

    model_config = _API
    name: Name | None = None
    department: Name | None = None
    email: Email | None = None


class OwnerPublic(BaseModel):
    """An owner with what they are accountable for."""

    id: int
    name: str
    department: str | None
    email: str | None
    processes: int
    steps: int
    flows: int


class DepartmentProcess(BaseModel):
    """A process a department takes part in, and its part in it."""

    slug: str
    name: str
    owner: str | None
    versions: list[str]
    steps: list[str]


class WhoDoesWhat(BaseModel):
    """One department's part in the catalogue: processes, handoffs in and out, gaps."""

    department: DepartmentPublic
    processes: list[DepartmentProcess]
    handoffs_in: list[HandoffPublic]
    handoffs_out: list[HandoffPublic]
    unowned_handoffs: list[HandoffPublic]


class DepartmentOverview(BaseModel):
    """A line of the catalogue-wide guide."""

    slug: str
    name: str
    processes: int
    handoffs_in: int
    handoffs_out: int
    unowned_handoffs: int


class CatalogueOverview(BaseModel):
    """The summary guide of who does what, with the catalogue's ownership gaps."""

    departments: list[DepartmentOverview]
    unowned_handoffs: list[HandoffPublic]
    processes_without_owner: list[ProcessSummary]
