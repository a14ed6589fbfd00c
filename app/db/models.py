"""SQLModel tables of the catalogue.

Handoffs are not stored: a handoff is a flow whose two steps belong to different
departments, derived by query wherever it is needed.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = ["Department", "Flow", "Owner", "Process", "ProcessVersion", "Step"]


def _fk(target: str, *, cascade: bool = False, nullable: bool = False) -> Column[int]:
    """A foreign key column; ``cascade`` deletes children with their parent."""
    return Column(
        Integer,
        ForeignKey(target, ondelete="CASCADE" if cascade else "RESTRICT"),
        nullable=nullable,
        index=True,
    )


class Department(SQLModel, table=True):
    """An organisational unit that does steps (Contact Centre, Roads & Sidewalks)."""

    __tablename__ = "department"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    slug: str = Field(max_length=200, unique=True)


class Owner(SQLModel, table=True):
    """A person or role accountable for a process, a step or a handoff."""

    __tablename__ = "owner"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    department_id: int | None = Field(default=None, sa_column=_fk("department.id", nullable=True))
    email: str | None = Field(default=None, max_length=320)


class Process(SQLModel, table=True):
    """A documented customer-facing service."""

    __tablename__ = "process"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True)
    name: str = Field(max_length=300)
    customer: str | None = Field(default=None, max_length=500)
    owner_id: int | None = Field(default=None, sa_column=_fk("owner.id", nullable=True))
    standard_hours: float | None = None


class ProcessVersion(SQLModel, table=True):
    """One description of a process: the as-is or a to-be option."""

    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("process_id", "label", name="uq_version_label"),)

    id: int | None = Field(default=None, primary_key=True)
    process_id: int = Field(sa_column=_fk("process.id", cascade=True))
    label: str = Field(max_length=100)
    kind: str = Field(max_length=10)
    status: str = Field(max_length=20)
    description: str | None = None
    position: int = 0


class Step(SQLModel, table=True):
    """A unit of work done by one department inside one version."""

    __tablename__ = "step"
    __table_args__ = (UniqueConstraint("version_id", "key", name="uq_step_key"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(sa_column=_fk("process_version.id", cascade=True))
    key: str = Field(max_length=100)
    name: str = Field(max_length=300)
    department_id: int = Field(sa_column=_fk("department.id"))
    owner_id: int | None = Field(default=None, sa_column=_fk("owner.id", nullable=True))
    system: str | None = Field(default=None, max_length=300)
    manual_entry: bool = False
    minutes: float | None = None
    cost: float | None = None
    position: int = 0


class Flow(SQLModel, table=True):
    """A transition between two steps of the same version."""

    __tablename__ = "flow"
    __table_args__ = (
        UniqueConstraint("version_id", "from_step_id", "to_step_id", name="uq_flow_ends"),
    )

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(sa_column=_fk("process_version.id", cascade=True))
    from_step_id: int = Field(sa_column=_fk("step.id", cascade=True))
    to_step_id: int = Field(sa_column=_fk("step.id", cascade=True))
    owner_id: int | None = Field(default=None, sa_column=_fk("owner.id", nullable=True))
    standard_hours: float | None = None
    position: int = 0
