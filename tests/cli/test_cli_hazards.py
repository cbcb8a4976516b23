"""`emergency inspection record/import` and `emergency hazard …` as a user runs them (the register seeded in-process)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from emergency.db.models import HazardRow, InspectionRow
from tests.cli.helpers import Result, run_cli
from tests.integration.hazard_support import inspection_id, seed

NOW = "2026-11-26T10:00:00+08:00"
LATER = "2026-11-28T16:00:00+08:00"
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # PG is covered in-process


def runner(database_url: str, cwd: Path) -> Callable[..., Result]:
    """Return cli(now, *args) running the console script in *cwd*."""

    def cli(now: str, *args: str | int) -> Result:
        return run_cli([str(a) for a in args], database_url=database_url, cwd=cwd, now=now)

    return cli


def test_record_a_finding_then_fix_and_verify_it_to_closure(sessions: sessionmaker[Session], database_url: str,
                                                            tmp_path: Path) -> None:
    """record → hazard with 整改通知书 → fix → another person's verification closes it (销号); `hazard show --json`
    lists every step with who and when, and the rectification clock met."""
    seed(sessions)
    ident = inspection_id(sessions, "ZY-RQ-001", "2026-W48")
    (tmp_path / "hose.jpg").write_bytes(b"jpeg")
    cli = runner(database_url, tmp_path)
    recorded = cli(NOW, "inspection", "record", ident, "--by", "王丽", "--at", "2026-11-26T09:30:00+08:00",
                   "--item", "燃气软管", "--finding", "餐馆燃气软管老化开裂", "--grade", "一般", "--category", "物",
                   "--measures", "更换燃气软管", "--responsible", "马建国", "--photo", "hose.jpg")
    assert recorded.code == 0, recorded
    assert f"Recorded inspection {ident} (ZY-RQ-001, 2026-W48) by 王丽 at 2026-11-26 09:30: 发现隐患, on time." \
           in recorded.stdout
    assert "Hazard YH-2026-0001 (一般事故隐患): rectify by 2026-12-03 24:00" in recorded.stdout
    notice = tmp_path / "out" / "YH-2026-0001-rectification-notice.docx"
    text = "\n".join(p.text for p in docx.Document(str(notice)).paragraphs)
    assert "长春燃气股份有限公司绿园分公司：" in text and "现场照片1张" in text
    assert cli(LATER, "hazard", "fix", "YH-2026-0001", "--by", "马建国", "--note", "已更换").code == 0
    closed = cli(LATER, "hazard", "verify", "YH-2026-0001", "--by", "周平")
    assert closed.code == 0 and "closed (销号)" in closed.stdout
    shown = json.loads(cli(LATER, "hazard", "show", "YH-2026-0001", "--json").stdout)
    assert shown["status"] == "closed" and shown["verified_by"] == "周平"
    assert [(e["action"], e["actor"], e["at"]) for e in shown["events"]] == [
        ("found", "王丽", "2026-11-26T09:30:00+08:00"), ("notice_issued", "王丽", NOW),
        ("fix_reported", "马建国", LATER), ("verified", "周平", LATER), ("closed", "周平", LATER)]
    assert [c["status"] for c in shown["clocks"]] == ["met"]


def test_bad_input_is_one_line_and_stores_nothing(sessions: sessionmaker[Session], database_url: str,
                                                  tmp_path: Path) -> None:
    """A bad row of an import, a 重大 finding without its measures: exit 1, one line naming row or field, nothing
    stored and no document written."""
    seed(sessions)
    cli = runner(database_url, tmp_path)
    (tmp_path / "day.csv").write_text("风险点编号,检查人,检查时间,检查结果,隐患描述,隐患等级,隐患类别\n"
                                      "WF-DW-001,赵磊,2026-11-26 09:10,未发现隐患,,,\n"
                                      "WF-SG-001,赵磊,2026-11-26 09:40,发现隐患,临边无防护,很大,物\n", encoding="utf-8")
    bad = cli(NOW, "inspection", "import", "day.csv")
    assert bad.code == 1 and bad.stderr.strip().count("\n") == 0 and "Traceback" not in bad.stderr
    assert "1 problem, nothing imported" in bad.stderr and "row 3, column 隐患等级: '很大' is not a grade" in bad.stderr
    (tmp_path / "photo.jpg").write_bytes(b"jpeg")
    same = cli(NOW, "inspection", "record", "--source", "WF-SG-001", "--by", "赵磊", "--finding", "临边无防护",
               "--grade", "重大", "--category", "物", "--photo", "photo.jpg", "--photo", "nowhere.jpg")
    assert same.code == 1
    ident = inspection_id(sessions, "WF-SG-001")
    assert same.stderr.strip() == (f"error: inspection {ident}, field findings[0].measures: is empty: a 重大事故隐患 "
                                   "needs its measures (治理方案, 16号令第十五条)")
    with sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(HazardRow)) == 0
        assert session.scalar(select(func.count()).select_from(InspectionRow).where(InspectionRow.done_at.is_not(None))) == 0
    assert not (tmp_path / "out").exists()


def test_a_major_hazard_goes_to_the_district_and_stays_listed(sessions: sessionmaker[Session], database_url: str,
                                                              tmp_path: Path) -> None:
    """重大: the report reaches the district's drop folder with the notice; `hazard list` shows it 挂牌督办."""
    seed(sessions)
    cli = runner(database_url, tmp_path)
    result = {"source": "WF-SG-001", "by": "赵磊", "at": "2026-11-26T09:40:00+08:00", "result": "finding",
              "items": ["深基坑支护"], "findings": [{"description": "深基坑支护变形", "grade": "重大", "category": "环境",
                                                     "measures": "停止坑边作业，加固支护", "responsible_person": "孙强"}]}
    (tmp_path / "major.json").write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    recorded = cli(NOW, "inspection", "record", "--file", "major.json")
    assert recorded.code == 0, recorded
    assert "重大事故隐患: reported to 绿园区人民政府总值班室、绿园区应急管理局 at 2026-11-26 10:00" in recorded.stdout
    delivered = cli(NOW, "outbox", "deliver")
    assert delivered.code == 0, delivered
    dropped = [json.loads(p.read_text(encoding="utf-8")) for p in (tmp_path / "outbox" / "district").glob("*.json")]
    assert [(d["topic"], d["body"]["type"], d["body"]["hazard"]) for d in dropped] == [
        ("report", "major_hazard", "YH-2026-0001")]
    assert list((tmp_path / "outbox" / "owners").glob("*.json"))  # the 整改通知书 for the owner unit
    listed = cli(NOW, "hazard", "list", "--grade", "重大")
    assert "YH-2026-0001" in listed.stdout and "挂牌督办" in listed.stdout
