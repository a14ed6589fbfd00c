"""Analyses too slow for a request (the first analysis of a large log, pm4py's inductive
miner), computed once across all server processes and kept with the cached analyses.

A request that finds no cached document claims the analysis in ``analysis_job`` (a row
per log and key: an insert that only one process wins, or the take-over of a claim whose
process stopped beating) and answers 202; the process that holds the claim computes it in
a child process (so the server's memory and GIL stay free for other requests), which
stores the document in ``analysis_result``; then the claim is marked done (the record of
which process computed it, how many times) and the next request is served from the
cache. A failure stays in the claim until a request reads it (that request gets the
sentence; the next one tries again).
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from typing import Any

from litestar import Request, Response
from litestar.status_codes import HTTP_202_ACCEPTED
from sqlalchemy import Engine, Table, delete, select, update

from app.db.engine import commit, make_engine, session_scope
from app.db.models import AnalysisJob
from app.db.workers import insert_ignore, now, stale_before
from app.lib.errors import DomainError, InvalidRequest

__all__ = ["BackgroundAnalyses", "Computing", "Recipe", "computing_response"]

log = logging.getLogger("app")
RETRY_AFTER_S = 2
_CLAIMS: Table = AnalysisJob.__table__  # type: ignore[attr-defined]

Recipe = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]
"""How to compute and store an analysis anew: a module-level function called as
``function(session, *args, **kwargs)`` (picklable, as it may run in a child process)."""


class Computing(Exception):
    """The analysis asked for is being computed in the background; ask again."""

    def __init__(self, what: str, phase: str, started_at: datetime) -> None:
        super().__init__(f"{what} is being computed; ask again in a few seconds.")
        self.what, self.phase = what, phase
        self.started_at = started_at if started_at.tzinfo else started_at.replace(tzinfo=UTC)

    def body(self) -> dict[str, Any]:
        """The 202 answer's JSON body."""
        return {
            "state": "running",
            "phase": self.phase,
            "detail": str(self),
            "started_at": self.started_at.isoformat().replace("+00:00", "Z"),
            "elapsed_s": round(max((now() - self.started_at).total_seconds(), 0.0), 1),
        }


def computing_response(_: Request[Any, Any, Any], error: Computing) -> Response[dict[str, Any]]:
    """202 with Retry-After for an analysis still being computed."""
    return Response(
        error.body(),
        status_code=HTTP_202_ACCEPTED,
        headers={"Retry-After": str(RETRY_AFTER_S), "X-Handoff-Cache": "running"},
    )


def _compute(engine: Engine, recipe: Recipe) -> str | None:
    """Run a recipe in its own transaction; None, or the sentence of its failure."""
    function, args, kwargs = recipe
    try:
        with session_scope(engine) as session:
            function(session, *args, **kwargs)
            commit(session)
    except DomainError as error:
        return error.message
    except Exception as error:
        log.exception("Background analysis failed")
        return f"it failed unexpectedly ({type(error).__name__}); the error has been logged"
    return None


def _compute_in_child(database_url: str, recipe: Recipe) -> str | None:
    """The body of the child process: its own engine on the same database."""
    engine = make_engine(database_url)
    try:
        return _compute(engine, recipe)
    finally:
        engine.dispose()


