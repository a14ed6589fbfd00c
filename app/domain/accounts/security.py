"""Who is asking, and may they: one middleware resolves the principal of every API
request (session cookie, bearer token or the anonymous role) and checks the CSRF token of
cookie requests that change something; one guard checks the permission of every route
(``opt={"permission": ...}``, by default ``read`` for GET and ``edit`` otherwise)."""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from typing import Any

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from app.db.engine import commit, session_scope
from app.domain.accounts import services
from app.domain.accounts.roles import WHO_MAY, Principal, may
from app.lib.actor import ACTOR
from app.lib.errors import Forbidden, TooManyAttempts, Unauthorized

__all__ = [
    "COOKIE",
    "CSRF_HEADER",
    "AuthMiddleware",
    "LoginThrottle",
    "permission_guard",
]

COOKIE = "handoff_session"
CSRF_HEADER = "x-csrf-token"
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_API = frozenset({"/api/auth/login"})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


class AuthMiddleware(ASGIMiddleware):
    """Sets ``scope["user"]`` to the request's Principal on every /api path but sign-in."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, anonymous_role: str | None) -> None:
        self.anonymous_role = anonymous_role

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        path = scope.get("path", "")
        if path.startswith("/api") and path not in PUBLIC_API:
            scope["user"] = await anyio.to_thread.run_sync(self._principal, scope)
            method = scope.get("method", "GET")
            user: Principal = scope["user"]
            ACTOR.set(user.username)
            if user.via == "session" and method not in SAFE:
                given = _header(scope, CSRF_HEADER.encode()) or ""
                if not secrets.compare_digest(given, user.csrf_token or "-"):
                    raise Forbidden(
                        "The request is missing its security token (CSRF); reload the page "
                        "and try again."
                    )
        await next_app(scope, receive, send)

    def _principal(self, scope: Scope) -> Principal:
        engine = scope["litestar_app"].state.engine
        authorization = _header(scope, b"authorization")
        cookie = _cookie(scope, COOKIE)
        with session_scope(engine) as session:
            if authorization:
                kind, _, secret = authorization.partition(" ")
                found = (
                    services.resolve_token(session, secret.strip())
                    if kind.lower() == "bearer"
                    else None
                )
                if found is None:
                    raise Unauthorized("The API token is not valid: unknown, revoked or expired.")
                commit(session)
                return found
            if cookie:
                settings = scope["litestar_app"].state.settings
                found = services.resolve_session(
                    session, cookie, settings.session_hours, settings.session_idle_minutes
                )
                commit(session)
                if found is not None:
                    return found
                if self.anonymous_role is None:
                    raise Unauthorized("Your session has ended; sign in again.")
        if self.anonymous_role is not None:
            return Principal(None, "anonymous", self.anonymous_role, via="anonymous")
        raise Unauthorized("Sign in to use Handoff (POST /api/auth/login, or an API token).")


def permission_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Refuse a request whose principal lacks the route's permission (401 without one)."""
    if not connection.scope.get("path", "").startswith("/api"):
        return
    method = connection.scope.get("method", "GET")
    permission = handler.opt.get("permission") or ("read" if method in SAFE else "edit")
    if permission == "public":
        return
    user = connection.scope.get("user")
    if not isinstance(user, Principal):
        raise Unauthorized("Sign in to use Handoff (POST /api/auth/login, or an API token).")
    if permission == "self":
        if user.account_id is None:
            raise Unauthorized("Sign in with your own account for this.")
        return
    if not may(user, permission):
        if user.via == "anonymous":
            raise Unauthorized("Sign in to do this: readers who are not signed in can only read.")
        raise Forbidden(f"Your role ({user.role}) may not do this: it takes {WHO_MAY[permission]}.")


class LoginThrottle:
    """At most ``limit`` failed sign-ins per client address and username in ``window``
    seconds; the same answer whether or not the username exists."""

    def __init__(self, limit: int = 5, window: float = 900.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def check(self, client: str, username: str) -> None:
        """Raise TooManyAttempts while the pair is throttled."""
        key, now = (client, username.lower()), time.monotonic()
        with self._lock:
            times = self._recent(key, now)
            if len(times) >= self.limit:
                wait = int(times[0] + self.window - now) // 60 + 1
                raise TooManyAttempts(
                    f"Too many failed sign-ins for this username; try again in {wait} minute(s)."
                )

    def failed(self, client: str, username: str) -> None:
        with self._lock:
            key = (client, username.lower())
            self._recent(key, time.monotonic()).append(time.monotonic())

    def succeeded(self, client: str, username: str) -> None:
        with self._lock:
            self._failures.pop((client, username.lower()), None)
