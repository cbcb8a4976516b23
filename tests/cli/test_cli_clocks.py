"""The clocks as a user runs them: `emergency clocks` killed with SIGKILL and restarted, and `emergency status`."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from emergency.db.models import ClockEventRow, ObligationRow
from emergency.db.session import make_engine, make_session_factory
from tests.cli.helpers import EMERGENCY, run_cli

pytestmark = pytest.mark.slow


def test_kill_9_then_restart_flags_each_missed_deadline_once(tmp_path: Path) -> None:
    """Deadlines that pass while the clock process is dead (SIGKILL) are flagged on restart, none twice."""
    url = f"sqlite:///{tmp_path / 'office.db'}"
    assert run_cli(["init"], database_url=url, cwd=tmp_path).code == 0
    sessions = make_session_factory(make_engine(url))
    start = datetime.now(UTC)
    with sessions.begin() as session:
        for n in range(20):
            session.add(ObligationRow(key=f"k{n}", subject="report", incident_id=None, kind="initial/phone",
                                      label="电话首报", due_at=start + timedelta(seconds=3 + n * 0.1),
                                      rule="initial.phone.general", source="test", status="open", created_at=start,
                                      updated_at=start, drill=False))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMERGENCY_", "PREFECT_"))}
    env["EMERGENCY_DATABASE_URL"] = url

    def spawn() -> subprocess.Popen[bytes]:
        return subprocess.Popen([EMERGENCY, "clocks"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)

    first = spawn()
    time.sleep(1.0)
    first.send_signal(signal.SIGKILL)  # dies before any deadline
    first.wait()
    while datetime.now(UTC) < start + timedelta(seconds=6):  # every deadline passes while nothing runs
        time.sleep(0.5)

    def breaches() -> int:
        with sessions.begin() as session:
            return session.scalar(select(func.count()).select_from(ClockEventRow)
                                  .where(ClockEventRow.step == "breach")) or 0

    assert breaches() == 0
    second = spawn()
    deadline = time.monotonic() + 20
    while breaches() < 20 and time.monotonic() < deadline:
        time.sleep(0.2)
    second.send_signal(signal.SIGKILL)
    second.wait()
    third = spawn()  # and once more: nothing is flagged twice
    time.sleep(2.0)
    third.terminate()
    _out, err = third.communicate(timeout=20)
    assert breaches() == 20
    with sessions.begin() as session:
        assert set(session.scalars(select(ObligationRow.status))) == {"breached"}
        per_step = session.execute(select(ClockEventRow.obligation_id, ClockEventRow.step, func.count())
                                   .group_by(ClockEventRow.obligation_id, ClockEventRow.step)).all()
        assert all(count == 1 for _o, _s, count in per_step)
    assert b"Traceback" not in err


def test_status_shows_countdowns_and_overdue(tmp_path: Path) -> None:
    """`emergency status` lists what is due next with its countdown, and what is overdue."""
    url = f"sqlite:///{tmp_path / 'office.db'}"
    now = "2026-03-01T09:00:00+08:00"
    assert run_cli(["init"], database_url=url, cwd=tmp_path).code == 0
    opened = run_cli(["incident", "open", "--id", "E1", "--category", "accident", "--type", "gas_explosion", "--title",
                      "燃气爆炸", "--location", "万福街", "--occurred-at", "2026-03-01T08:10:00+08:00", "--known-at",
                      "2026-03-01T08:20:00+08:00"], database_url=url, cwd=tmp_path, now=now)
    assert opened.code == 0, opened
    status = run_cli(["status"], database_url=url, cwd=tmp_path, now=now)
    assert status.code == 0, status
    assert "电话首报" in status.stdout and "overdue 10 min" in status.stdout
    assert "书面首报" in status.stdout and "in 20 min" in status.stdout
