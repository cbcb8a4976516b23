"""The weekly supplies check as a real Prefect run: one notice for the week, scheduled Mondays at 08:00."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from emergency.clock import CN_TZ
from emergency.db.models import OutboxRow
from emergency.plans.supplies import load_supplies_catalogue
from emergency.receiver import Receiver
from emergency.services.incidents import get_office
from emergency.services.supply_sheets import import_supplies
from flows._runtime import runtime
from flows.deployments import build_deployments
from flows.supplies_flow import supplies_check
from tests.integration.support import ROOT

pytestmark = pytest.mark.usefixtures("prefect_harness")

AS_OF = datetime(2026, 11, 30, 8, 0, tzinfo=CN_TZ)  # a Monday


def test_supplies_flow_sends_one_notice_a_week_and_runs_on_mondays(office_env: tuple[Path, Receiver]) -> None:
    """A run flags shortfalls and expiry and queues one notice; a re-run that week queues none; Mondays 08:00."""
    rt = runtime()
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        import_supplies(session, office=office, catalogue=load_supplies_catalogue(rt.settings.plans_dir),
                        path=ROOT / "examples" / "supplies-zhengyang.csv", by="郑红", now=AS_OF)
    first = supplies_check(as_of=AS_OF)
    assert first["week"] == "2026-W49" and first["notices"] == 1
    assert "sandbag" in first["shortfalls"] and "ZY03-CB/warning_tape" in first["store_shortfalls"]
    assert "ZY-CK01/drinking_water/YS-251218" in first["near_expiry"]
    assert "ZY-CK01/smoke_hood/ZJ-2023" in first["expired"]
    assert first["delivered"]["due"] == 1  # queued: no WeCom robot is configured in the test
    supplies_check(as_of=AS_OF + timedelta(days=3))
    with rt.sessions.begin() as session:
        [notice] = session.scalars(select(OutboxRow)).all()
        assert notice.topic == "notice" and notice.channel == "duty_wecom"
        assert "沙袋：现有1500条，最低储备2000条，缺500条" in notice.body["text"]
    [deployment] = [d for d in build_deployments() if d.name == "supplies"]
    [schedule] = deployment.schedules
    assert schedule.schedule.cron == "0 8 * * 1"  # type: ignore[union-attr]
    assert schedule.schedule.timezone == "Asia/Shanghai"  # type: ignore[union-attr]
