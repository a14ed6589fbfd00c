"""What the sign-off endpoints read and answer."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.domain.processes.schemas import HandoffPublic
from app.lib.times import UtcDatetime

__all__ = [
    "HandoffSignoffs",
    "QueueEntry",
    "ReviewQueue",
    "SideState",
    "SignoffRequest",
    "VersionSignoffs",
]

Word = Literal["confirmed", "disputed"]
State = Literal["confirmed", "disputed", "pending"]


class SignoffRequest(BaseModel):
    """A branch lead's word on one side of a handoff."""

    model_config = ConfigDict(extra="forbid")

    department: str = Field(min_length=1, max_length=200, description="Name or slug of the side.")
    state: Word
    comment: str | None = Field(
        default=None, max_length=4000, description="Required when disputing."
    )


class SideState(BaseModel):
    """Where one department stands on a handoff."""

    department: str
    state: State
    username: str | None = None
    updated_at: UtcDatetime | None = None
    comment: str | None = None


class HandoffSignoffs(HandoffPublic):
    """A handoff with both sides' word: ``sides`` is the sending department, then the
    receiving one; ``agreed`` when both confirmed."""

    sides: list[SideState]
    agreed: bool


class VersionSignoffs(BaseModel):
    """Every handoff of an as-is version with its sign-offs, and the tally."""

    process: str
    version: str
    agreed: int
    disputed: int
    pending: int
    handoffs: list[HandoffSignoffs]


class QueueEntry(HandoffSignoffs):
    """A handoff in a department's review queue; ``side`` is that department's word."""

    side: SideState


class ReviewQueue(BaseModel):
    """The handoffs of as-is versions touching one department: pending first, then
    disputed, then confirmed."""

    department: str
    slug: str
    pending: int
    disputed: int
    confirmed: int
    handoffs: list[QueueEntry]
