"""The response cycle from the command line: run response, list drafts, sign, render; and the demo."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from docx import Document

from tests.cli.helpers import EMERGENCY, run_cli

pytestmark = pytest.mark.slow


def test_run_response_sign_and_render(tmp_path: Path) -> None:
    """`run response` drafts the initial report, `report sign` submits and renders it, `report render` redoes it."""
    url = f"sqlite:///{tmp_path / 'office.db'}"
    env = {"EMERGENCY_OUTPUT_DIR": str(tmp_path / "out"), "PREFECT_HOME": str(tmp_path / ".prefect")}

    def cli(now: str, *args: str) -> str:
        result = run_cli(list(args), database_url=url, cwd=tmp_path, now=now, env=env)
        assert result.code == 0, result
        assert result.stderr == "", result.stderr  # no Prefect noise on the user's screen
        return result.stdout

    cli("2026-03-01T08:00:00+08:00", "init")
    cli("2026-03-01T08:25:00+08:00", "incident", "open", "--id", "E1", "--category", "accident", "--type", "fire",
        "--title", "万福街商铺火灾", "--location", "万福街12号", "--occurred-at", "2026-03-01T08:10:00+08:00",
        "--known-at", "2026-03-01T08:20:00+08:00")
    cli("2026-03-01T08:26:00+08:00", "incident", "facts", "E1", "--deaths", "0", "--injuries", "1")
    response = cli("2026-03-01T08:30:00+08:00", "run", "response", "--incident", "E1")
    assert "正阳街道火灾和生产安全事故专项应急预案" in response and "三级响应" in response
    assert "Drafts awaiting sign-off (待签发): 1" in response
    drafts = json.loads(cli("2026-03-01T08:31:00+08:00", "report", "drafts", "--json"))
    assert [(d["id"], d["kind"], d["status"]) for d in drafts] == [(1, "initial", "awaiting_signoff")]
    signed = cli("2026-03-01T09:00:00+08:00", "report", "sign", "1", "--by", "张伟")
    assert "Signed draft 1 by 张伟: report R1 of incident E1 (initial)" in signed
    document = tmp_path / "out" / "E1-R1-initial.docx"
    assert document.exists()
    first = [p.text for p in Document(str(document)).paragraphs]
    document.unlink()
    rendered = cli("2026-03-01T09:10:00+08:00", "report", "render", "E1", "R1")
    assert str(document) in rendered
    assert [p.text for p in Document(str(document)).paragraphs] == first
    document.unlink()
    assert str(document) in cli("2026-03-01T09:11:00+08:00", "report", "render", "1")  # by the report's number
    assert document.exists()
    shown = json.loads(cli("2026-03-01T09:10:00+08:00", "incident", "show", "E1", "--json"))
    assert {o["obligation"]: o["status"] for o in shown["obligations"]}["initial/written"] == "met"
    unknown = run_cli(["run", "nonsense"], database_url=url, cwd=tmp_path, env=env)
    assert unknown.code == 1 and "unknown flow 'nonsense'" in unknown.stderr and "Traceback" not in unknown.stderr


def test_demo_runs_the_story_quietly(tmp_path: Path) -> None:
    """`emergency demo` builds the street, runs the flows, and prints the summary with the one late report; its
    inspection chapter plans, records results with findings, reports the 重大隐患 up, closes one and writes the ledger;
    its drill chapter replays the gas explosion as a drill whose messages never reach the district."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("EMERGENCY_", "PREFECT_"))}
    done = subprocess.run([EMERGENCY, "demo"], cwd=tmp_path, env=environ, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "迟报 终报应于2026-03-03 20:00前报送，R5于2026-03-03 21:30报送，超时90分钟。" in done.stdout
    out = tmp_path / "demo" / "out"
    assert sorted(p.name for p in out.glob("*.docx")) == [
        "2026-0301-R2-initial.docx", "2026-0301-R3-follow_up.docx", "2026-0301-R4-follow_up.docx",
        "2026-0301-R5-final.docx", "D-2026-001-R2-initial.docx", "D-2026-001-R3-follow_up.docx",
        "D-2026-001-R4-final.docx", *(f"YH-2026-000{n}-rectification-notice.docx" for n in range(1, 5)),
        "ZY-2026-0001-support-request.docx", "inspection-ledger-2026-11.docx", "readiness-report-2026.docx",
        "timeliness-2026-03.docx"]
    assert (out / "inspection-ledger-2026-11.xlsx").exists()
    # five reports, the 请示 for support and the 重大事故隐患; the drill's reports went to the drill folder only
    assert len(list((tmp_path / "demo" / "district").glob("*.json"))) == 7
    assert len(list((out / "outbox" / "drills").glob("*.json"))) == 6
    assert ("Drill D-2026-001 (gas plan, 桌面推演): 4 reports owed, 3 on time, 1 late (终报迟70分钟); 3 documents marked "
            "演练; 6 of 6 messages kept in the drill folder, none to the district; problem → hazard YH-2026-0005 已销号"
            in done.stdout)
    [closed] = [line.split() for line in done.stdout.splitlines() if "WF-SG-001" in line]
    assert closed[:4] == ["YH-2026-0004", "一般", "WF-SG-001", "已销号"]
    assert "hazards found 4, closed 1, open 3 (0 overdue), 重大 1" in done.stdout
    assert "Support request ZY-2026-0001 (正阳应急请〔2026〕1号): 已答复, answer clock met; arrived/requested: " \
           "移动式排水泵 4/4台；防爆照明灯 10/10台；警戒带 30/50卷" in done.stdout
    assert "应急准备情况报告 2026: " in done.stdout and "support requests 1 — readiness-report-2026.docx" in done.stdout
    assert (tmp_path / "demo" / "prefect.log").stat().st_size > 0
