"""The readiness report flow as a real Prefect run: last quarter's 应急准备情况报告 by default, scheduled quarterly."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import docx
import pytest

from emergency.clock import CN_TZ
from emergency.errors import InputError
from emergency.receiver import Receiver
from flows._runtime import runtime
from flows.deployments import build_deployments
from flows.readiness_report_flow import readiness_report
from tests.integration.readiness_support import seed_quarter

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_readiness_flow_writes_last_quarters_report_and_is_scheduled_quarterly(
        office_env: tuple[Path, Receiver]) -> None:
    """On 1 January the flow writes the fourth quarter's report under the output folder; a quarter not begun fails
    before anything is written; the deployment runs on the 1st of each quarter's first month at 10:00."""
    folder, _ = office_env
    rt = runtime()
    seed_quarter(rt.sessions, rt.rules, folder)
    result = readiness_report(as_of=datetime(2027, 1, 1, 10, tzinfo=CN_TZ))
    assert (result["period"], result["from"], result["to"], result["cut"]) == (
        "2026Q4", "2026-10-01", "2026-12-31", "2027-01-01T00:00:00+08:00")
    assert result["document"] == str(folder / "out" / "readiness-report-2026Q4.docx")
    assert result["summary"]["hazards"] == {"found": 3, "closed": 1, "open": 2, "overdue": 1}
    assert result["summary"]["support"]["requested"] == 2 and result["summary"]["reporting"]["late"] == 1
    figures = {row.cells[1].text: row.cells[2].text for row in docx.Document(result["document"]).tables[0].rows[1:]}
    assert figures["在用应急预案（件）"] == "3" and figures["举行应急演练（次）"] == "2"

    with pytest.raises(InputError, match="has not begun"):
        readiness_report(quarter="2027Q2", as_of=datetime(2027, 1, 1, 10, tzinfo=CN_TZ))
    assert not (folder / "out" / "readiness-report-2027Q2.docx").exists()

    [deployment] = [d for d in build_deployments() if d.name == "readiness-report"]
    [schedule] = deployment.schedules
    assert schedule.schedule.cron == "0 10 1 1,4,7,10 *"  # type: ignore[union-attr]
    assert schedule.schedule.timezone == "Asia/Shanghai"  # type: ignore[union-attr]
