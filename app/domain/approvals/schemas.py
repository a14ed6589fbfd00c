"""What the review endpoints read and answer."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.lib.times import UtcDatetime

__all__ = ["ReviewMove", "ReviewRecord", "ReviewRequest", "ReviewState"]

OptionStatus = Literal["draft", "in-review", "approved", "rejected"]


class ReviewRequest(BaseModel):
    """Move an option to another status, with a comment (required to reject or reopen)."""

    model_config = ConfigDict(extra="forbid")

    to: OptionStatus
    comment: str | None = Field(default=None, max_length=4000)


class ReviewRecord(BaseModel):
    """One recorded move of an option."""

    from_status: str
    to_status: str
    username: str
    comment: str | None
    created_at: UtcDatetime


class ReviewState(BaseModel):
    """An option's status, where it may go next, and every move so far (oldest first)."""

    process: str
    version: str
    status: str
    allowed: list[str]
    history: list[ReviewRecord]


class ReviewMove(ReviewState):
    """The answer to a move: the new state and the move just recorded."""

    move: ReviewRecord
