"""The clocks' engine leaves WAL checkpoints to a job of their own instead of the commit that crosses the limit."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from emergency.db.session import checkpoint_in_background, make_engine


def test_commits_do_not_checkpoint_and_the_returned_job_does(tmp_path: Path) -> None:
    """After the switch no connection auto-checkpoints; the WAL grows until the job copies it into the database."""
    engine = make_engine(f"sqlite:///{tmp_path / 'clocks.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x TEXT)"))
    checkpoint = checkpoint_in_background(engine)
    assert checkpoint is not None
    with engine.begin() as conn:
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
        for _ in range(3000):  # about 1,500 pages of WAL: past SQLite's default threshold of 1,000
            conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": "x" * 2000})
    database, wal = tmp_path / "clocks.db", tmp_path / "clocks.db-wal"
    assert wal.stat().st_size > 5_000_000 and database.stat().st_size < 100_000  # no commit copied the WAL over
    checkpoint()
    assert database.stat().st_size > 5_000_000  # the job did
    engine.dispose()


def test_other_databases_keep_their_own_checkpoints() -> None:
    """Only SQLite is switched: for other engines there is nothing to run."""
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert checkpoint_in_background(engine) is None
