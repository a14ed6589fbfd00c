"""Health and the published schema of the process file format."""

from __future__ import annotations

import time
from typing import Any

from litestar import Response, get
from litestar.datastructures import State

from app import __version__
from app.db.engine import database_ok
from app.domain.processes.schemas import ProcessFile
from app.rendering import graphviz_version

__all__ = ["health", "process_file_schema", "process_file_schema_document"]

GRAPHVIZ_CHECK_S = 60.0
"""How long the Graphviz version found is trusted (asking ``dot -V`` starts a process)."""
_graphviz: tuple[float, str | None] | None = None


def _graphviz_version() -> str | None:
    """Graphviz's version, asked at most once a minute so /health stays fast."""
    global _graphviz
    if _graphviz is None or time.monotonic() - _graphviz[0] > GRAPHVIZ_CHECK_S:
        _graphviz = (time.monotonic(), graphviz_version())
    return _graphviz[1]


def process_file_schema_document() -> dict[str, Any]:
    """The JSON Schema of ``processes/<slug>.yaml`` (also written to docs/)."""
    schema = ProcessFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


@get("/health", sync_to_thread=True, tags=["system"])
def health(state: State) -> Response[dict[str, Any]]:
    """Whether the database answers and Graphviz is installed."""
    db_ok, db_detail = database_ok(state.engine)
    dot = _graphviz_version()
    body = {
        "status": "ok" if db_ok and dot else ("degraded" if db_ok else "unavailable"),
        "version": __version__,
        "database": {"ok": db_ok, ("dialect" if db_ok else "error"): db_detail},
        "graphviz": {"ok": dot is not None, "version": dot},
    }
    return Response(body, status_code=200 if db_ok else 503)


@get("/api/schemas/process-file.json", tags=["processes"])
async def process_file_schema() -> dict[str, Any]:
    """The JSON Schema of the process definition file format."""
    return process_file_schema_document()
