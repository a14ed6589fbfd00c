"""Sign-in, sign-out, one's own API tokens, and account management (CONTRACT section 5)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import Cookie, State
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from pydantic import BaseModel, Field

from app.db.engine import commit
from app.domain.accounts import services
from app.domain.accounts.roles import Principal
from app.domain.accounts.security import COOKIE
from app.domain.deps import DbSession, IdPath
from app.lib.errors import Unauthorized
from app.lib.times import UtcDatetime

__all__ = ["AuthController", "UserController"]

Role = Literal["admin", "analyst", "branch-lead", "reviewer", "viewer"]
Password = Annotated[str, Field(min_length=1, max_length=1024)]


class Login(BaseModel):
    """A username and password."""

    username: str = Field(min_length=1, max_length=100)
    password: Password


class TokenRequest(BaseModel):
    """A name for the token and, optionally, how many days it lives."""

    name: str = Field(min_length=1, max_length=100)
    expires_days: float | None = Field(default=None, gt=0, le=3650)


class AccountCreate(BaseModel):
    """A new account."""

    username: str = Field(min_length=1, max_length=100)
    password: Password
    role: Role
    departments: list[str] = Field(default_factory=list)


class AccountPublic(BaseModel):
    """An account as the API shows it (never its password hash)."""

    id: int
    username: str
    role: str
    departments: list[str]
    active: bool
    created_at: UtcDatetime
    last_login_at: UtcDatetime | None


class TokenPublic(BaseModel):
    """One of one's API tokens (never its secret, nor its hash)."""

    id: int
    name: str
    created_at: UtcDatetime
    expires_at: UtcDatetime | None
    last_used_at: UtcDatetime | None
    revoked_at: UtcDatetime | None


class TokenCreated(TokenPublic):
    """A new token, with its secret: shown in this answer only."""

    token: str


class AccountUpdate(BaseModel):
    """Changes to an account; omitted fields stay as they are."""

    role: Role | None = None
    departments: list[str] | None = None
    password: Password | None = None
    active: bool | None = None


def _me(user: Principal) -> dict[str, Any]:
    return {
        "username": user.username,
        "role": user.role,
        "departments": list(user.departments),
        "signed_in": user.via != "anonymous",
        "via": user.via,
        "csrf_token": user.csrf_token,
    }


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "-"


class AuthController(Controller):
    """Sessions for the web UI and tokens for scripts."""

    path = "/api/auth"
    tags = ["accounts"]

    @post("/login", sync_to_thread=True, status_code=200, opt={"permission": "public"})
    def login(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        state: State,
        data: JSONBody[Login],
    ) -> Response[dict[str, Any]]:
        """Sign in: a new session cookie (HttpOnly, SameSite=Strict) and its CSRF token."""
        client = _client(request)
        state.login_throttle.check(client, data.username)
        account = services.authenticate(session, data.username, data.password)
        if account is None:
            commit(session)  # the failed attempt is counted
            state.login_throttle.failed(client, data.username)
            raise Unauthorized("Wrong username or password.")
        state.login_throttle.succeeded(client, data.username)
        settings = state.settings
        token, csrf = services.new_session(
            session, account, settings.session_hours, settings.session_idle_minutes
        )
        me = _me(services.principal_of(session, account, "session", csrf))
        commit(session)
        secure = state.settings.secure_cookies or request.url.scheme == "https"
        cookie = Cookie(
            key=COOKIE,
            value=token,
            httponly=True,
            samesite="strict",
            secure=secure,
            path="/",
            max_age=int(state.settings.session_hours * 3600),
        )
        return Response(me, cookies=[cookie])

    @post("/logout", sync_to_thread=True, status_code=200, opt={"permission": "read"})
    def logout(
        self, request: Request[Any, Any, Any], session: DbSession
    ) -> Response[dict[str, Any]]:
        """Sign out: the session ends on the server and the cookie is cleared."""
        token = request.cookies.get(COOKIE)
        if token:
            services.end_session(session, token)
            commit(session)
        return Response(
            {"signed_in": False}, cookies=[Cookie(key=COOKIE, value="", max_age=0, path="/")]
        )

    @get("/me", sync_to_thread=False)
    def me(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        """Who is signed in, with the CSRF token forms must send (X-CSRF-Token)."""
        return _me(request.scope["user"])

    @get("/tokens", sync_to_thread=True, opt={"permission": "self"})
    def tokens(self, request: Request[Any, Any, Any], session: DbSession) -> list[TokenPublic]:
        """One's API tokens (never the secrets)."""
        user: Principal = request.scope["user"]
        assert user.account_id is not None
        return [
            TokenPublic.model_validate(t, from_attributes=True)
            for t in services.list_tokens(session, user.account_id)
        ]

    @post("/tokens", sync_to_thread=True, status_code=HTTP_201_CREATED, opt={"permission": "self"})
    def create_token(
        self, request: Request[Any, Any, Any], session: DbSession, data: JSONBody[TokenRequest]
    ) -> TokenCreated:
        """A new API token for scripts: the secret is shown once, in this answer."""
        user: Principal = request.scope["user"]
        assert user.account_id is not None
        account = services.get_account(session, user.account_id)
        row, secret = services.new_token(session, account, data.name, data.expires_days)
        commit(session)
        public = TokenPublic.model_validate(row, from_attributes=True)
        return TokenCreated(**public.model_dump(), token=secret)

    @delete(
        "/tokens/{token_id:int}",
        sync_to_thread=True,
        status_code=HTTP_204_NO_CONTENT,
        opt={"permission": "self"},
    )
    def revoke_token(
        self, request: Request[Any, Any, Any], session: DbSession, token_id: IdPath
    ) -> None:
        """Revoke one of one's API tokens."""
        user: Principal = request.scope["user"]
        assert user.account_id is not None
        services.revoke_token(session, user.account_id, token_id)
        commit(session)


class UserController(Controller):
    """Accounts, for admins."""

    path = "/api/users"
    tags = ["accounts"]
    opt = {"permission": "users"}

    @get("/", sync_to_thread=True)
    def list_users(self, session: DbSession) -> list[AccountPublic]:
        """Every account with its role and departments."""
        return [
            AccountPublic.model_validate(services.account_public(session, a))
            for a in services.list_accounts(session)
        ]

    @post("/", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def create_user(self, session: DbSession, data: JSONBody[AccountCreate]) -> AccountPublic:
        """Create an account."""
        account = services.create_account(
            session, data.username, data.password, data.role, data.departments
        )
        public = AccountPublic.model_validate(services.account_public(session, account))
        commit(session)
        return public

    @patch("/{account_id:int}", sync_to_thread=True)
    def update_user(
        self, session: DbSession, account_id: IdPath, data: JSONBody[AccountUpdate]
    ) -> AccountPublic:
        """Change role, departments, password or whether the account is active."""
        account = services.update_account(session, account_id, data.model_dump(exclude_unset=True))
        public = AccountPublic.model_validate(services.account_public(session, account))
        commit(session)
        return public

    @delete("/{account_id:int}", sync_to_thread=True, status_code=HTTP_204_NO_CONTENT)
    def delete_user(self, session: DbSession, account_id: IdPath) -> None:
        """Delete an account with its sessions and tokens."""
        services.delete_account(session, account_id)
        commit(session)