class BackgroundAnalyses:
    """This process's side of the background analyses: claims, and one worker thread that
    runs the claimed ones one at a time (each in a fresh child process when
    ``processes``)."""

    def __init__(
        self,
        engine: Engine,
        worker: str,
        *,
        inline_events: int,
        database_url: str,
        processes: bool = True,
    ) -> None:
        self.engine = engine
        self.worker = worker
        self.inline_events = inline_events
        """Logs up to this many events are analysed within the request."""
        self._url = database_url
        self._processes = processes and ":memory:" not in database_url
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analysis")
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._running: set[tuple[int, str]] = set()

    def defer(self, log_id: int, key: str, recipe: Recipe, what: str = "The analysis") -> None:
        """Make sure the analysis is being computed somewhere, and say so.

        Raises:
            Computing: always, unless the last attempt failed (it is now claimed or
                running, here or in another process).
            InvalidRequest: the last attempt failed (reported once; the next call retries).
        """
        with self._lock, self.engine.begin() as connection:
            where = (_CLAIMS.c.log_id == log_id) & (_CLAIMS.c.key == key)
            at = now()
            claim = {
                "state": "running",
                "worker": self.worker,
                "heartbeat_at": at,
                "phase": "queued",
                "error": None,
                "created_at": at,
            }
            row = connection.execute(select(_CLAIMS).where(where)).first()
            won, failure = False, None
            if row is None:
                won = insert_ignore(
                    connection, AnalysisJob, {"log_id": log_id, "key": key, "attempts": 1, **claim}
                )
            elif row.state == "failed":
                gone = connection.execute(
                    delete(_CLAIMS).where(where & (_CLAIMS.c.state == "failed"))
                ).rowcount
                if gone:
                    failure = row.error or "it failed"
            elif (log_id, key) not in self._running:
                # compute again what was done but is no longer cached; take over a claim
                # whose process stopped beating (or this process's own that it no longer runs)
                won = bool(
                    connection.execute(
                        update(_CLAIMS)
                        .where(
                            where
                            & (
                                (_CLAIMS.c.state == "done")
                                | (
                                    (_CLAIMS.c.state == "running")
                                    & (
                                        (_CLAIMS.c.worker == self.worker)
                                        | (_CLAIMS.c.heartbeat_at < stale_before())
                                    )
                                )
                            )
                        )
                        .values(attempts=_CLAIMS.c.attempts + 1, **claim)
                    ).rowcount
                )
            if won:
                self._running.add((log_id, key))
                started, phase = at, "queued"
            else:
                current = connection.execute(select(_CLAIMS).where(where)).first()
                started = current.created_at if current is not None else at
                phase = current.phase if current is not None else "queued"
        if failure is not None:  # the claim is gone (committed): the next request retries
            raise InvalidRequest(f"{what} of event log {log_id} could not be made: {failure}")
        if won:
            self._executor.submit(self._run, log_id, key, recipe, what)
        raise Computing(what, phase, started)

    def running(self, log_id: int, key: str) -> bool:
        """Whether this process computes that analysis now."""
        with self._lock:
            return (log_id, key) in self._running

    def _set(self, log_id: int, key: str, **values: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(_CLAIMS)
                .where(
                    (_CLAIMS.c.log_id == log_id)
                    & (_CLAIMS.c.key == key)
                    & (_CLAIMS.c.worker == self.worker)
                )
                .values(**values)
            )

    def _in_child(self, recipe: Recipe) -> str | None:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                max_tasks_per_child=1,  # a fresh process each time: its memory goes with it
            )
        try:
            return self._pool.submit(_compute_in_child, self._url, recipe).result()
        except BrokenProcessPool:
            self._pool = None
            log.error("The process computing an analysis stopped (out of memory?)")
            return "the process computing it stopped unexpectedly (out of memory?)"

    def _run(self, log_id: int, key: str, recipe: Recipe, what: str) -> None:
        log.info("Computing %s of event log %d in the background", what.lower(), log_id)
        try:
            self._set(log_id, key, phase="computing", heartbeat_at=now())
            error = self._in_child(recipe) if self._processes else _compute(self.engine, recipe)
            with self.engine.begin() as connection:
                where = (
                    (_CLAIMS.c.log_id == log_id)
                    & (_CLAIMS.c.key == key)
                    & (_CLAIMS.c.worker == self.worker)
                )
                if error is None:  # kept as the record of who computed it
                    connection.execute(
                        update(_CLAIMS).where(where).values(state="done", phase="done")
                    )
                else:
                    connection.execute(
                        update(_CLAIMS)
                        .where(where)
                        .values(state="failed", phase="failed", error=error)
                    )
        except Exception:
            log.exception("Background analysis %s of log %d failed", key[:12], log_id)
        finally:
            with self._lock:
                self._running.discard((log_id, key))

    def shutdown(self) -> None:
        """Stop taking work and wait for the running analysis."""
        self._executor.shutdown(wait=True, cancel_futures=True)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
