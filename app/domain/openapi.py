"""The OpenAPI document as the API really answers.

Litestar describes each operation from its handler's signature: the success response and,
for a handler with parameters, a 400 in Litestar's own error format. The API answers
differently (``app.domain.problems``): every error is an RFC 9457 problem document
(``application/problem+json``), some operations answer in the format a ``format`` query
parameter names, and a few answers cannot be read from a signature (a YAML request body,
the 202 of a result computed in the background). ``complete_document`` adds all of that
to the document Litestar builds; ``DocumentedOpenAPIConfig`` applies it to the document
served at ``/schema/openapi.json`` (and ``.yaml``, and the reference page).

Which errors an operation declares follows from what it takes and who may call it:

- 400: it takes parameters or a body (a value that breaks its rules);
- 401 and 403: it is under ``/api`` and not public (no valid credentials; a role that may
  not, or a session request without its CSRF token);
- 404: it has path parameters (the thing they name does not exist), or it is listed in
  ``EXTRA_STATUSES`` because a query parameter names a thing (a log, a process);
- 409: it changes something (every commit turns a constraint violation into a conflict);
  every change to a process also 422 (it re-checks the whole process);
- 413: it takes a body (larger than the route's limit);
- 503: it is under ``/api`` (any request may wait too long for a database lock; a map
  also needs Graphviz);
- plus ``EXTRA_STATUSES`` (404 for a list filter naming nothing, 422 for a document or
  event log that cannot be used or a map Graphviz could not draw, 429 for throttled
  sign-ins).

``tests/integration/test_api_fuzz.py`` checks every answer against this document.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import OpenAPI

__all__ = ["PROBLEM_SCHEMA", "DocumentedOpenAPIConfig", "complete_document"]

PROBLEM_JSON = "application/problem+json"
METHODS = ("get", "post", "put", "patch", "delete")
PUBLIC = frozenset({("post", "/api/auth/login")})
READ_ONLY = frozenset({("post", "/api/event-logs/preview")})
"""Operations that are not GET but change nothing (no 409)."""

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "An RFC 9457 problem document: `detail` is one plain sentence.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "Each problem found: a message with the JSON pointer, or the "
            "parameter (key and source), it is about.",
            "items": {"type": "object"},
        },
    },
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

RUNNING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Running",
    "description": "The result is being computed in the background; ask again after "
    "Retry-After seconds.",
    "required": ["state", "detail"],
    "properties": {
        "state": {"type": "string", "enum": ["running"]},
        "phase": {"type": "string"},
        "detail": {"type": "string"},
        "started_at": {"type": "string", "format": "date-time"},
        "elapsed_s": {"type": "number"},
    },
}
RUNNING_REF = {"$ref": "#/components/schemas/Running"}

DESCRIPTIONS = {
    400: "The request is invalid: a parameter or the body breaks its rules.",
    401: "Not signed in, or the credentials are not valid.",
    403: "The signed-in role may not do this, or a session request lacks its CSRF token.",
    404: "Something the request names does not exist.",
    409: "The change clashes with what is stored.",
    413: "The request body is larger than this operation accepts.",
    422: "The document, file or map is well formed but cannot be used; `detail` says why.",
    429: "Too many failed sign-ins; wait before trying again.",
    503: "Unavailable for a moment: the database is busy with another change (try again "
    "after Retry-After seconds), or, for a map, Graphviz is not installed on the server.",
}

FORMAT_MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv",
    "html": "text/html",
    "svg": "image/svg+xml",
    "png": "image/png",
    "pdf": "application/pdf",
    "dot": "text/vnd.graphviz",
}
BINARY = frozenset({"image/png", "application/pdf"})

_MAP = {422}  # a map Graphviz could not draw (503 without Graphviz)

EXTRA_STATUSES: dict[tuple[str, str], set[int]] = {
    ("post", "/api/auth/login"): {401, 429},
    ("get", "/api/processes"): {404},  # a department or owner filter that names nobody
    ("get", "/api/handoffs"): {404},
    ("get", "/api/owners"): {404},
    # the review of an as-is version, the sign-offs of a to-be option: no such thing
    ("get", "/api/processes/{slug}/versions/{label}/review"): {409},
    ("get", "/api/processes/{slug}/versions/{label}/signoffs"): {409},
    ("post", "/api/processes"): {422},
    ("post", "/api/processes/import"): {422},
    ("post", "/api/event-logs"): {422},
    ("post", "/api/event-logs/preview"): {422},
    ("get", "/api/processes/{slug}/map"): _MAP,
    ("get", "/api/processes/{slug}/compare/map"): _MAP,
    ("get", "/api/customer-map/map"): _MAP,
    ("get", "/api/event-logs/{log_id}/map"): _MAP,
    ("get", "/api/event-logs/{log_id}/customer-map/map"): _MAP,
    ("get", "/api/event-logs/{log_id}/compare-map"): _MAP,
    ("post", "/api/actions"): {404},  # the log, owner or account it names
}
"""Statuses beyond the rules of the module's docstring, per operation."""

_PROCESS_WRITE = re.compile(r"^/api/processes/\{slug\}(?!.*/(signoff|review)$)")
"""Every change to a process re-checks the whole process: 422 when it would break it
(sign-offs and review moves change no step or flow)."""


