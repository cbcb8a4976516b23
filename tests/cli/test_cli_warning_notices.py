"""Passing a warning down, `emergency warning ack`, `warning show` with its 转发到位率, and `warning ack-server`, as a
user runs them."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from emergency.db.models import OutboxRow, WarningNoticeRow
from tests.cli.helpers import EMERGENCY, Result, run_cli

NOW = "2026-07-20T10:00:00+08:00"
SECRET = "cli-test-secret"
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # PG is covered in-process


def runner(database_url: str, cwd: Path) -> Callable[..., Result]:
    """Return cli(now, *args) running the console script in *cwd*, with the link secret set."""

    def cli(now: str, *args: str | int) -> Result:
        return run_cli([str(a) for a in args], database_url=database_url, cwd=cwd, now=now,
                       env={"EMERGENCY_ACK_SECRET": SECRET})

    return cli


def test_issue_passes_down_then_ack_and_show_the_rates(database_url: str, tmp_path: Path,
                                                       sessions: sessionmaker[Session]) -> None:
    """issue → 8 notices with links; ack by grid code and by 网格长 (a repeat changes nothing); show --json gives who
    acknowledged, when, by whom, and the rates; a lift is passed down too; a bad recipient is one line, exit 1."""
    cli = runner(database_url, tmp_path)
    issued = cli(NOW, "warning", "issue", "--type", "rainstorm", "--level", "red", "--by", "周平")
    assert issued.code == 0, issued
    assert ("Passed down warning 1 (issued) as 正阳应急预警〔2026〕1号 to 3 communities and 5 grids, with signed 签收 "
            "links; 签收 due 2026-07-20 10:30.") in issued.stdout
    docx_path = tmp_path / "out" / "warnings" / "warning-1-event-1-grid-1.docx"
    assert "关于暴雨红色预警的通知" in "\n".join(p.text for p in docx.Document(str(docx_path)).paragraphs)
    first = cli("2026-07-20T10:05:00+08:00", "warning", "ack", 1, "--recipient", "ZY01-01", "--by", "王丽")
    assert first.code == 0 and "正阳社区第一网格 acknowledged at 2026-07-20 10:05 by 王丽." in first.stdout
    again = cli("2026-07-20T10:09:00+08:00", "warning", "ack", 1, "--recipient", "王丽", "--by", "王丽", "--json")
    assert again.code == 0 and json.loads(again.stdout)["duplicate"] is True
    assert cli("2026-07-20T10:06:00+08:00", "warning", "ack", 1, "--recipient", "青年路社区", "--by", "书记").code == 0
    bad = cli(NOW, "warning", "ack", 1, "--recipient", "ZY09", "--by", "x")
    assert bad.code == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("error: warning 1, field recipient: 'ZY09' is none of those it was passed down to")
    shown = cli("2026-07-20T10:40:00+08:00", "warning", "show", 1, "--json")
    assert shown.code == 0, shown
    down = json.loads(shown.stdout)["pass_down"]
    assert (down["total"], down["received"], down["acknowledged"], down["acknowledged_rate"]) == (8, 2, 2, 0.25)
    grid = next(r for r in down["recipients"] if r["code"] == "ZY01-01")
    assert (grid["acknowledged_at"], grid["acknowledged_by"], grid["ack_channel"]) == (
        "2026-07-20T10:05:00+08:00", "王丽", "cli")
    assert grid["latest"]["document_number"] == "正阳应急预警〔2026〕1号" and grid["ack_due"] == "2026-07-20T10:30:00+08:00"
    text = cli("2026-07-20T10:40:00+08:00", "warning", "show", 1)
    assert "转发到位率: received 2/8 (25.0%), acknowledged 2/8 (25.0%)" in text.stdout
    assert "网格 ZY01-02 正阳社区第二网格（刘洋）: issued 正阳应急预警〔2026〕1号, not delivered yet, NOT acknowledged " \
           "(due 2026-07-20 10:30)" in text.stdout
    lifted = cli("2026-07-20T14:00:00+08:00", "warning", "lift", 1, "--reason", "降雨结束", "--by", "周平")
    assert lifted.code == 0 and "Passed down warning 1 (lifted) as 正阳应急预警〔2026〕2号" in lifted.stdout
    assert cli("2026-07-20T14:01:00+08:00", "warning", "pass-down").stdout.strip() == "Nothing to pass down."
    with sessions.begin() as session:
        assert len(session.scalars(select(WarningNoticeRow)).all()) == 16


def test_the_ack_server_records_a_signed_link_and_refuses_a_tampered_one(database_url: str, tmp_path: Path,
                                                                         sessions: sessionmaker[Session]) -> None:
    """`emergency warning ack-server --port 0`: a POST to the notice's link is recorded as 签收 through the callback;
    the same link with another signature is 403; SIGTERM stops it with a count."""
    cli = runner(database_url, tmp_path)
    assert cli(NOW, "warning", "issue", "--type", "waterlogging", "--level", "yellow").code == 0
    with sessions.begin() as session:
        notice = session.scalars(select(WarningNoticeRow).where(WarningNoticeRow.recipient_name == "万福社区")).one()
        link = str(session.scalars(select(OutboxRow.body).where(OutboxRow.id == notice.outbox_id)).one()["ack_url"])
    environ = {k: v for k, v in os.environ.items() if not k.startswith("EMERGENCY_")}
    environ |= {"EMERGENCY_DATABASE_URL": database_url, "EMERGENCY_ACK_SECRET": SECRET, "COLUMNS": "200"}
    server = subprocess.Popen([EMERGENCY, "warning", "ack-server", "--port", "0"], cwd=tmp_path, env=environ,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("Acknowledgement server listening on http://127.0.0.1:"), line
        url = line.split(" on ", 1)[1].split(" ", 1)[0]
        link = link.replace("http://127.0.0.1:8765/", url)
        tampered = link[:-1] + ("0" if link[-1] != "0" else "1")
        assert requests.post(tampered, data={"by": "冒名"}, timeout=10).status_code == 403
        done = requests.post(link, data={"by": "万福社区书记"}, headers={"Accept": "application/json"}, timeout=10)
        assert done.status_code == 200 and done.json()["acknowledged_by"] == "万福社区书记"
    finally:
        server.terminate()
        stdout, _stderr = server.communicate(timeout=20)
    assert "Stopped: 1 acknowledgement(s) recorded, 1 link(s) refused." in stdout
    shown = json.loads(cli(NOW, "warning", "show", 1, "--json").stdout)["pass_down"]
    community = next(r for r in shown["recipients"] if r["code"] == "ZY02")
    assert (community["acknowledged_by"], community["ack_channel"]) == ("万福社区书记", "callback")
