"""`emergency plan …` as a user runs it: check, approve, versions, diff, due; `incident show` names the locked plan."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy.orm import Session, sessionmaker

from emergency.clock import CN_TZ
from emergency.db.session import unit_of_work
from emergency.domain.enums import Category
from emergency.plans.loader import DEFAULT_PLANS_DIR, load_rules
from emergency.plans.schema import load_plans
from emergency.services.incidents import NewFacts, NewIncident, get_office, open_incident, record_facts
from emergency.services.responses import start_response
from tests.conftest import CliRunner
from tests.integration.support import OFFICE

BROKEN = Path(__file__).resolve().parents[1] / "data" / "broken-plans"
NOW = "2026-11-26T10:00:00+08:00"
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # PG is covered in-process


def test_plan_check_passes_the_shipped_plans_and_lists_every_broken_one(cli: CliRunner) -> None:
    """`plan check` needs no database: the shipped plans pass (exit 0); the broken set fails (exit 1) with one line
    per file naming its field, and no traceback."""
    good = cli("plan", "check")
    assert good.code == 0, good
    assert "7 plan(s) checked: no problems." in good.stdout
    assert "flood.yaml: 正阳街道防汛应急预案 2026.1 (sha256 " in good.stdout
    bad = cli("plan", "check", BROKEN)
    assert bad.code == 1, bad
    assert "Traceback" not in bad.stderr
    files = sorted(BROKEN.glob("*.yaml"))
    for path in files:
        expect = path.read_text("utf-8").splitlines()[1].removeprefix("# expect-field: ")
        line = next(ln for ln in bad.stderr.splitlines() if f"{path.name}" in ln)
        assert line.startswith(f"error: {path}") and (expect == "-" or f", field {expect}: " in line), line
    assert f"{len(files)} problem(s) in {len(files)} file(s); 0 of {len(files)} plan(s) valid." in bad.stderr
    one = cli("plan", "check", BROKEN / "owner_not_a_role.yaml")
    assert one.code == 1 and ", field levels[II].actions[evacuate].owner: 'residents' is not one of" in one.stderr


def _incident_with_response(sessions: sessionmaker[Session]) -> None:
    rules = load_rules()
    start = datetime(2026, 11, 27, 8, 30, tzinfo=CN_TZ)
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        row = open_incident(session, rules=rules, office=office, now=start, data=NewIncident(
            id="2026-1127", category=Category.NATURAL_DISASTER, type="urban_waterlogging", title="万福街铁路桥下积水",
            location="万福街铁路桥下", occurred_at=start - timedelta(minutes=30), known_at=start - timedelta(minutes=20)))
        record_facts(session, incident=row, now=start, data=NewFacts(as_of=start, trapped=2))
        start_response(session, rules=rules, plans=load_plans(DEFAULT_PLANS_DIR), incident=row, now=start)


def test_approve_then_versions_diff_due_and_the_lock_in_incident_show(cli: CliRunner, sessions: sessionmaker[Session],
                                                                      tmp_path: Path) -> None:
    """Approve flood (again: a no-op that says so), list it, diff it against an edited file in words, list what is
    due, and see the approved version locked into an incident's response."""
    assert cli("init").code == 0
    approved = cli("plan", "approve", "flood", "--by", "正阳街道党工委会议", "--effective", "2026-05-01", now=NOW)
    assert approved.code == 0, approved
    assert "Approved 正阳街道防汛应急预案 version 2026.1 (sha256 " in approved.stdout
    assert "effective 2026-05-01; review due 2029-05-01." in approved.stdout
    again = cli("plan", "approve", "flood", "--by", "另一人", "--effective", "2026-06-01", now=NOW)
    assert again.code == 0 and "is already approved with this content" in again.stdout
    assert "nothing stored" in again.stdout
    refused = cli("plan", "approve", "flood", "--by", "x", "--effective", "2026-02-30", now=NOW)
    assert refused.code == 1 and "field effective: '2026-02-30' is not a date" in refused.stderr

    versions = json.loads(cli("plan", "versions", "--json", now=NOW).stdout)
    assert [(v["plan"], v["version"], v["state"], v["approved_by"], v["effective_from"], v["review_due"])
            for v in versions] == [("flood", "2026.1", "in_force", "正阳街道党工委会议", "2026-05-01", "2029-05-01")]
    table = cli("plan", "versions", "flood", now=NOW)
    assert table.code == 0 and "现行有效" in table.stdout

    data = yaml.safe_load((DEFAULT_PLANS_DIR / "emergency" / "flood.yaml").read_text("utf-8"))
    data["levels"][1]["trigger_zh"] = "洪涝造成人员死亡或失踪"
    data["supplies"][0]["quantity"] = 3000
    edited = tmp_path / "flood.yaml"
    edited.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    diff = cli("plan", "diff", "flood@2026.1", edited, now=NOW)
    assert diff.code == 0, diff
    assert diff.stdout.splitlines() == [
        f"flood@2026.1 → {edited}: 2 change(s)",
        "  响应等级 II级 启动条件：洪涝造成人员死亡或失踪，或发生洪涝等敏感灾情 改为 洪涝造成人员死亡或失踪",
        "  应急物资 沙袋 最低储备：2000条 改为 3000条"]
    same = cli("plan", "diff", DEFAULT_PLANS_DIR / "emergency" / "flood.yaml", "flood", now=NOW)
    assert same.code == 0 and same.stdout.strip().endswith("flood@2026.1: no changes.")

    text = cli("plan", "due", now="2029-03-01T09:00:00+08:00").stdout
    assert "flood  正阳街道防汛应急预案 2026.1: review due 2029-05-01 (到期评估), due in 61 day(s)" in text

    _incident_with_response(sessions)
    shown = cli("incident", "show", "2026-1127", now="2026-11-27T09:00:00+08:00")
    assert shown.code == 0, shown
    assert ("应急响应：正阳街道防汛应急预案 2026.1（审批版本，正阳街道党工委会议审批，2026-05-01起生效，sha256 "
            in shown.stdout)
    lock = json.loads(cli("incident", "show", "2026-1127", "--json", now="2026-11-27T09:00:00+08:00").stdout)
    assert (lock["response"]["plan"], lock["response"]["version"], lock["response"]["approved"]) == (
        "flood", "2026.1", True)
