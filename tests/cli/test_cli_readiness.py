"""`emergency run readiness-report --quarter 2026Q4` (or --from/--to, --year) as a user runs it."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from emergency.db.session import make_engine, make_session_factory
from emergency.plans.loader import load_rules
from tests.conftest import CliRunner
from tests.integration.readiness_support import seed_quarter


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # a Prefect run costs seconds; PG is covered in-process
def test_run_readiness_report_for_a_quarter(cli: CliRunner, database_url: str, tmp_path: Path) -> None:
    """The command writes the quarter's .docx under the output folder and prints its headline numbers; a bad or
    doubly named period is one line on stderr, before Prefect starts."""
    assert cli("init").code == 0
    engine = make_engine(database_url)
    seed_quarter(make_session_factory(engine), load_rules(), tmp_path)
    engine.dispose()
    out = tmp_path / "office-out"
    env = {"EMERGENCY_OUTPUT_DIR": str(out)}

    done = cli("run", "readiness-report", "--quarter", "2026Q4", now="2027-01-05T09:00:00+08:00", env=env)
    assert done.code == 0, done
    assert done.stderr == ""
    document = out / "readiness-report-2026Q4.docx"
    assert f"Wrote {document}" in done.stdout
    assert "应急准备情况报告 2026Q4 (2026-10-01 to 2026-12-31" in done.stdout
    assert "hazards found 3, open 2 (1 overdue)" in done.stdout and "support requests 2 (1 unanswered" in done.stdout
    figures = {row.cells[1].text: row.cells[2].text for row in docx.Document(str(document)).tables[0].rows[1:]}
    assert figures["期末未销号隐患（项）"] == "2" and figures["向区政府请示支援（件）"] == "2"

    for args, message in ((("--quarter", "2026Q5"), "command line, field quarter: '2026Q5' is not a quarter"),
                          (("--quarter", "2026Q4", "--year", "2026"), "field year: name the period one way only")):
        bad = cli("run", "readiness-report", *args, now="2027-01-05T09:00:00+08:00", env=env)
        assert bad.code == 1 and bad.stderr.startswith("error: ") and message in bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1
