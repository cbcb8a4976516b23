"""Shared fixtures: a database on each backend (SQLite always, PostgreSQL when EMERGENCY_TEST_POSTGRES_URL is set),
its engine and sessions with the schema made by Alembic, the default rules, and the real console script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from emergency.db import migrate
from emergency.db.session import make_engine, make_session_factory
from emergency.plans.loader import load_rules
from emergency.plans.rules import ReportingRules

POSTGRES_ENV = "EMERGENCY_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgresql"]


def postgres_url() -> str | None:
    """Return the test PostgreSQL URL as a psycopg 3 SQLAlchemy URL, or None when none is configured."""
    raw = os.environ.get(POSTGRES_ENV, "").strip()
    if not raw:
        return None
    url = make_url(raw)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:  # parallel workers (pytest -n): one database each, since each test wipes its schema
        base = url.render_as_string(hide_password=False)
        url = url.set(database=f"{url.database}_{worker}")
        _create_database(base, url.database or "")
    return url.render_as_string(hide_password=False)


_created: set[str] = set()


def _create_database(base_url: str, name: str) -> None:
    """Create database *name* on the server of *base_url* unless it exists (once per process)."""
    if name in _created:
        return
    admin = create_engine(base_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar() is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    _created.add(name)


def _reset_postgres(url: str) -> None:
    """Give the next test an empty `public` schema (tables, types and alembic_version all gone)."""
    admin = create_engine(url, poolclass=NullPool)
    try:
        with admin.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '30s'"))  # fail, not hang, if a connection was left open
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the database backend under test."""
    name: str = request.param
    if name == "postgresql" and postgres_url() is None:
        pytest.skip(f"PostgreSQL not configured ({POSTGRES_ENV} is unset)")
    return name


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> str:
    """An empty database on the backend under test: a fresh SQLite file, or a clean PostgreSQL schema."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'emergency.db'}"
    url = postgres_url()
    assert url is not None
    _reset_postgres(url)
    return url


@pytest.fixture
def bare_engine(database_url: str) -> Iterator[Engine]:
    """An engine on the empty database, no schema yet."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(bare_engine: Engine) -> Engine:
    """An engine on a database whose schema Alembic created (`emergency init`'s path, not create_all)."""
    migrate.upgrade(bare_engine)
    return bare_engine


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """The project's session factory on the migrated database."""
    return make_session_factory(engine)


@pytest.fixture(scope="session")
def rules() -> ReportingRules:
    """The default reporting rules shipped in plans/."""
    return load_rules()


class CliResult(NamedTuple):
    """What one run of the console script returned and printed."""

    code: int
    stdout: str
    stderr: str


CliRunner = Callable[..., CliResult]


def console_script() -> str:
    """Return the path of the installed `emergency` console script of this interpreter's environment."""
    beside = Path(sys.executable).with_name("emergency")
    if beside.exists():
        return str(beside)
    found = shutil.which("emergency")
    if found is None:
        pytest.fail("the `emergency` console script is not installed (pip install -e '.[dev]')")
    return found


@pytest.fixture
def cli(database_url: str, tmp_path: Path) -> CliRunner:
    """Run `emergency ARGS` as a subprocess on the test database; `now=` sets EMERGENCY_NOW for that call."""
    script = console_script()
    workdir = tmp_path / "cwd"
    workdir.mkdir(exist_ok=True)

    def run(*args: str | Path, now: str | None = None, env: dict[str, str] | None = None) -> CliResult:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("EMERGENCY_")}
        environ["EMERGENCY_DATABASE_URL"] = database_url
        environ["COLUMNS"] = "200"
        if now is not None:
            environ["EMERGENCY_NOW"] = now
        environ.update(env or {})
        done = subprocess.run([script, *map(str, args)], cwd=workdir, env=environ, capture_output=True,
                              stdin=subprocess.DEVNULL, timeout=300, check=False)
        return CliResult(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))

    return run
