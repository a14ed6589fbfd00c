"""Shapes of process data: the file format of CONTRACT section 2 and the API documents."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "VERSION_STATUSES",
    "FlowCreate",
    "FlowFile",
    "FlowPublic",
    "FlowUpdate",
    "HandoffPublic",
    "Impact",
    "ProcessCreate",
    "ProcessFile",
    "ProcessPublic",
    "ProcessSummary",
    "ProcessUpdate",
    "StepCreate",
    "StepFile",
    "StepPublic",
    "StepUpdate",
    "StoredProcess",
    "VersionCopy",
    "VersionFile",
    "VersionPublic",
    "VersionSummary",
    "VersionUpdate",
]

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=100)]
Label = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100)]
_NO_CONTROL = r"^[^\x00-\x1f\x7f\x85\u2028\u2029]*$"
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029]*$"
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=300, pattern=_NO_CONTROL),
]
"""A one-line name: no control characters (they cannot be stored or shown safely)."""
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=_TEXT)
]
"""Free text: line breaks and tabs allowed, other control characters not."""
Customer = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=_TEXT)
]
"""Who the process serves: free text as long as its database column (500)."""
Hours = Annotated[float, Field(gt=0, le=1_000_000)]
Amount = Annotated[float, Field(ge=0, le=1_000_000_000)]
Months = Annotated[float, Field(gt=0, le=1200)]
Impact = Literal["low", "medium", "high"]
Kind = Literal["as-is", "to-be"]
Status = Literal["current", "retired", "draft", "in-review", "approved", "rejected"]

VERSION_STATUSES: dict[str, tuple[str, ...]] = {
    "as-is": ("current", "retired"),
    "to-be": ("draft", "in-review", "approved", "rejected"),
}
"""Statuses allowed per version kind; the first is the default."""

_FILE = ConfigDict(extra="forbid", coerce_numbers_to_str=True, populate_by_name=True)
_API = ConfigDict(extra="forbid", coerce_numbers_to_str=True, populate_by_name=True)


# --- the file format (processes/<slug>.yaml), also the body of whole-process API calls ---


class StepFile(BaseModel):
    """A step as written in a process file."""

    model_config = _FILE

    id: Label = Field(description="Unique within the version; flows refer to it.")
    name: Name = Field(description="The activity name an event log uses.")
    department: Name
    owner: Name = Field(description="The role accountable for the step.")
    system: Name | None = None
    manual_entry: bool = Field(default=False, description="Data keyed in by hand.")
    minutes: Amount | None = Field(default=None, description="Hands-on minutes per execution.")
    cost: Amount | None = Field(default=None, description="Cost per execution.")


class FlowFile(BaseModel):
    """A flow as written in a process file; a handoff when the departments differ."""

    model_config = _FILE

    from_: Label = Field(alias="from", description="Step id the flow leaves.")
    to: Label = Field(description="Step id the flow enters.")
    owner: Name | None = Field(
        default=None, description="Who owns the transition; a handoff without one is unowned."
    )
    standard_hours: Hours | None = Field(default=None, description="Service standard in hours.")


class VersionFile(BaseModel):
    """A version (as-is or a to-be option) as written in a process file."""

    model_config = _FILE

    label: Label
    kind: Kind
    status: Status | None = Field(
        default=None,
        description="as-is: current (default) or retired; to-be: draft (default), in-review, "
        "approved or rejected.",
    )
    description: Text | None = None
    effort_months: Months | None = Field(
        default=None, description="Months of work to put the option in place (e.g. 3)."
    )
    one_off_cost: Amount | None = Field(
        default=None, description="One-off cost of putting the option in place, in currency units."
    )
    expected_impact: Impact | None = Field(
        default=None, description="Expected impact of the option: low, medium or high."
    )
    steps: list[StepFile] = Field(default_factory=list)
    flows: list[FlowFile] = Field(default_factory=list)


class ProcessFile(BaseModel):
    """A documented customer-facing process: the content of ``processes/<slug>.yaml``."""

    model_config = ConfigDict(
        extra="forbid",
        coerce_numbers_to_str=True,
        populate_by_name=True,
        title="Handoff process definition",
    )

    slug: Slug
    name: Name
    customer: Customer | None = None
    owner: Name = Field(description="The accountable process owner.")
    standard_hours: Hours | None = Field(default=None, description="End-to-end service standard.")
    versions: list[VersionFile] = Field(min_length=1)


# --- API documents ---


class ProcessCreate(ProcessFile):
    """Create a whole process, with its versions, in one request."""


class StoredProcess(ProcessFile):
    """A process as the database holds it: its owner may have been cleared since.

    The file format requires an owner; the database keeps a process whose owner was
    removed (the role fell vacant) so that the gap shows in the "who does what" guide.
    """

    owner: Name | None = None  # type: ignore[assignment]


class ProcessUpdate(BaseModel):
    """Change a process's own fields; omitted fields stay as they are."""

    model_config = _API

    slug: Slug | None = None
    name: Name | None = None
    customer: Customer | None = None
    owner: Name | None = None
    standard_hours: Hours | None = None


