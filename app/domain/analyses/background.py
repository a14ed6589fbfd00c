"""Analyses too slow for a request (pm4py's inductive miner on a large log), computed once
in a background thread and kept with the cached analyses."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine
from sqlmodel import Session

from app.db.engine import commit, session_scope

__all__ = ["BackgroundAnalyses"]

log = logging.getLogger("app")


class BackgroundAnalyses:
    """One worker thread that runs cached analyses by key; a key runs at most once at a
    time, and a failure is kept (with its sentence) until it is read."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analysis")
        self._lock = threading.Lock()
        self._running: set[str] = set()
        self._failed: dict[str, str] = {}

    def submit(self, key: str, compute: Callable[[Session], object]) -> None:
        """Start ``compute`` (which stores its result) unless that key is running."""
        with self._lock:
            if key in self._running:
                return
            self._running.add(key)
        self._executor.submit(self._run, key, compute)

    def running(self, key: str) -> bool:
        """Whether the analysis of that key is queued or running."""
        with self._lock:
            return key in self._running

    def take_failure(self, key: str) -> str | None:
        """The sentence of the last failure of that key, once (a new request retries)."""
        with self._lock:
            return self._failed.pop(key, None)

    def _run(self, key: str, compute: Callable[[Session], object]) -> None:
        try:
            with session_scope(self._engine) as session:
                compute(session)
                commit(session)
        except Exception as error:
            log.exception("Background analysis %s failed", key[:12])
            with self._lock:
                self._failed[key] = str(error) or type(error).__name__
        finally:
            with self._lock:
                self._running.discard(key)

    def shutdown(self) -> None:
        """Stop taking work and wait for the running analysis."""
        self._executor.shutdown(wait=True, cancel_futures=True)
