"""`emergency support …` as a user runs it: a 请示 during an incident, the answer, what arrives, list and show."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from emergency.plans.rules import ReportingRules
from tests.cli.helpers import run_cli
from tests.integration.test_support_requests import seed

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # PG is covered in-process


def test_request_answer_arrive_and_show(sessions: sessionmaker[Session], rules: ReportingRules, database_url: str,
                                        tmp_path: Path) -> None:
    """request → the 请示 written and queued, due in 2 h; answer → met; arrivals counted against the items; the
    list and `show --json` tell received against requested, and --open leaves out the closed request."""
    seed(sessions, rules)

    def cli(now: str, *args: str) -> tuple[int, str, str]:
        done = run_cli(list(args), database_url=database_url, cwd=tmp_path, now=now)
        return done.code, done.stdout, done.stderr

    code, stdout, stderr = cli("2026-03-01T09:30:00+08:00", "support", "request", "--incident", "2026-0301",
                               "--kind", "materials", "--item", "编织袋:5000:条", "--item", "抽水泵:4:台",
                               "--reason", "积水严重，现有抽排设备不足", "--by", "张伟")
    assert code == 0, stderr
    assert "Support request ZY-2026-0001 (正阳应急请〔2026〕1号, 物资) for incident 2026-0301" in stdout
    assert "queued for 绿园区人民政府" in stdout and "Answer wanted by 2026年3月1日11时30分" in stdout
    document = tmp_path / "out" / "ZY-2026-0001-support-request.docx"
    assert [[c.text for c in row.cells] for row in docx.Document(str(document)).tables[0].rows][1:] == [
        ["1", "编织袋", "5000", "条"], ["2", "抽水泵", "4", "台"]]
    code, stdout, _ = cli("2026-03-01T10:00:00+08:00", "support", "answer", "ZY-2026-0001", "--status", "answered",
                          "--answer", "同意，区应急管理局即调拨", "--by", "吴刚")
    assert code == 0 and "ZY-2026-0001: 已答复" in stdout
    code, stdout, _ = cli("2026-03-01T11:00:00+08:00", "support", "arrive", "ZY-2026-0001", "--what", "编织袋",
                          "--quantity", "3000", "--unit", "条", "--by", "周平")
    assert code == 0 and "编织袋：请求5000条，到位3000条，尚缺2000条" in stdout
    code, stdout, _ = cli("2026-03-01T11:05:00+08:00", "support", "list", "--open")
    assert code == 0 and "编织袋 3000/5000条" in stdout and "抽水泵 0/4台" in stdout
    shown = json.loads(cli("2026-03-01T11:05:00+08:00", "support", "show", "ZY-2026-0001", "--json")[1])
    assert (shown["status"], shown["answered_by"], shown["clock"]["status"]) == ("answered", "吴刚", "met")
    assert [(i["what"], i["requested"], i["received"], i["outstanding"]) for i in shown["items"]] == [
        ("编织袋", "5000", "3000", "2000"), ("抽水泵", "4", "0", "4")]
    assert [(a["what"], a["quantity"], a["received_by"]) for a in shown["arrivals"]] == [("编织袋", "3000", "周平")]
    for args in (("--what", "编织袋", "--quantity", "2000", "--unit", "条"),
                 ("--what", "抽水泵", "--quantity", "4", "--unit", "台")):
        code, stdout, _ = cli("2026-03-01T12:00:00+08:00", "support", "arrive", "ZY-2026-0001", *args, "--by", "周平")
        assert code == 0
    assert "the request is closed (已办结)" in stdout
    code, stdout, _ = cli("2026-03-01T12:05:00+08:00", "support", "list", "--open")
    assert code == 0 and "no support requests open" in stdout


def test_bad_input_is_one_line_and_exit_1(sessions: sessionmaker[Session], rules: ReportingRules, database_url: str,
                                          tmp_path: Path) -> None:
    """A malformed item, an unknown kind or a bad answer status: one line naming the field, nothing stored."""
    seed(sessions, rules)
    base = ["support", "request", "--incident", "2026-0301", "--reason", "需要", "--by", "张伟"]
    for extra, message in (
        (["--kind", "物资", "--item", "编织袋5000条"], "support request for incident 2026-0301, field items[0]: "
                                                      "'编织袋5000条' is not what:quantity:unit"),
        (["--kind", "food", "--item", "面包:100:个"], "field kind: 'food' is not a kind of support"),
    ):
        done = run_cli(base + extra, database_url=database_url, cwd=tmp_path, now="2026-03-01T09:30:00+08:00")
        assert done.code == 1 and done.stderr.strip().startswith("error: ") and message in done.stderr
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    done = run_cli(["support", "answer", "ZY-2026-0001", "--status", "maybe", "--answer", "x", "--by", "吴刚"],
                   database_url=database_url, cwd=tmp_path, now="2026-03-01T09:30:00+08:00")
    assert done.code == 1 and "field status: 'maybe' is not an answer" in done.stderr
    listed = run_cli(["support", "list", "--json"], database_url=database_url, cwd=tmp_path)
    assert listed.code == 0 and json.loads(listed.stdout) == []
