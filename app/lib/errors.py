"""Domain errors: values that carry one plain sentence for the user.

The API turns them into RFC 9457 problem documents, the CLI into exit status 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = [
    "Conflict",
    "DomainError",
    "Forbidden",
    "GraphvizMissing",
    "InvalidEventLog",
    "InvalidProcess",
    "InvalidRequest",
    "NotFound",
    "PayloadTooLarge",
    "Problem",
    "RenderError",
    "TooManyAttempts",
    "Unauthorized",
    "require",
]


@dataclass(frozen=True)
class Problem:
    """One problem found in a document: where (path of keys, file line) and what."""

    message: str
    path: tuple[str | int, ...] = ()
    line: int | None = None

    @property
    def pointer(self) -> str:
        """The path as a JSON pointer, e.g. ``/versions/0/flows/2/to``."""
        return "".join(f"/{part}" for part in self.path)

    @property
    def dotted(self) -> str:
        """The path as people write it, e.g. ``versions[0].flows[2].to``."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly form for problem documents."""
        out: dict[str, Any] = {"message": self.message, "pointer": self.pointer}
        if self.line is not None:
            out["line"] = self.line
        return out


T = TypeVar("T")


class DomainError(Exception):
    """Base of every expected error. ``str(error)`` is the one sentence to show."""

    status_code = 400
    title = "Bad request"

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems: list[Problem] = problems or []


class NotFound(DomainError):
    """A named thing does not exist."""

    status_code = 404
    title = "Not found"


class Unauthorized(DomainError):
    """No valid credentials came with the request (or they were wrong)."""

    status_code = 401
    title = "Not signed in"


class Forbidden(DomainError):
    """The signed-in person's role does not allow this."""

    status_code = 403
    title = "Not allowed"


class TooManyAttempts(DomainError):
    """Sign-in attempts are throttled for a while."""

    status_code = 429
    title = "Too many attempts"


class Conflict(DomainError):
    """The request clashes with what is stored (a slug taken, a step still in use)."""

    status_code = 409
    title = "Conflict"


class InvalidRequest(DomainError):
    """A request's parameters are not usable (a date that is not a date)."""

    status_code = 400
    title = "Invalid request"


class InvalidProcess(DomainError):
    """A process definition breaks the rules of the file format."""

    status_code = 422
    title = "Invalid process definition"


class InvalidEventLog(DomainError):
    """An event log cannot be read, or its rows break the rules of an import."""

    status_code = 422
    title = "Invalid event log"


class PayloadTooLarge(DomainError):
    """An upload, or what it decompresses to, is larger than allowed."""

    status_code = 413
    title = "Payload too large"


class RenderError(DomainError):
    """A map could not be drawn (a format, a flow or a layout Graphviz refused)."""

    status_code = 422
    title = "Map could not be drawn"


class GraphvizMissing(RenderError):
    """Graphviz ``dot`` is not installed on the server."""

    status_code = 503
    title = "Graphviz is not installed"


def require(found: T | None, message: str) -> T:
    """The thing looked up, or NotFound with ``message`` when it is missing.

    >>> require(3, "no three")
    3
    """
    if found is None:
        raise NotFound(message)
    return found
