"""Engines, session factories and the unit of work."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout so concurrent writers wait."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and url.count("/") >= 3:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def checkpoint_in_background(engine: Engine) -> Callable[[], None] | None:
    """On SQLite, keep this engine's commits from checkpointing the WAL; return the checkpoint to run instead.

    A commit that crosses SQLite's auto-checkpoint threshold (1,000 pages) copies the WAL into the database and
    syncs it to disk; on a busy disk that stalled the deadline clocks' commits for up to a second and more
    (`bench.clocks`: p99 0.17 s with the database on disk against 0.05 s on tmpfs). The clocks run the returned
    function every second from their own connection instead: a PASSIVE checkpoint lets writers go on appending
    to the WAL meanwhile. Other processes keep SQLite's default. Returns None for other databases.
    """
    if engine.dialect.name != "sqlite":
        return None

    @event.listens_for(engine, "connect")
    def _no_autocheckpoint(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")

    engine.dispose()  # connections already pooled were opened with the default

    def checkpoint() -> None:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    return checkpoint


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back everything on any error."""
    with factory.begin() as session:
        yield session
