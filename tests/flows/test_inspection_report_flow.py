"""The monthly ledger flow as a real Prefect run: last month's 台账 by default, files under the output folder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook

from emergency.clock import CN_TZ
from emergency.errors import InputError
from emergency.receiver import Receiver
from flows._runtime import runtime
from flows.deployments import build_deployments
from flows.inspection_report_flow import inspection_report
from tests.integration.test_ledgers import seed_november

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_ledger_flow_writes_last_months_ledger_and_is_scheduled_monthly(office_env: tuple[Path, Receiver]) -> None:
    """On 1 December the flow writes November's .docx and .xlsx; a month not begun fails; the deployment runs on the 1st."""
    folder, _ = office_env
    seed_november(runtime().sessions)
    result = inspection_report(as_of=datetime(2026, 12, 1, 9, 30, tzinfo=CN_TZ))
    assert result["month"] == "2026-11" and result["cut"] == "2026-12-01T00:00:00+08:00"
    assert result["document"] == str(folder / "out" / "inspection-ledger-2026-11.docx")
    assert result["summary"]["due"] == 5 and result["summary"]["open"] == 3 and result["summary"]["drill_hazards"] == 1
    assert [c.text for c in docx.Document(result["document"]).tables[0].rows[1].cells][:6] == [
        "正阳社区", "4", "4", "1", "1", "2"]
    detail = load_workbook(result["workbook"])["排查任务明细"]
    assert {row[4] for row in detail.iter_rows(min_row=2, values_only=True)} == {"日常排查"}  # from plans/inspections.yaml

    with pytest.raises(InputError, match="2027-01 has not begun"):
        inspection_report(month="2027-01", as_of=datetime(2026, 12, 1, 9, 30, tzinfo=CN_TZ))

    [deployment] = [d for d in build_deployments() if d.name == "inspection-report"]
    [schedule] = deployment.schedules
    assert schedule.schedule.cron == "30 9 1 * *"  # type: ignore[union-attr]
    assert schedule.schedule.timezone == "Asia/Shanghai"  # type: ignore[union-attr]
