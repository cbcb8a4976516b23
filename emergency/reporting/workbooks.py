"""Excel workbooks (.xlsx) for officials who filter and sort: one sheet per table, typed cells, written atomically.

The only module that writes .xlsx. Every sheet has one header row, frozen under it, with an autofilter over the
data rows; a totals row, if any, sits below the filtered range so that sorting never moves it. Cells keep their
type: numbers as numbers, dates as dates, times as Beijing times (Excel has no time zones), rates as fractions
shown as percentages.
"""

from __future__ import annotations

import contextlib
import copy
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from emergency.clock import CN_TZ

Value = str | int | float | date | datetime | None
"""What a cell may hold; an aware datetime is written as Beijing time."""

DATE = "yyyy-mm-dd"
TIME = "yyyy-mm-dd hh:mm"
RATE = "0.0%"
DAYS = "0.0"
INTEGER = "0"
HEADER_FONT = Font(name="宋体", bold=True)
BODY_FONT = Font(name="宋体")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its header, width in characters, and the number format of its cells (None: General)."""

    header: str
    width: float = 12
    number_format: str | None = None


@dataclass(frozen=True, slots=True)
class Sheet:
    """One table: a title (≤ 31 characters, Excel's limit), columns, data rows and an optional totals row."""

    title: str
    columns: tuple[Column, ...]
    rows: Sequence[Sequence[Value]]
    totals: Sequence[Value] | None = None

    def __post_init__(self) -> None:
        if not 0 < len(self.title) <= 31 or any(c in self.title for c in "[]:*?/\\"):
            raise ValueError(f"sheet title {self.title!r} is not allowed by Excel")


def _plain(value: Value) -> Value:
    """Return *value* as Excel can store it: an aware datetime becomes Beijing wall time."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(CN_TZ).replace(tzinfo=None)
    return value


def _write_sheet(sheet_out: Any, sheet: Sheet) -> None:
    """Write one sheet: header, data rows, totals; widths, frozen header and autofilter."""
    # *sheet_out* is openpyxl's write-only worksheet, whose stubs lack the column_dimensions and auto_filter it has.
    for index, column in enumerate(sheet.columns, start=1):
        sheet_out.column_dimensions[get_column_letter(index)].width = column.width
    sheet_out.freeze_panes = "A2"
    last_column = get_column_letter(len(sheet.columns))
    sheet_out.auto_filter.ref = f"A1:{last_column}{max(len(sheet.rows), 1) + 1}"

    header = []
    for column in sheet.columns:
        cell = WriteOnlyCell(sheet_out, value=column.header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header.append(cell)
    sheet_out.append(header)

    # One styled prototype per column; copying its style array is far cheaper than styling each cell anew.
    prototypes: list[Any] = []
    for column in sheet.columns:
        proto = WriteOnlyCell(sheet_out, value=None)
        proto.font = BODY_FONT
        if column.number_format:
            proto.number_format = column.number_format
        prototypes.append(proto)

    def styled(values: Sequence[Value], *, bold: bool = False) -> list[Any]:
        if len(values) != len(sheet.columns):
            raise ValueError(f"sheet {sheet.title}: a row has {len(values)} cells for {len(sheet.columns)} columns")
        cells: list[Any] = []
        for proto, value in zip(prototypes, values, strict=True):
            cell: Any = WriteOnlyCell(sheet_out, value=_plain(value))  # type: ignore[arg-type]  # stubs omit date
            cell._style = copy.copy(proto._style)
            if bold:
                cell.font = HEADER_FONT
            cells.append(cell)
        return cells

    for row in sheet.rows:
        sheet_out.append(styled(row))
    if sheet.totals is not None:
        sheet_out.append(styled(sheet.totals, bold=True))


def write_workbook(sheets: Sequence[Sheet], out_path: Path, *, title: str = "", description: str = "") -> Path:
    """Write *sheets* as one .xlsx at *out_path* (atomically: readers never see part of a file) and return it."""
    book = Workbook(write_only=True)
    book.properties.title = title or None
    book.properties.description = description or None
    book.properties.creator = "emergency"
    for sheet in sheets:
        _write_sheet(book.create_sheet(sheet.title), sheet)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp", dir=out_path.parent)
    os.close(fd)
    try:
        book.save(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out_path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return out_path
