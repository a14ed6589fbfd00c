"""Fixtures: settings and clients on SQLite and on a real PostgreSQL started here."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine

from app.asgi import create_app
from app.config import Settings
from app.db.engine import open_database
from tests import postgres

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
_names = itertools.count()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[postgres.Cluster]:
    """One PostgreSQL cluster for the whole run."""
    if not postgres.available():
        if os.environ.get("HANDOFF_REQUIRE_POSTGRES") or os.environ.get("CI"):
            pytest.fail(f"PostgreSQL 15 binaries not found under {postgres.PG_BIN}.")
        pytest.skip(f"PostgreSQL 15 binaries not found under {postgres.PG_BIN}")
    cluster = postgres.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_template(pg_cluster: postgres.Cluster) -> str:
    """A database migrated once; each test gets a copy (much faster than migrating each)."""
    name = f"handoff_template_{os.getpid()}"
    admin = f"host={pg_cluster.host} port={pg_cluster.port} user={pg_cluster.user} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://{pg_cluster.user}@{pg_cluster.host}:{pg_cluster.port}/{name}"
    engine = open_database(Settings(database_url=url))
    engine.dispose()
    return name


def _postgres_database(cluster: postgres.Cluster, template: str) -> Iterator[str]:
    name = f"handoff_test_{os.getpid()}_{next(_names)}"
    admin = f"host={cluster.host} port={cluster.port} user={cluster.user} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield f"postgresql+psycopg://{cluster.user}@{cluster.host}:{cluster.port}/{name}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.sqlite),
        pytest.param("postgresql", marks=pytest.mark.postgresql),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new database on the test cluster."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'handoff.sqlite3'}"
    else:
        yield from _postgres_database(
            request.getfixturevalue("pg_cluster"), request.getfixturevalue("pg_template")
        )


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for an empty catalogue (no samples loaded)."""
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        load_samples=False,
        samples_dir=ROOT / "processes",
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """A migrated engine on the test database."""
    engine = open_database(settings)
    yield engine
    engine.dispose()


@pytest.fixture
def app(settings: Settings) -> Litestar:
    """The web service for the test database."""
    return create_app(settings)


def bearer(app: Litestar, username: str, role: str, departments: list[str] | None = None) -> str:
    """An account with that role and an API token for it, made straight in the database."""
    from app.db.engine import commit, session_scope
    from app.domain.accounts import services

    with session_scope(app.state.engine) as session:
        account = services.create_account(
            session, username, "a long test password", role, departments or []
        )
        _, token = services.new_token(session, account, "tests", None)
        commit(session)
    return token


@contextmanager
def signed_in(app: Litestar, role: str = "admin") -> Iterator[TestClient[Litestar]]:
    """A test client with the app started, signed in through the API token of a new
    account with that role."""
    with TestClient(app=app) as client:
        name = f"test-{role}-{uuid.uuid4().hex[:8]}"
        client.headers["Authorization"] = f"Bearer {bearer(app, name, role)}"
        yield client


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    """A test client with the app started (migrations applied), signed in as an admin
    through an API token."""
    with signed_in(app) as client:
        yield client


@pytest.fixture
def anonymous(app: Litestar) -> Iterator[TestClient[Litestar]]:
    """A test client with the app started and no credentials."""
    with TestClient(app=app) as client:
        yield client
