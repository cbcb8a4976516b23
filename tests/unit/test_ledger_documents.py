"""The 隐患排查治理台账 template: takes what its context gives, official layout, empty month, reproducible build."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook

from emergency.clock import CN_TZ
from emergency.domain.enums import HazardGrade, HazardStatus
from emergency.domain.ledgers import HazardFact, InspectionFact, build_ledger
from emergency.reporting.documents import DEFAULT_TEMPLATES, render_document, template_variables
from emergency.reporting.ledgers import inspection_ledger_context, inspection_ledger_sheets
from emergency.reporting.workbooks import Column, Sheet, write_workbook
from tests.unit.test_documents import OFFICE, assert_official_layout, load_builder

MADE = datetime(2026, 12, 1, 9, 30, tzinfo=CN_TZ)


def wall(*fields: int) -> datetime:
    """A Beijing wall time without offset, as Excel holds it."""
    return datetime(*fields, tzinfo=CN_TZ).replace(tzinfo=None)  # type: ignore[misc]


def test_the_template_takes_exactly_what_the_context_gives() -> None:
    """Contract: every variable the template uses is a key of inspection_ledger_context's result."""
    context = inspection_ledger_context(build_ledger("2026-11", MADE, [], []), office=OFFICE, made_at=MADE)
    assert template_variables("inspection_ledger") <= set(context)


def test_an_empty_month_says_so_in_the_official_layout(tmp_path: Path) -> None:
    """No inspections and no hazards: zero rows, dashes for rates, the 'none' sentences; GB/T 9704 page and fonts."""
    context = inspection_ledger_context(build_ledger("2026-11", MADE, [], [], ["正阳社区"]), office=OFFICE,
                                        made_at=MADE)
    document = docx.Document(str(render_document("inspection_ledger", context, tmp_path / "ledger.docx")))
    assert_official_layout(document)
    text = "\n".join(p.text for p in document.paragraphs)
    for sentence in ("截至统计时，无未销号隐患。", "本月无销号隐患。", "本月无重大事故隐患。"):
        assert sentence in text
    assert "演练" not in text and "尚未到期" not in text
    assert [c.text for c in document.tables[0].rows[1].cells] == ["正阳社区", *"00000", "—", "—", *"000"]


def test_the_workbook_keeps_types_and_puts_totals_below_the_filter(tmp_path: Path) -> None:
    """Sheets from the ledger: an aware time becomes Beijing wall time; a totals row sits outside the autofilter."""
    ledger = build_ledger("2026-11", MADE, [InspectionFact("正阳社区", datetime(2026, 11, 6, tzinfo=CN_TZ),
                                                           datetime(2026, 11, 5, 20, tzinfo=CN_TZ))],
                          [HazardFact("H1", "正阳社区", HazardGrade.MAJOR, HazardStatus.OPEN,
                                      datetime(2026, 11, 5, 20, tzinfo=CN_TZ), datetime(2026, 11, 30, tzinfo=CN_TZ))])
    path = write_workbook(inspection_ledger_sheets(ledger, []), tmp_path / "ledger.xlsx")
    book = load_workbook(path)
    sheet = book["未销号隐患"]
    assert sheet["G2"].value == wall(2026, 11, 5, 20) and sheet["I2"].value == 26
    assert book["各社区排查完成情况"].auto_filter.ref == "A1:L2" and book["各社区排查完成情况"]["A3"].value == "合计"
    with pytest.raises(ValueError, match="not allowed by Excel"):
        Sheet("a/b", (Column("x"),), [])


def test_the_committed_template_is_what_the_builder_makes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """templates/inspection_ledger.docx is byte for byte what build_templates.py writes."""
    builder = load_builder(monkeypatch)
    built = {p.name: p for p in builder.build(tmp_path)}
    assert built["inspection_ledger.docx"].read_bytes() == (DEFAULT_TEMPLATES / "inspection_ledger.docx").read_bytes()


def test_a_deadline_at_midnight_reads_as_the_day_before(tmp_path: Path) -> None:
    """A deadline at the end of 30 November (1 Dec 00:00) is printed 2026-11-30, as the 整改通知书 says."""
    hazard = HazardFact("YH-2026-0001", "正阳社区", HazardGrade.GENERAL, HazardStatus.OPEN,
                        datetime(2026, 11, 26, 9, 30, tzinfo=CN_TZ), datetime(2026, 12, 1, tzinfo=CN_TZ))
    context = inspection_ledger_context(build_ledger("2026-11", MADE, [], [hazard]), office=OFFICE, made_at=MADE)
    document = docx.Document(str(render_document("inspection_ledger", context, tmp_path / "ledger.docx")))
    [row] = document.tables[2].rows[1:]
    assert [c.text for c in row.cells][5:] == ["2026-11-26", "2026-11-30", "5", "整改中"]
