"""What the improvement-action endpoints read and answer."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.lib.times import UtcDatetime

__all__ = [
    "STATES",
    "ActionCreate",
    "ActionDetail",
    "ActionPublic",
    "ActionUpdate",
    "CommentCreate",
    "CommentPublic",
    "FiltersIn",
    "FindingIn",
    "MeasurementPublic",
]

FindingKind = Literal["handoff", "pingpong", "rework", "duplicate", "step", "standard"]
State = Literal["planned", "in progress", "done", "dropped"]
STATES: tuple[str, ...] = ("planned", "in progress", "done", "dropped")
Outcome = Literal["met", "missed", "not observed", "pending", "not yet measured"]
Name = Field(default=None, min_length=1, max_length=300)


class FindingIn(BaseModel):
    """A finding of a log's analysis: a handoff or ping-pong pair, a reworked activity of
    a department, a duplicated activity, a step (the wait before an activity) or a
    documented flow with a service standard (step ids)."""

    model_config = ConfigDict(extra="forbid")

    kind: FindingKind
    from_department: str | None = Name
    to_department: str | None = Name
    activity: str | None = Name
    department: str | None = Name
    from_step: str | None = Field(default=None, min_length=1, max_length=100)
    to_step: str | None = Field(default=None, min_length=1, max_length=100)


class FiltersIn(BaseModel):
    """The analysis filters of the finding (as ``GET /api/event-logs/{id}/analysis``
    takes them). Follow-ups on later logs keep all but the dates."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    date_from: str | None = Field(default=None, alias="from", max_length=40)
    date_to: str | None = Field(default=None, alias="to", max_length=40)
    department: list[str] = Field(default_factory=list, max_length=100)
    activity: list[str] = Field(default_factory=list, max_length=100)
    variant: list[str] = Field(default_factory=list, max_length=200)
    where: list[str] = Field(default_factory=list, max_length=20)


class ActionCreate(BaseModel):
    """An action made from a finding of log ``log_id``: the baseline is measured there."""

    model_config = ConfigDict(extra="forbid")

    finding: FindingIn
    log_id: int = Field(ge=1, le=2_147_483_647)
    filters: FiltersIn = Field(default_factory=FiltersIn)
    metric: str | None = Field(default=None, max_length=40, description="Default: the finding's.")
    process: str | None = Field(default=None, min_length=1, max_length=100)
    version: str | None = Field(default=None, min_length=1, max_length=100)
    title: str | None = Field(default=None, min_length=1, max_length=300)
    department: str | None = Field(
        default=None, min_length=1, max_length=200, description="Default: from the finding."
    )
    owner: str | None = Field(default=None, min_length=1, max_length=200)
    account: str | None = Field(default=None, min_length=1, max_length=100)
    due: date
    target: float = Field(allow_inf_nan=False)
    direction: Literal["lower", "higher"] | None = None
    comment: str | None = Field(default=None, min_length=1, max_length=4000)


class ActionUpdate(BaseModel):
    """Changes to an action; a branch lead may send only ``state`` and ``comment``."""

    model_config = ConfigDict(extra="forbid")

    state: State | None = None
    comment: str | None = Field(default=None, min_length=1, max_length=4000)
    title: str | None = Field(default=None, min_length=1, max_length=300)
    owner: str | None = Field(default=None, max_length=200, description="'' for none.")
    account: str | None = Field(default=None, max_length=100, description="'' for none.")
    due: date | None = None
    target: float | None = Field(default=None, allow_inf_nan=False)
    department: str | None = Field(default=None, min_length=1, max_length=200)


class CommentCreate(BaseModel):
    """A remark on an action."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)


class CommentPublic(BaseModel):
    """A remark as stored."""

    id: int
    username: str
    text: str
    at: UtcDatetime


class MeasurementPublic(BaseModel):
    """The metric on one log after the baseline."""

    log_id: int
    log_name: str
    log_last_event: str | None
    value: float | None
    state: str
    note: str | None
    measured_at: UtcDatetime


class ActionPublic(BaseModel):
    """One row of the register: before (baseline), after (latest later log), target."""

    id: int
    title: str
    finding_kind: str
    finding: dict[str, str]
    department: str
    process: str | None
    version: str | None
    owner: str | None
    account: str | None
    due: date
    overdue: bool
    state: str
    metric: str
    metric_label: str
    unit: str
    direction: str
    filters: dict[str, object]
    baseline_log_id: int
    baseline_log_name: str
    before: float
    after: float | None
    after_log_id: int | None
    after_note: str | None
    target: float
    outcome: Outcome
    created_by: str
    created_at: UtcDatetime
    updated_at: UtcDatetime


class ActionDetail(ActionPublic):
    """An action with its measurement history (oldest log first) and comments."""

    measurements: list[MeasurementPublic]
    comments: list[CommentPublic]
    definition: str
