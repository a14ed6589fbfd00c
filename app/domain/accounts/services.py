"""Accounts: create and change them, check passwords (Argon2id), open and end sessions,
issue and revoke API tokens. Secrets are kept only as hashes."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from pwdlib import PasswordHash
from sqlalchemy import delete
from sqlmodel import Session, col, func, select

from app.db.audit import note_change
from app.db.models import Account, AccountDepartment, ApiToken, Department, LoginSession
from app.domain.accounts.roles import ROLES, Principal
from app.domain.catalogue.lookups import department_by_key
from app.lib.errors import Conflict, InvalidRequest, NotFound, require

__all__ = [
    "LOCK_AFTER",
    "LOCK_MINUTES",
    "account_by_name",
    "account_public",
    "authenticate",
    "create_account",
    "delete_account",
    "end_session",
    "list_accounts",
    "list_tokens",
    "new_session",
    "new_token",
    "principal_of",
    "resolve_session",
    "resolve_token",
    "revoke_token",
    "update_account",
]

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
MIN_PASSWORD = 10
LOCK_AFTER = 10
"""Failed passwords in a row before an account is locked for ``LOCK_MINUTES``."""
LOCK_MINUTES = 15
TOKEN_PREFIX = "hnd_"
MAX_TOKEN_DAYS = 3650
"""The longest lifetime a token may be given (ten years); without one it never expires."""
TOKEN_USE_PRECISION = timedelta(minutes=1)
"""How stale a token's ``last_used_at`` may get before a request records it again."""


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()  # Argon2id


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against when the username is unknown, so that the answer takes
    as long as for a real account (no user enumeration by timing)."""
    return _hasher().hash(secrets.token_urlsafe(16))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes for timezone columns: they are UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidRequest(f"A password needs at least {MIN_PASSWORD} characters.")
    if len(password) > 1024:
        raise InvalidRequest("A password may have at most 1,024 characters.")


def _departments(session: Session, keys: list[str]) -> list[Department]:
    return [department_by_key(session, key) for key in keys]


def _check_role(role: str, departments: list[Department]) -> None:
    if role not in ROLES:
        raise InvalidRequest(f"The role is one of {', '.join(ROLES)}, not {role!r}.")
    if role == "branch-lead" and not departments:
        raise InvalidRequest("A branch lead answers for at least one department: name it.")


def _set_departments(session: Session, account: Account, departments: list[Department]) -> None:
    assert account.id is not None
    before = sorted(department_names(session, account.id))
    session.execute(
        delete(AccountDepartment).where(col(AccountDepartment.account_id) == account.id)
    )
    for department in departments:
        assert department.id is not None
        session.add(AccountDepartment(account_id=account.id, department_id=department.id))
    after = sorted(d.name for d in departments)
    note_change(session, account, {"departments": before}, {"departments": after})


def department_names(session: Session, account_id: int) -> tuple[str, ...]:
    """The departments a branch lead answers for, by name."""
    rows = session.exec(
        select(Department.name)
        .join(AccountDepartment, col(AccountDepartment.department_id) == col(Department.id))
        .where(col(AccountDepartment.account_id) == account_id)
        .order_by(Department.name)
    ).all()
    return tuple(rows)


def account_public(session: Session, account: Account) -> dict[str, Any]:
    """An account as the API shows it (never its hash)."""
    assert account.id is not None
    return {
        "id": account.id,
        "username": account.username,
        "role": account.role,
        "departments": list(department_names(session, account.id)),
        "active": account.active,
        "created_at": account.created_at,
        "last_login_at": account.last_login_at,
    }


def create_account(
    session: Session, username: str, password: str, role: str, departments: list[str]
) -> Account:
    """A new account.

    Raises:
        InvalidRequest: a bad username, a short password, an unknown role, a branch lead
            without department.
        NotFound: an unknown department.
        Conflict: the username is taken.
    """
    if not USERNAME.match(username):
        raise InvalidRequest(
            "A username is 1 to 100 letters, digits, dots, dashes, underscores or @, "
            f"not {username!r}."
        )
    _check_password(password)
    chosen = _departments(session, departments)
    _check_role(role, chosen)
    if _by_name(session, username) is not None:
        raise Conflict(f"The username {username!r} is taken.")
    account = Account(username=username, password_hash=_hasher().hash(password), role=role)
    session.add(account)
    session.flush()
    _set_departments(session, account, chosen)
    session.flush()
    return account


def _by_name(session: Session, username: str) -> Account | None:
    return session.exec(
        select(Account).where(func.lower(col(Account.username)) == username.lower())
    ).first()


def account_by_name(session: Session, username: str) -> Account:
    """An account by username (ignoring case).

    Raises:
        NotFound: no account has that username.
    """
    return require(_by_name(session, username), f"There is no account {username!r}.")


def get_account(session: Session, account_id: int) -> Account:
    """An account by id."""
    return require(session.get(Account, account_id), f"There is no account {account_id}.")


def list_accounts(session: Session) -> list[Account]:
    """Every account, by username."""
    return list(session.exec(select(Account).order_by(col(Account.username))).all())


def update_account(session: Session, account_id: int, changes: dict[str, Any]) -> Account:
    """Change role, departments, password or whether an account is active; changing the
    password or deactivating ends its sessions."""
    account = get_account(session, account_id)
    departments = (
        _departments(session, changes["departments"])
        if changes.get("departments") is not None
        else [department_by_key(session, name) for name in department_names(session, account_id)]
    )
    role = changes.get("role") or account.role
    _check_role(role, departments)
    account.role = role
    _set_departments(session, account, departments)
    if changes.get("password") is not None:
        _check_password(changes["password"])
        account.password_hash = _hasher().hash(changes["password"])
        account.failed_logins, account.locked_until = 0, None
        _end_all_sessions(session, account_id)
    if changes.get("active") is not None:
        account.active = bool(changes["active"])
        if not account.active:
            _end_all_sessions(session, account_id)
    session.add(account)
    session.flush()
    return account


def delete_account(session: Session, account_id: int) -> None:
    """Delete an account with its sessions and tokens."""
    session.delete(get_account(session, account_id))
    session.flush()


def authenticate(session: Session, username: str, password: str) -> Account | None:
    """The account if the password is right and it may sign in; None otherwise (the
    same answer and about the same time whether or not the username exists)."""
    account = _by_name(session, username)
    if account is None:
        _hasher().verify(password, _dummy_hash())
        return None
    right = _hasher().verify(password, account.password_hash)
    locked = (_aware(account.locked_until) or _now()) > _now()
    if not right or locked or not account.active:
        if not right:
            account.failed_logins += 1
            if account.failed_logins >= LOCK_AFTER:
                account.locked_until = _now() + timedelta(minutes=LOCK_MINUTES)
                account.failed_logins = 0
        session.add(account)
        session.flush()
        return None
    account.failed_logins, account.locked_until = 0, None
    account.last_login_at = _now()
    session.add(account)
    session.flush()
    return account


def new_session(
    session: Session, account: Account, hours: float, idle_minutes: float | None = None
) -> tuple[str, str]:
    """A new session (a fresh id at every sign-in): the cookie value and CSRF token. It
    ends ``hours`` after sign-in or, with ``idle_minutes``, that long after its last use
    if sooner (``resolve_session`` moves that deadline on)."""
    assert account.id is not None
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    now = _now()
    session.add(
        LoginSession(
            id_hash=_digest(token),
            account_id=account.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=_session_end(now, now, hours, idle_minutes),
        )
    )
    session.flush()
    return token, csrf


def principal_of(session: Session, account: Account, via: str, csrf: str | None) -> Principal:
    assert account.id is not None
    return Principal(
        account_id=account.id,
        username=account.username,
        role=account.role,
        departments=department_names(session, account.id),
        via=via,
        csrf_token=csrf,
    )


def _session_end(
    created: datetime, used: datetime, hours: float, idle_minutes: float | None
) -> datetime:
    """``hours`` after sign-in, or ``idle_minutes`` after the last use if sooner."""
    end = created + timedelta(hours=hours)
    return min(end, used + timedelta(minutes=idle_minutes)) if idle_minutes else end


def resolve_session(
    session: Session, token: str, hours: float = 12.0, idle_minutes: float | None = None
) -> Principal | None:
    """Who a session cookie belongs to, if it is still valid. With ``idle_minutes``, a
    use moves the session's end on (never past ``hours`` after sign-in); the move is
    written at most once a minute, not on every request."""
    row = session.get(LoginSession, _digest(token))
    if row is None:
        return None
    account = session.get(Account, row.account_id)
    expires = _aware(row.expires_at)
    if account is None or not account.active or expires is None or expires <= _now():
        session.delete(row)
        session.flush()
        return None
    created = _aware(row.created_at)
    if idle_minutes and created is not None:
        end = _session_end(created, _now(), hours, idle_minutes)
        # moved on at most every quarter of the idle time (a minute at most), and pulled
        # in at once when the end is further than the idle time allows (a session made
        # before idle ends were set, or lowered)
        step = min(TOKEN_USE_PRECISION, timedelta(minutes=idle_minutes) / 4)
        if end - expires > step or expires > end:
            row.expires_at = end
            session.add(row)
    return principal_of(session, account, "session", row.csrf_token)


def end_session(session: Session, token: str) -> None:
    """Sign out: the session cookie stops working."""
    row = session.get(LoginSession, _digest(token))
    if row is not None:
        session.delete(row)
        session.flush()


def _end_all_sessions(session: Session, account_id: int) -> None:
    session.execute(delete(LoginSession).where(col(LoginSession.account_id) == account_id))


def new_token(
    session: Session, account: Account, name: str, days: float | None
) -> tuple[ApiToken, str]:
    """An API token for scripts; the token itself is shown once and kept as a hash."""
    assert account.id is not None
    if not name.strip() or len(name) > 100:
        raise InvalidRequest("Name the token (1 to 100 characters), e.g. 'nightly import'.")
    if days is not None and not 0 < days <= MAX_TOKEN_DAYS:
        # 0 must not read as "never": a token asked to last no time would last for ever
        raise InvalidRequest(
            f"A token lives more than 0 and at most {MAX_TOKEN_DAYS:,} days, not {days:g}."
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        account_id=account.id,
        name=name.strip(),
        token_hash=_digest(secret),
        expires_at=_now() + timedelta(days=days) if days is not None else None,
    )
    session.add(row)
    session.flush()
    return row, secret


def resolve_token(session: Session, secret: str) -> Principal | None:
    """Who an API token belongs to, if it is neither revoked nor expired."""
    row = session.exec(select(ApiToken).where(col(ApiToken.token_hash) == _digest(secret))).first()
    if row is None or row.revoked_at is not None:
        return None
    expires = _aware(row.expires_at)
    if expires is not None and expires <= _now():
        return None
    account = session.get(Account, row.account_id)
    if account is None or not account.active:
        return None
    last = _aware(row.last_used_at)
    if last is None or _now() - last > TOKEN_USE_PRECISION:
        # not a write per request: the time of use is kept to the minute
        row.last_used_at = _now()
        session.add(row)
    return principal_of(session, account, "token", None)


def list_tokens(session: Session, account_id: int) -> list[ApiToken]:
    """An account's tokens, newest first (hashes never leave the database)."""
    return list(
        session.exec(
            select(ApiToken)
            .where(col(ApiToken.account_id) == account_id)
            .order_by(col(ApiToken.id).desc())
        ).all()
    )


def revoke_token(session: Session, account_id: int, token_id: int) -> None:
    """Revoke one of an account's tokens.

    Raises:
        NotFound: the account has no such token.
    """
    row = session.get(ApiToken, token_id)
    if row is None or row.account_id != account_id:
        raise NotFound(f"You have no API token {token_id}.")
    row.revoked_at = row.revoked_at or _now()
    session.add(row)
    session.flush()
