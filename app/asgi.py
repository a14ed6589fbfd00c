"""The Litestar application: ``create_app(settings)``."""

from __future__ import annotations

import logging
from pathlib import Path

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.plugins.pydantic import PydanticPlugin
from litestar.static_files import create_static_files_router
from sqlalchemy import Engine
from sqlmodel import select

from app import __version__
from app.config import Settings
from app.db.engine import commit, open_database, session_scope
from app.db.models import Process
from app.domain.catalogue.controllers import (
    DepartmentController,
    OwnerController,
    WhoDoesWhatController,
)
from app.domain.deps import provide_session
from app.domain.problems import exception_handlers
from app.domain.processes.controllers import HandoffController, ProcessController
from app.domain.processes.services import import_processes
from app.domain.processes.yaml_format import read_process_files
from app.domain.system.controllers import health, process_file_schema
from app.lib.errors import DomainError

__all__ = ["create_app", "load_samples"]

log = logging.getLogger("app")
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def load_samples(engine: Engine, settings: Settings) -> int:
    """Load the sample catalogue into a database that holds no process yet.

    Returns:
        The number of processes loaded (0 when the database already had some).
    """
    with session_scope(engine) as session:
        if session.exec(select(Process.id)).first() is not None:
            return 0
        if not settings.samples_dir.is_dir():
            return 0
        try:
            documents = read_process_files([settings.samples_dir], settings.max_process_file_bytes)
            outcomes = import_processes(session, documents)
            commit(session)
        except DomainError as error:
            log.error("Sample processes not loaded: %s", error)
            return 0
    return len(outcomes)


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the web service for the given settings (read from the environment by default)."""
    settings = settings or Settings()
    state = State({"settings": settings})

    def start(app: Litestar) -> None:
        engine = open_database(settings)
        app.state.engine = engine
        if settings.load_samples:
            loaded = load_samples(engine, settings)
            if loaded:
                log.info("Loaded %d sample processes from %s", loaded, settings.samples_dir)

    def stop(app: Litestar) -> None:
        engine = getattr(app.state, "engine", None)
        if engine is not None:
            engine.dispose()

    route_handlers: list[object] = [
        health,
        process_file_schema,
        ProcessController,
        HandoffController,
        DepartmentController,
        OwnerController,
        WhoDoesWhatController,
    ]
    if STATIC_DIR.is_dir():
        route_handlers.append(
            create_static_files_router(
                path="/", directories=[STATIC_DIR], html_mode=True, include_in_schema=False
            )
        )
    return Litestar(
        route_handlers=route_handlers,  # type: ignore[arg-type]
        state=state,
        on_startup=[start],
        on_shutdown=[stop],
        dependencies={"session": Provide(provide_session)},
        exception_handlers=exception_handlers,
        plugins=[PydanticPlugin(prefer_alias=True)],
        openapi_config=OpenAPIConfig(
            title="Handoff",
            version=__version__,
            description="Map, mine and streamline the cross-department handoffs of city services.",
            path="/schema",
        ),
    )
