"""Flow tests: one Prefect test harness for the session, and a fresh office database per test."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from emergency.db import migrate
from emergency.db.session import make_engine
from emergency.receiver import Receiver, start_receiver
from flows._runtime import runtime

# Task bodies called through .fn run outside a flow run: their logs have no run to go to, which is expected here.
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A temporary Prefect server shared by every flow test (it costs ~10 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@pytest.fixture
def office_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[Path, Receiver]]:
    """An initialised SQLite office database, an output folder, and a district receiver on 127.0.0.1."""
    url = f"sqlite:///{tmp_path / 'office.db'}"
    migrate.upgrade(make_engine(url))
    secret = secrets.token_hex(16)
    receiver = start_receiver(tmp_path / "district", secret)
    monkeypatch.setenv("EMERGENCY_DATABASE_URL", url)
    monkeypatch.setenv("EMERGENCY_OUTPUT_DIR", str(tmp_path / "out"))
    monkeypatch.setenv("EMERGENCY_DISTRICT_WEBHOOK_URL", receiver.url)
    monkeypatch.setenv("EMERGENCY_DISTRICT_WEBHOOK_SECRET", secret)
    monkeypatch.delenv("EMERGENCY_NOW", raising=False)
    runtime.cache_clear()
    try:
        yield tmp_path, receiver
    finally:
        receiver.stop()
        runtime.cache_clear()
