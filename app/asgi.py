"""The Litestar application: ``create_app(settings)``."""

from __future__ import annotations

import logging
import secrets
import sys
from pathlib import Path

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.plugins.pydantic import PydanticPlugin
from litestar.static_files import create_static_files_router
from sqlalchemy import Engine
from sqlmodel import col, select

from app import __version__
from app.config import Settings
from app.db.engine import commit, make_engine, migrate, session_scope
from app.db.models import Account, EventLog, Process
from app.db.workers import Heartbeat, new_worker_id, startup_lock, sweep
from app.domain.accounts.controllers import AuthController, UserController
from app.domain.accounts.security import AuthMiddleware, LoginThrottle, permission_guard
from app.domain.accounts.services import create_account
from app.domain.actions.controllers import ActionController
from app.domain.analyses.background import BackgroundAnalyses, Computing, computing_response
from app.domain.analyses.controllers import AnalysisController
from app.domain.approvals.controllers import ReviewController
from app.domain.audit.controllers import AuditController
from app.domain.catalogue.controllers import (
    CustomerMapController,
    DepartmentController,
    OwnerController,
    WhoDoesWhatController,
)
from app.domain.deps import provide_session
from app.domain.event_logs.controllers import EventLogController, ImportJobController
from app.domain.event_logs.jobs import ImportRunner
from app.domain.event_logs.services import import_file
from app.domain.maps.controllers import LogMapController, ProcessMapController
from app.domain.openapi import DocumentedOpenAPIConfig
from app.domain.problems import exception_handlers
from app.domain.processes.controllers import HandoffController, ProcessController
from app.domain.processes.services import import_processes
from app.domain.processes.yaml_format import read_process_files
from app.domain.scorecards.controllers import ScorecardController
from app.domain.signoffs.controllers import ReviewQueueController, SignoffController
from app.domain.system.controllers import health, process_file_schema
from app.domain.system.headers import security_headers
from app.domain.system.reference import ReferencePage
from app.lib.errors import DomainError
from app.mining.options import ImportLimits, ImportOptions

__all__ = ["create_app", "first_admin", "load_sample_logs", "load_samples"]

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


def first_admin(engine: Engine) -> str | None:
    """On a first start with no account, an ``admin`` with a generated password, printed
    once (no default password is baked in). Returns the password, or None."""
    with session_scope(engine) as session:
        if session.exec(select(Account.id)).first() is not None:
            return None
        password = secrets.token_urlsafe(12)
        create_account(session, "admin", password, "admin", [])
        commit(session)
    print(
        "\nHandoff: created the first account. Sign in as 'admin' with the password\n\n"
        f"    {password}\n\nIt is shown only this once; add people with "
        "'handoff users add NAME --role ROLE --password-stdin'.\n",
        file=sys.stderr,
        flush=True,
    )
    return password


LOG_SUFFIXES = (".csv", ".csv.gz", ".xes", ".xes.gz", ".parquet", ".zip")


def load_sample_logs(engine: Engine, settings: Settings, limits: ImportLimits) -> int:
    """Import the demo event logs into a database that holds no log yet.

    Returns:
        The number of logs imported.
    """
    folder = settings.event_logs_dir
    if not folder.is_dir():
        return 0
    files = sorted(p for p in folder.iterdir() if p.name.lower().endswith(LOG_SUFFIXES))
    with session_scope(engine) as session:
        stored = select(EventLog.id).where(col(EventLog.importer).is_(None))  # none staged
        if session.exec(stored).first() is not None:
            return 0
        try:
            for path in files:
                import_file(
                    session,
                    path,
                    path.name,
                    ImportOptions(limits=limits),
                    workdir=settings.work_dir,
                )
            commit(session)
        except DomainError as error:
            log.error("Demo event logs not loaded: %s", error)
            return 0
    return len(files)


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the web service for the given settings (read from the environment by default)."""
    settings = settings or Settings()

    limits = ImportLimits(max_decompressed_bytes=settings.max_decompressed_bytes)
    state = State({"settings": settings, "limits": limits})

    def start(app: Litestar) -> None:
        engine = make_engine(settings.resolved_database_url, settings.sqlite_busy_timeout_s)
        worker = new_worker_id()
        # several processes may start together on one PostgreSQL: one at a time migrates
        # and loads the first data, the others then find it done
        with startup_lock(engine):
            migrate(engine)
            # at once: the jobs and staged logs of processes of this machine that stopped
            # (and of others whose heartbeat stopped long ago)
            sweep(engine, worker)
            if settings.load_samples:
                first_admin(engine)
                loaded = load_samples(engine, settings)
                if loaded:
                    log.info("Loaded %d sample processes from %s", loaded, settings.samples_dir)
                logs = load_sample_logs(engine, settings, limits)
                if logs:
                    log.info("Loaded %d demo event logs from %s", logs, settings.event_logs_dir)
        app.state.engine = engine
        app.state.worker = worker
        app.state.import_runner = ImportRunner(engine, limits, settings.work_dir, worker)
        app.state.background = BackgroundAnalyses(
            engine,
            worker,
            inline_events=settings.inline_analysis_events,
            database_url=settings.resolved_database_url,
            processes=settings.analysis_subprocess,
        )
        app.state.heartbeat = Heartbeat(engine, worker)
        app.state.login_throttle = LoginThrottle()
        app.state.import_runner.start()
        app.state.heartbeat.start()

    def stop(app: Litestar) -> None:
        # the heartbeat stops last: while work finishes, other processes must not take
        # this process's import or analysis for abandoned
        for name in ("import_runner", "background", "heartbeat"):
            runner = getattr(app.state, name, None)
            if runner is not None:
                runner.shutdown()
        engine = getattr(app.state, "engine", None)
        if engine is not None:
            engine.dispose()

    route_handlers: list[object] = [
        AuthController,
        UserController,
        health,
        process_file_schema,
        ProcessController,
        HandoffController,
        # log uploads (and their previews) are the only bodies allowed beyond
        # max_body_bytes: up to max_upload_bytes, the form's fields included
        Router(
            path="/",
            route_handlers=[EventLogController],
            request_max_body_size=settings.max_upload_bytes + 1024**2,
        ),
        ImportJobController,
        AnalysisController,
        DepartmentController,
        OwnerController,
        WhoDoesWhatController,
        CustomerMapController,
        ProcessMapController,
        LogMapController,
        AuditController,
        SignoffController,
        ReviewQueueController,
        ReviewController,
        ActionController,
        ScorecardController,
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
        middleware=[AuthMiddleware(settings.anonymous_role)],
        guards=[permission_guard],
        exception_handlers={**exception_handlers, Computing: computing_response},
        request_max_body_size=settings.max_body_bytes,
        before_send=[security_headers(settings.secure_cookies)],
        plugins=[PydanticPlugin(prefer_alias=True)],
        openapi_config=DocumentedOpenAPIConfig(
            title="Handoff",
            version=__version__,
            description="Map, mine and streamline the cross-department handoffs of city services.",
            path="/schema",
            # a page drawn on the server: Swagger, Redoc and Scalar load scripts from a CDN
            render_plugins=[ReferencePage(), JsonRenderPlugin(), YamlRenderPlugin()],
            use_handler_docstrings=True,  # each operation described by its handler's docstring
        ),
    )