class VersionUpdate(BaseModel):
    """Change a version's own fields; omitted fields stay as they are."""

    model_config = _API

    label: Label | None = None
    kind: Kind | None = None
    status: Status | None = None
    description: Text | None = None
    effort_months: Months | None = None
    one_off_cost: Amount | None = None
    expected_impact: Impact | None = None


class VersionCopy(BaseModel):
    """Start a new version as a copy of an existing one (a to-be option from the as-is).

    The option figures (effort, one-off cost, impact) are not copied: they describe
    putting one option in place, so a copy starts without them unless given here.
    """

    model_config = _API

    label: Label
    kind: Kind = "to-be"
    description: Text | None = None
    effort_months: Months | None = None
    one_off_cost: Amount | None = None
    expected_impact: Impact | None = None


class StepCreate(StepFile):
    """A new step in a version."""


class StepUpdate(BaseModel):
    """Change a step; omitted fields stay as they are, null clears an optional one."""

    model_config = _API

    id: Label | None = None
    name: Name | None = None
    department: Name | None = None
    owner: Name | None = None
    system: Name | None = None
    manual_entry: bool | None = None
    minutes: Amount | None = None
    cost: Amount | None = None


class FlowCreate(FlowFile):
    """A new flow between two steps of a version."""


class FlowUpdate(BaseModel):
    """Change a flow; omitted fields stay as they are, null clears an optional one."""

    model_config = _API

    from_: Label | None = Field(default=None, alias="from")
    to: Label | None = None
    owner: Name | None = None
    standard_hours: Hours | None = None


class StepPublic(BaseModel):
    """A step as the API shows it."""

    id: str
    name: str
    department: str
    owner: str | None
    system: str | None
    manual_entry: bool
    minutes: float | None
    cost: float | None


class FlowPublic(BaseModel):
    """A flow as the API shows it, with the departments on both ends."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: int
    from_: str = Field(alias="from")
    to: str
    owner: str | None
    standard_hours: float | None
    from_department: str
    to_department: str
    handoff: bool = Field(description="True when the two steps belong to different departments.")


class VersionSummary(BaseModel):
    """A version in lists."""

    label: str
    kind: str
    status: str
    description: str | None
    effort_months: float | None = None
    one_off_cost: float | None = None
    expected_impact: Impact | None = None
    steps: int
    handoffs: int


class VersionPublic(BaseModel):
    """A version with its steps and flows."""

    label: str
    kind: str
    status: str
    description: str | None
    effort_months: float | None = None
    one_off_cost: float | None = None
    expected_impact: Impact | None = None
    steps: list[StepPublic]
    flows: list[FlowPublic]


class ProcessSummary(BaseModel):
    """A process in lists."""

    slug: str
    name: str
    customer: str | None
    owner: str | None
    standard_hours: float | None
    departments: list[str]
    versions: list[VersionSummary]


class ProcessPublic(BaseModel):
    """A process with every version, step and flow."""

    slug: str
    name: str
    customer: str | None
    owner: str | None
    standard_hours: float | None
    departments: list[str]
    versions: list[VersionPublic]


class HandoffPublic(BaseModel):
    """A flow between two departments, with what a branch lead needs to review it."""

    process: str
    process_name: str
    version: str
    version_kind: str
    flow_id: int
    from_step: str
    from_step_name: str
    to_step: str
    to_step_name: str
    from_department: str
    to_department: str
    owner: str | None
    standard_hours: float | None
