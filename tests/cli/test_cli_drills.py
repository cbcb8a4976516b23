"""`emergency drill …` as a user runs it: schedule, list what is due, record with problems, show; bad input is one line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from emergency.db.models import HazardRow
from tests.cli.helpers import Result, run_cli

NOW = "2026-12-05T10:00:00+08:00"
LATER = "2026-12-20T18:00:00+08:00"
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # PG is covered in-process


def runner(database_url: str, cwd: Path) -> Callable[..., Result]:
    """Return cli(now, *args) running the console script in *cwd*."""

    def cli(now: str, *args: str | int) -> Result:
        return run_cli([str(a) for a in args], database_url=database_url, cwd=cwd, now=now)

    return cli


def test_schedule_list_due_record_and_show(sessions: sessionmaker[Session], database_url: str, tmp_path: Path) -> None:
    """Every plan is due by its cycle; a scheduled gas drill shows; recording it turns its problems into hazards."""
    cli = runner(database_url, tmp_path)
    due = cli(NOW, "drill", "list", "--due", "--json")
    assert due.code == 0, due
    plans = {d["plan"]: d for d in json.loads(due.stdout)}
    assert plans["gas"]["due_on"] == "2027-01-01" and plans["gas"]["state"] == "due"

    scheduled = cli(NOW, "drill", "schedule", "--plan", "gas", "--kind", "桌面", "--scenario", "gas-explosion-restaurant",
                    "--at", "2026-12-18T09:00:00+08:00", "--organiser", "应急管理办公室")
    assert scheduled.code == 0, scheduled
    assert scheduled.stdout.strip() == ("Scheduled drill D-2026-001: 正阳街道燃气安全事故专项应急预案 (gas, 桌面推演) at "
                                        "2026-12-18 09:00, scenario gas-explosion-restaurant.")
    table = cli(NOW, "drill", "list", "--due")
    assert "2026-12-18" in table.stdout and "即将到期" in table.stdout

    recorded = cli(LATER, "drill", "record", "D-2026-001", "--held-at", "2026-12-18T09:00:00+08:00",
                   "--participants", "张伟,李强、王芳", "--evaluation", "响应启动及时，通讯保障薄弱。",
                   "--problem", "万福街地下通道应急广播听不清", "--plan-gap", "预案未列燃气企业夜间联络人")
    assert recorded.code == 0, recorded
    assert recorded.stderr == ""
    lines = recorded.stdout.splitlines()
    assert lines[0] == "Recorded drill D-2026-001 held at 2026-12-18 09:00: 3 participants, 2 problems on record."
    assert lines[1].startswith("  Hazard YH-2026-0001: rectify by 2026-12-25 24:00")
    assert "No approved version of plan gas is in force, so none was flagged for: 预案未列燃气企业夜间联络人" in lines[-1]

    shown = cli(LATER, "drill", "show", "D-2026-001", "--json")
    document = json.loads(shown.stdout)
    assert (document["status"], document["participants"], document["evaluation"]) == (
        "held", ["张伟", "李强", "王芳"], "响应启动及时，通讯保障薄弱。")
    assert [(p["hazard"], p["plan_gap"]) for p in document["problems"]] == [("YH-2026-0001", False),
                                                                            ("YH-2026-0002", True)]
    with sessions() as session:
        assert [h.drill for h in session.scalars(select(HazardRow))] == [False, False]
    after = json.loads(cli(LATER, "drill", "list", "--due", "--json", "--within", "400").stdout)
    assert {d["plan"]: d["due_on"] for d in after}["gas"] == "2027-12-18"


@pytest.mark.parametrize(("args", "message"), [
    (["drill", "schedule", "--plan", "tsunami", "--kind", "field", "--scenario", "x", "--at",
      "2026-12-18T09:00:00+08:00"], "error: new drill, field plan: 'tsunami' is not a plan"),
    (["drill", "schedule", "--plan", "gas", "--kind", "演习", "--scenario", "x", "--at", "2026-12-18T09:00:00+08:00"],
     "error: command line, field kind: '演习' is not a drill form: tabletop (桌面) or field (实战)"),
    (["drill", "record", "D-2026-009", "--held-at", "2026-12-01T09:00:00+08:00"],
     "error: drill D-2026-009: no such drill (see `emergency drill list`)"),
    (["drill", "run", "earthquake-at-school"], "error: earthquake-at-school: no such scenario file (shipped scenarios: "),
])
def test_bad_input_is_one_line_and_exit_1(sessions: sessionmaker[Session], database_url: str, tmp_path: Path,
                                          args: list[str], message: str) -> None:
    """An unknown plan or form, an unknown drill, an unknown scenario: one line on stderr naming it, no traceback."""
    done = runner(database_url, tmp_path)(NOW, *args)
    assert done.code == 1, done
    assert done.stderr.startswith(message) and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
