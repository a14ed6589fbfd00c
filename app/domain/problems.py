"""One map from errors to RFC 9457 problem documents."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import DataError

from app.lib.errors import DomainError

__all__ = ["PROBLEM_JSON", "exception_handlers", "problem"]

log = logging.getLogger("app")
PROBLEM_JSON = "application/problem+json"


def problem(
    status: int, title: str, detail: str, request: Request[Any, Any, Any], **extra: Any
) -> Response[dict[str, Any]]:
    """A problem document response."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body["instance"] = request.url.path
    body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


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
    response = problem(error.status_code, _title(error.status_code), detail, request)
    response.headers.update(error.headers or {})
    return response


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


exception_handlers: ExceptionHandlersMap = {
    DomainError: _domain,
    ValidationException: _validation,
    HTTPException: _http,
    DataError: _unstorable,
    Exception: _internal,
}
