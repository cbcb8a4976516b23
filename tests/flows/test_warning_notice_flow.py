"""The pass-down flow as a real Prefect run: a warning made elsewhere reaches every community and grid once."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from emergency.clock import CN_TZ
from emergency.db.models import ObligationRow, WarningNoticeRow
from emergency.domain.enums import WarningLevel
from emergency.receiver import Receiver
from emergency.services.incidents import get_office
from emergency.services.warnings import issue_warning
from flows._runtime import runtime
from flows.deployments import build_deployments
from flows.warning_notice_flow import warning_pass_down
from tests.warning_support import AREA, PLAN, PUBLISHER

pytestmark = pytest.mark.usefixtures("prefect_harness")

AS_OF = datetime(2026, 7, 20, 10, 0, tzinfo=CN_TZ)


def test_pass_down_flow_sends_each_step_once_and_runs_every_minute(office_env: tuple[Path, Receiver],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A warning stored without passing down (as a flow of another process would) is passed down by the flow: 8
    notices with signed links and 签收 clocks; a second run sends nothing; the deployment runs every minute."""
    monkeypatch.setenv("EMERGENCY_ACK_SECRET", "flow-secret")
    runtime.cache_clear()
    with runtime().sessions.begin() as session:
        office = get_office(session, name=runtime().settings.office)
        warning = issue_warning(session, office=office, plan=PLAN, publisher=PUBLISHER, area=AREA,
                                warning_type="waterlogging", level=WarningLevel.ORANGE, now=AS_OF, actor="监测")
        warning_id = warning.id
    first = warning_pass_down(as_of=AS_OF)
    assert (first["notices"], first["warnings"]) == (8, [warning_id])
    assert first["delivered"]["due"] == 16  # queued: no robot URL is configured in the test, and folders deliver
    second = warning_pass_down(as_of=AS_OF + timedelta(minutes=1))
    assert second["notices"] == 0
    with runtime().sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(WarningNoticeRow)) == 8
        assert session.scalar(select(func.count()).select_from(ObligationRow)
                              .where(ObligationRow.subject == "warning_ack")) == 8
    [deployment] = [d for d in build_deployments() if d.name == "pass-down"]
    [schedule] = deployment.schedules
    assert schedule.schedule.interval == timedelta(minutes=1)  # type: ignore[union-attr]