def _json(component: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}}


EXTRA_RESPONSES: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("post", "/api/event-logs"): {
        "200": {
            "description": "That content was imported before: the log it became.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/EventLogPublic"}}
            },
        },
        "201": {
            "description": "The log, imported.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/EventLogPublic"}}
            },
        },
        "202": {
            "description": "A large file: the import job that reads it in the background.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ImportJobPublic"}}
            },
        },
    },
    ("get", "/api/processes/{slug}/export"): {
        "200": {
            "description": "The process file (CONTRACT section 2), as YAML.",
            "content": {
                "application/yaml": {"schema": {"$ref": "#/components/schemas/ProcessFile"}}
            },
        },
    },
    ("post", "/api/import-jobs/{job_id}/retry"): {
        "202": {
            "description": "The job, queued again.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ImportJobPublic"}}
            },
        },
    },
}
"""Success responses a handler's signature cannot tell (it answers ``Response[Any]``, or
text that is a document in another media type)."""

BACKGROUND = frozenset(
    {
        "/api/event-logs/{log_id}/analysis",
        "/api/event-logs/{log_id}/customer-map",
        "/api/event-logs/{log_id}/directly-follows",
        "/api/event-logs/{log_id}/cases",
        "/api/event-logs/{log_id}/model.bpmn",
        "/api/event-logs/{log_id}/scorecards",
        "/api/event-logs/{log_id}/scorecards/{department}",
    }
)
"""GET operations that answer 202 while a large log's result is computed in the background."""

YAML_BODY = frozenset({("post", "/api/processes/import")})
"""Operations whose body is a process file in YAML (read raw, so Litestar cannot tell)."""


def statuses_of(method: str, path: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses one operation can answer (see the module's docstring)."""
    parameters = operation.get("parameters") or []
    body = "requestBody" in operation
    statuses: set[int] = set()
    if parameters or body:
        statuses.add(400)
    if path.startswith("/api/"):
        statuses.add(503)  # any request may wait too long for a database lock
        if (method, path) not in PUBLIC:
            statuses |= {401, 403}
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    if body:
        statuses.add(413)
    if path.startswith("/api/") and method != "get" and (method, path) not in READ_ONLY:
        statuses.add(409)
        if _PROCESS_WRITE.match(path):
            statuses.add(422)
    statuses |= EXTRA_STATUSES.get((method, path), set())
    return statuses


def _formats(operation: dict[str, Any]) -> list[str]:
    for parameter in operation.get("parameters") or []:
        if parameter.get("name") == "format" and parameter.get("in") == "query":
            return [str(v) for v in parameter.get("schema", {}).get("enum", [])]
    return []


def _format_content(formats: list[str], current: dict[str, Any]) -> dict[str, Any]:
    """The success content of an operation that answers in the format asked for."""
    content: dict[str, Any] = {}
    for name in formats:
        media_type = FORMAT_MEDIA_TYPES[name]
        if media_type == "application/json":
            known = current.get("application/json", {}).get("schema", {})
            schema = known if known.get("type") != "string" else {}
        elif media_type in BINARY:
            schema = {"type": "string", "format": "binary"}
        else:
            schema = {"type": "string"}
        content[media_type] = {"schema": schema}
    return content


def complete_operation(method: str, path: str, operation: dict[str, Any]) -> None:
    """Declare one operation's problem responses and what its signature cannot tell."""
    if (method, path) in YAML_BODY:
        operation["requestBody"] = {
            "required": True,
            "description": "A process file (CONTRACT section 2) as YAML text.",
            "content": {"application/yaml": {"schema": {"type": "string"}}},
        }
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for code in [c for c in responses if c[:1] in "45"]:
        del responses[code]  # Litestar's own error format, which the API never answers
    for status in sorted(statuses_of(method, path, operation)):
        responses[str(status)] = {
            "description": DESCRIPTIONS[status],
            "content": {PROBLEM_JSON: {"schema": dict(PROBLEM_REF)}},
        }
    formats = _formats(operation)
    if formats:
        for code, response in responses.items():
            if code.startswith("2") and "content" in response:
                response["content"] = _format_content(formats, response["content"])
    responses.update(copy.deepcopy(EXTRA_RESPONSES.get((method, path), {})))
    if method == "get" and path in BACKGROUND:
        responses["202"] = {
            "description": "A large log's result is being computed in the background.",
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            "content": {"application/json": {"schema": dict(RUNNING_REF)}},
        }
    operation["responses"] = dict(sorted(responses.items()))


def complete_document(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every operation completed (changed in place and returned)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = copy.deepcopy(PROBLEM_SCHEMA)
    schemas["Running"] = copy.deepcopy(RUNNING_SCHEMA)
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                complete_operation(method, path, item[method])
    return document


class _DocumentedOpenAPI(OpenAPI):
    def to_schema(self) -> dict[str, Any]:
        return complete_document(super().to_schema())


class DocumentedOpenAPIConfig(OpenAPIConfig):
    """Litestar's OpenAPI configuration, serving the completed document."""

    def to_openapi_schema(self) -> OpenAPI:
        base = super().to_openapi_schema()
        return _DocumentedOpenAPI(
            **{name: getattr(base, name) for name in base.__dataclass_fields__}
        )
