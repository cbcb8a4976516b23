"""A night at the office, through the CLI: open, facts, reports, close, show, audit, export, import, replay."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import run_cli

TO = "绿园区应急管理局"
STATED = ["--stated-occurred-at", "2026-03-01T08:10:00+08:00", "--location", "万福街87号", "--summary", "餐馆燃气爆炸",
          "--measures", "已疏散群众", "--deaths", "0", "--missing", "0", "--serious-injuries", "1", "--injuries", "2"]


def test_incident_cycle_prints_what_is_due_and_audits_the_late_report(tmp_path: Path) -> None:
    """Each step prints what is due with its rule; the late written report is the one finding, everywhere."""
    url = f"sqlite:///{tmp_path / 'office.db'}"

    def cli(now: str, *args: str) -> str:
        result = run_cli(list(args), database_url=url, cwd=tmp_path, now=now)
        assert result.code == 0, result
        assert "Traceback" not in result.stderr
        return result.stdout

    assert "Created database" in cli("2026-03-01T08:00:00+08:00", "init")
    opened = cli("2026-03-01T08:42:00+08:00", "incident", "open", "--category", "accident", "--type", "gas_explosion",
                 "--title", "万福街餐馆燃气爆炸", "--location", "万福街87号", "--occurred-at", "2026-03-01T08:10:00+08:00",
                 "--known-at", "2026-03-01T08:20:00+08:00")
    assert "Opened incident 2026-0001" in opened
    assert "电话首报 due 2026-03-01 08:50 (in 8 min) — rule initial.phone.general_serious" in opened
    assert ("书面首报 due 2026-03-01 09:20 (in 38 min) — rule accident.written.initial, "
            "《生产安全事故报告和调查处理条例》（国务院令第493号）第九条") in opened

    cli("2026-03-01T08:45:00+08:00", "incident", "facts", "2026-0001", "--as-of", "2026-03-01T08:40:00+08:00",
        "--deaths", "0", "--missing", "0", "--serious-injuries", "1", "--injuries", "2")
    phoned = cli("2026-03-01T08:50:00+08:00", "report", "submit", "2026-0001", "--kind", "initial", "--channel", "phone",
                 "--to", TO, *STATED)
    assert "Recorded report R1" in phoned
    assert "电话首报" not in phoned.split("Now due")[1]
    written = cli("2026-03-01T09:40:00+08:00", "report", "submit", "2026-0001", "--kind", "initial", "--channel",
                  "written", "--to", TO, *STATED)
    assert "定时续报 due 2026-03-02 09:40" in written
    closed = cli("2026-03-01T12:00:00+08:00", "incident", "close", "2026-0001")
    assert "终报 due 2026-03-02 12:00" in closed
    cli("2026-03-01T18:00:00+08:00", "report", "submit", "2026-0001", "--kind", "final", "--channel", "written",
        "--to", TO, *STATED)

    shown = json.loads(cli("2026-03-10T00:00:00+08:00", "incident", "show", "2026-0001", "--json"))
    statuses = {o["obligation"]: o["status"] for o in shown["obligations"]}
    assert statuses == {"initial/phone": "met", "initial/written": "met_late", "final": "met"}
    assert [f["type"] for f in shown["findings"]] == ["late"]

    audited = json.loads(cli("2026-03-10T00:00:00+08:00", "audit", "run", "--from", "2026-03-01", "--to",
                             "2026-03-31", "--json"))
    assert [(f["type"], f["report"], f["minutes_late"]) for f in audited["findings"]] == [("late", "R2", 20)]
    assert audited["summary"] == {"incidents": 1, "obligations": 3, "on_time": 2, "late": 1, "missing": 0,
                                  "false": 0, "concealed": 0}

    exported = cli("2026-03-10T00:00:00+08:00", "audit", "export", "--from", "2026-03-01", "--to", "2026-03-31")
    export_file = tmp_path / "export.json"
    export_file.write_text(exported, encoding="utf-8")
    replayed = json.loads(cli("2026-03-10T00:00:00+08:00", "audit", "replay", str(export_file), "--json"))
    assert replayed == audited

    # Moving the history to another installation keeps its findings.
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert run_cli(["init"], database_url=other, cwd=tmp_path).code == 0
    imported = run_cli(["audit", "import", str(export_file)], database_url=other, cwd=tmp_path)
    assert imported.code == 0 and "1 incidents" in imported.stdout and "3 reports" in imported.stdout
    again = run_cli(["audit", "run", "--json", "--as-of", "2026-03-10T00:00:00+08:00"], database_url=other,
                    cwd=tmp_path)
    assert json.loads(again.stdout)["findings"] == audited["findings"]
    verified = run_cli(["audit", "verify"], database_url=other, cwd=tmp_path)
    assert verified.code == 0 and "3 reports checked" in verified.stdout
