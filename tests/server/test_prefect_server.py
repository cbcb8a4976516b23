"""A real `prefect server start` on 127.0.0.1 with PostgreSQL: serve the deployments, trigger them through the API."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from emergency.clock import CN_TZ
from emergency.db import migrate
from emergency.db.models import OutboxRow, ReportRow
from emergency.db.session import make_engine, make_session_factory
from emergency.domain.enums import Category
from emergency.plans.loader import load_rules
from emergency.receiver import start_receiver
from emergency.services.incidents import NewFacts, NewIncident, get_office, open_incident, record_facts
from tests.conftest import postgres_url

pytestmark = pytest.mark.slow
OFFICE = "长春市绿园区正阳街道办事处"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(check: object, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def prefect_database() -> Iterator[str]:
    """A throwaway PostgreSQL database for the Prefect server itself."""
    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL not configured (EMERGENCY_TEST_POSTGRES_URL is unset)")
    name = f"prefect_{secrets.token_hex(4)}"
    admin = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_served_deployments_run_through_the_api(prefect_database: str, tmp_path: Path) -> None:
    """The response and sign-off deployments, triggered through a real server's API, write documents and outbox rows."""
    office_url = postgres_url()
    assert office_url is not None
    with create_engine(office_url, poolclass=NullPool).begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine = make_engine(office_url)
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    rules = load_rules()
    known = datetime(2026, 3, 1, 8, 20, tzinfo=CN_TZ)
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        row = open_incident(session, rules=rules, office=office, now=known, data=NewIncident(
            id="E1", category=Category.ACCIDENT, type="gas_explosion", title="万福街某餐馆燃气爆炸",
            location="万福街87号", occurred_at=datetime(2026, 3, 1, 8, 10, tzinfo=CN_TZ), known_at=known))
        record_facts(session, incident=row, now=known, data=NewFacts(as_of=known, deaths=0, injuries=2))

    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    secret = secrets.token_hex(16)
    receiver = start_receiver(tmp_path / "district", secret)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("EMERGENCY_", "PREFECT_"))}
    prefect_env = {**base, "PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                   "PREFECT_API_DATABASE_CONNECTION_URL": prefect_database, "PREFECT_UI_ENABLED": "false",
                   "PREFECT_SERVER_LOGGING_LEVEL": "WARNING"}
    server_log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen([str(Path(sys.executable).with_name("prefect")), "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], env=prefect_env, stdout=server_log, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL)
    serve: subprocess.Popen[bytes] | None = None
    try:
        wait_for(lambda: requests.get(f"{api}/health", timeout=2).ok, "the Prefect server")
        office_env = {**prefect_env, "PREFECT_API_URL": api, "EMERGENCY_DATABASE_URL": office_url,
                      "EMERGENCY_OUTPUT_DIR": str(tmp_path / "out"), "EMERGENCY_DISTRICT_WEBHOOK_URL": receiver.url,
                      "EMERGENCY_DISTRICT_WEBHOOK_SECRET": secret}
        serve_log = (tmp_path / "serve.log").open("wb")
        serve = subprocess.Popen([str(Path(sys.executable).with_name("emergency")), "serve"], env=office_env,
                                 stdout=serve_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=tmp_path)

        def deployment_id(name: str) -> str | None:
            answer = requests.get(f"{api}/deployments/name/{name}", timeout=5)
            return answer.json()["id"] if answer.ok else None

        wait_for(lambda: deployment_id("incident-response/response") and deployment_id("report-signoff/signoff"),
                 "the served deployments")

        def run(name: str, parameters: dict[str, object]) -> dict[str, object]:
            created = requests.post(f"{api}/deployments/{deployment_id(name)}/create_flow_run",
                                    json={"parameters": parameters}, timeout=10)
            created.raise_for_status()
            run_id = created.json()["id"]
            final: dict[str, object] = {}

            def finished() -> bool:
                state = requests.get(f"{api}/flow_runs/{run_id}", timeout=5).json()["state"]
                final.update(state)
                return bool(state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"))

            wait_for(finished, f"flow run of {name}", timeout=120)
            assert final["type"] == "COMPLETED", (final, (tmp_path / "serve.log").read_text(errors="replace")[-3000:])
            return final

        run("incident-response/response", {"incident": "E1", "as_of": "2026-03-01T08:30:00+08:00"})
        run("report-signoff/signoff", {"draft": 1, "signer": "张伟", "as_of": "2026-03-01T09:00:00+08:00"})
        assert (tmp_path / "out" / "E1-R1-initial.docx").exists()
        with sessions.begin() as session:
            [report] = session.scalars(select(ReportRow)).all()
            assert (report.kind, report.channel) == ("initial", "platform")
            rows = session.scalars(select(OutboxRow).order_by(OutboxRow.id)).all()
            assert [(r.channel, r.status) for r in rows] == [("district_webhook", "acknowledged"),
                                                             ("district_drop", "sent")]
        assert len(receiver.received()) == 1
    finally:
        if serve is not None:
            stop(serve)  # serve first: stopping the server under it makes it hang
        stop(server)
        receiver.stop()
        engine.dispose()
