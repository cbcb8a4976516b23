"""`emergency run inspection-report --month 2026-11` as a user runs it."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook

from emergency.db.session import make_engine, make_session_factory
from tests.conftest import CliRunner
from tests.integration.test_ledgers import seed_november


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # a Prefect run costs seconds; PG is covered in-process
def test_run_inspection_report_for_a_month(cli: CliRunner, database_url: str, tmp_path: Path) -> None:
    """The command writes the .docx and .xlsx under the output folder and prints both paths; a bad month is one line."""
    assert cli("init").code == 0
    engine = make_engine(database_url)
    seed_november(make_session_factory(engine))
    engine.dispose()
    out = tmp_path / "office-out"
    env = {"EMERGENCY_OUTPUT_DIR": str(out)}

    done = cli("run", "inspection-report", "--month", "2026-11", now="2026-12-01T09:30:00+08:00", env=env)
    assert done.code == 0, done
    assert done.stderr == ""
    document, workbook = out / "inspection-ledger-2026-11.docx", out / "inspection-ledger-2026-11.xlsx"
    assert f"Wrote {document}" in done.stdout and f"Wrote {workbook}" in done.stdout
    assert "inspections due 5, on time 2 (40.0%), late 1, not done 2" in done.stdout
    tables = docx.Document(str(document)).tables
    assert [cell.text for cell in tables[0].rows[-1].cells][:4] == ["合计", "5", "5", "2"]
    assert load_workbook(workbook)["各社区排查完成情况"]["B5"].value == 5

    bad = cli("run", "inspection-report", "--month", "2026-13", now="2026-12-01T09:30:00+08:00", env=env)
    assert bad.code == 1
    assert bad.stderr.strip() == "error: command line, field month: '2026-13' is not a month like 2026-11"
