"""One map from errors to RFC 9457 problem documents."""

from __future__ import annotations

import logging
import sqlite3
import unicodedata
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import DataError, OperationalError

from app.lib.errors import DomainError

__all__ = ["PROBLEM_JSON", "exception_handlers", "problem"]

log = logging.getLogger("app")
PROBLEM_JSON = "application/problem+json"


def problem(
    status: int, title: str, detail: str, request: Request[Any, Any, Any], **extra: Any
) -> Response[dict[str, Any]]:
    """A problem document response."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": _printable(detail)}
    body["instance"] = request.url.path
    body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Unicode categories shown escaped in a detail: control, format, surrogate, private,
unassigned, line and paragraph separator characters."""


def _printable(text: str) -> str:
    """The sentence on one line: control and invisible characters (a newline in a value
    the request sent, quoted back) escaped.

    >>> _printable("There is no version 'a\\nb\\x00'.")
    "There is no version 'a\\\\nb\\\\x00'."
    """
    return "".join(
        c.encode("unicode_escape").decode("ascii") if unicodedata.category(c) in HIDDEN else c
        for c in text
    )


def _domain(request: Request[Any, Any, Any], error: DomainError) -> Response[dict[str, Any]]:
    extra = {"errors": [p.as_dict() for p in error.problems]} if error.problems else {}
    return problem(error.status_code, error.title, error.message, request, **extra)


def _validation(
    request: Request[Any, Any, Any], error: ValidationException
) -> Response[dict[str, Any]]:
    items = error.extra if isinstance(error.extra, list) else []
    errors = [
        {
            "message": _plain(str(item.get("message", ""))),
            "key": str(item.get("key", "")),
            "source": str(getattr(item.get("source"), "value", item.get("source") or "")),
        }
        for item in items
        if isinstance(item, dict)
    ]
    if errors:
        first = errors[0]
        where = f"{first['source']} " if first["source"] else ""
        detail = f"Invalid request: {where}'{first['key']}': {first['message']}"
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        detail += "."
    else:
        detail = f"Invalid request: {error.detail}."
    return problem(400, "Invalid request", detail, request, errors=errors)


def _plain(message: str) -> str:
    """A validator's message without regular expressions in it."""
    if "should match pattern" in message:
        return "holds characters that are not allowed here"
    return message


def _http(request: Request[Any, Any, Any], error: HTTPException) -> Response[dict[str, Any]]:
    detail = str(error.detail)
    if error.status_code == 404 and detail == "Not Found":
        detail = f"There is nothing at {request.method} {request.url.path}."
    if error.status_code == 405 and detail == "Method Not Allowed":
        allowed = (error.headers or {}).get("allow")
        detail = f"{request.method} is not a method of {request.url.path}" + (
            f" (it takes {allowed})." if allowed else "."
        )
    if error.status_code == 413 and detail == "Request Entity Too Large":
        detail = _too_large(request)
    if detail.startswith("JSON is malformed: "):
        detail = f"The request body is not valid JSON: {detail.removeprefix('JSON is malformed: ')}"
    if detail == "Invalid multipart/form-data":
        detail = "The request body is not a valid multipart/form-data form."
    if not detail.endswith((".", "?")):
        detail += "."  # Litestar's own messages are phrases
    response = problem(error.status_code, _title(error.status_code), detail, request)
    response.headers.update(error.headers or {})
    return response


def _too_large(request: Request[Any, Any, Any]) -> str:
    """The sentence of a body over its route's limit, naming the limit."""
    handler = request.scope.get("route_handler")
    limit = (
        handler.resolve_request_max_body_size() if isinstance(handler, HTTPRouteHandler) else None
    )
    if limit is None:
        return "The request body is too large."
    return f"The request body is larger than the {limit:,} bytes {request.url.path} accepts."


def _unstorable(request: Request[Any, Any, Any], error: DataError) -> Response[dict[str, Any]]:
    reason = str(error.orig).splitlines()[0] if error.orig else "a value is out of range"
    return problem(400, "Invalid request", f"A value cannot be stored: {reason}.", request)


def _internal(request: Request[Any, Any, Any], error: Exception) -> Response[dict[str, Any]]:
    log.exception("Unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(
        500,
        "Internal error",
        "The service failed unexpectedly; the error has been logged.",
        request,
    )


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


BUSY = ("database is locked", "database table is locked", "deadlock detected", "lock timeout")
"""What a database says when a change waited too long for a lock another change holds."""
BUSY_RETRY_S = 2


def _operational(
    request: Request[Any, Any, Any], error: OperationalError | sqlite3.OperationalError
) -> Response[dict[str, Any]]:
    """A change that waited too long for a lock: 503 with Retry-After (its transaction
    was rolled back); any other operational error is an internal one."""
    reason = str(getattr(error, "orig", None) or error)
    if not any(words in reason.lower() for words in BUSY):
        return _internal(request, error)
    log.warning("%s %s: %s", request.method, request.url.path, reason.splitlines()[0])
    response = problem(
        503,
        "Service Unavailable",
        f"The database is busy with another change; try again in {BUSY_RETRY_S} seconds.",
        request,
    )
    response.headers["Retry-After"] = str(BUSY_RETRY_S)
    return response


exception_handlers: ExceptionHandlersMap = {
    DomainError: _domain,
    ValidationException: _validation,
    HTTPException: _http,
    DataError: _unstorable,
    OperationalError: _operational,
    sqlite3.OperationalError: _operational,
    Exception: _internal,
}
