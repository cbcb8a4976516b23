"""The duty roster (值班表): import the file an office keeps, tell who is on duty, and write the shift handover."""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from emergency.clock import CN_TZ, format_local, to_local
from emergency.db.models import DutyShiftRow, Office
from emergency.errors import InputError, NotFoundError
from emergency.plans.roster import COLUMN_FIELDS, RosterPlan, ShiftDefinition, load_roster_plan, normalise_heading
from emergency.services.organisation import add_shift, shift_at

MAX_REPORTED = 20
"""At most this many problems are named in one error (all of them stay on RosterError.problems)."""

HEADER_SEARCH_ROWS = 10
"""The heading row is looked for in the first rows, below any title rows (正阳街道2026年3月值班表)."""

NAME_MAX = 64
PHONE_MAX = 32
EARLIEST_YEAR, LATEST_YEAR = 2000, 2099

Row = tuple[int, list[object]]
"""A row as the office sees it: its number (1 = the first row of the sheet or file) and its cells."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One thing wrong with a roster file, by row number and column heading as written in the file."""

    row: int | None
    column: str | None
    why: str

    def __str__(self) -> str:
        where = [f"row {self.row}"] if self.row is not None else []
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.why}" if where else self.why


class RosterError(InputError):
    """A roster file with problems: every one is kept, the first MAX_REPORTED are named in the message."""

    def __init__(self, path: str, problems: Sequence[RowProblem]) -> None:
        self.problems = tuple(problems)
        named = "; ".join(str(p) for p in self.problems[:MAX_REPORTED])
        if len(self.problems) > MAX_REPORTED:
            named += f"; … and {len(self.problems) - MAX_REPORTED} more"
        count = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        super().__init__(path, None, f"{count}, nothing imported: {named}")


@dataclass(frozen=True, slots=True)
class ShiftInfo:
    """A stored shift as people read it: roster date, shift name, hours in Asia/Shanghai, who and how to call."""

    day: date
    shift: str | None
    starts_at: datetime
    ends_at: datetime
    duty_officer: str
    leader_on_duty: str
    phone: str

    @property
    def hours(self) -> str:
        """Return the local hours, e.g. '08:30–17:30' or '17:30–次日08:30'."""
        return local_hours(self.starts_at, self.ends_at)

    @property
    def label(self) -> str:
        """Return the shift's name, or its hours when no shift of the plan has them."""
        return self.shift or self.hours

    def covers(self, at: datetime) -> bool:
        """Return whether the shift is on duty at *at* (from its start, up to but not including its end)."""
        return self.starts_at <= at < self.ends_at


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What one import stored."""

    path: str
    shifts: int
    days: int
    first_day: date
    last_day: date
    replaced: int
    on_duty_now: ShiftInfo | None


@dataclass(frozen=True, slots=True)
class _Entry:
    """One valid row of the file."""

    row: int
    day: date
    definition: ShiftDefinition
    starts_at: datetime
    ends_at: datetime
    duty_officer: str
    leader_on_duty: str
    phone: str


# --- times -------------------------------------------------------------------------------------------------------


def local_midnight(day: date) -> datetime:
    """Return the start of *day* in Asia/Shanghai, as an aware UTC time."""
    return datetime.combine(day, time(0), tzinfo=CN_TZ).astimezone(UTC)


def local_hours(starts_at: datetime, ends_at: datetime) -> str:
    """Return a shift's hours in Asia/Shanghai, e.g. '17:30–次日08:30'."""
    start, end = to_local(starts_at), to_local(ends_at)
    days = (end.date() - start.date()).days
    prefix = "" if days == 0 else "次日" if days == 1 else f"{end:%Y-%m-%d} "
    return f"{start:%H:%M}–{prefix}{end:%H:%M}"


def _span(starts_at: datetime, ends_at: datetime) -> str:
    return f"{to_local(starts_at):%Y-%m-%d} {local_hours(starts_at, ends_at)}"


def _shift_times(day: date, definition: ShiftDefinition) -> tuple[datetime, datetime]:
    midnight = datetime.combine(day, time(0), tzinfo=CN_TZ)
    return ((midnight + definition.start_offset).astimezone(UTC),
            (midnight + definition.end_offset).astimezone(UTC))


# --- cells -------------------------------------------------------------------------------------------------------

_WEEKDAYS = "一二三四五六日"
_WEEKDAY_SUFFIX = re.compile(r"\s*[(（]?\s*(?:星期|周|礼拜)([一二三四五六日天])\s*[)）]?\s*$")
_MIDNIGHT_SUFFIX = re.compile(r"\s+0?0:00(?::00)?$")
_DATE_FORMS = (
    re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_PHONE_CHARS = re.compile(r"^[\d\s\-－—()（）+]+$")
_PHONE_DIGITS = re.compile(r"^(?:1\d{10}|0\d{9,11}|\d{7,8})$")
_PHONE_SEPARATORS = re.compile(r"\s*[/、，,;；]\s*")
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def _text(value: object) -> str:
    """Return a cell as stripped text ('' when empty)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_roster_date(value: object) -> date:
    """Parse a date as offices type it (2026-03-01, 2026/3/1, 2026年3月1日, Excel date cells); raise ValueError."""
    if isinstance(value, datetime):
        if value.time() != time(0):
            raise ValueError(f"{value:%Y-%m-%d %H:%M} has a time of day: give the date only")
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, bool) or (isinstance(value, int | float) and not re.fullmatch(r"\d{8}", _text(value))):
        raise ValueError(f"{_text(value)} is a number, not a date (format the cell as a date or write 2026-03-01)")
    else:
        day = _parse_date_text(_text(value))
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise ValueError(f"{day.isoformat()} is not a plausible roster date")
    return day


def _parse_date_text(text: str) -> date:
    if not text:
        raise ValueError("empty")
    body, weekday = text, None
    suffix = _WEEKDAY_SUFFIX.search(body)
    if suffix is not None:
        body, weekday = body[: suffix.start()], suffix.group(1).replace("天", "日")
    body = _MIDNIGHT_SUFFIX.sub("", body.strip())
    for form in _DATE_FORMS:
        match = form.match(body)
        if match is None:
            continue
        numbers = [g for g in match.groups() if g.isdigit()]
        try:
            day = date(int(numbers[0]), int(numbers[1]), int(numbers[2]))
        except ValueError:
            raise ValueError(f"{text!r} is not a date of the calendar") from None
        if weekday is not None and _WEEKDAYS[day.weekday()] != weekday:
            raise ValueError(f"{day.isoformat()} is a 星期{_WEEKDAYS[day.weekday()]}, not 星期{weekday}")
        return day
    raise ValueError(f"{text!r} is not a date (write 2026-03-01, 2026/3/1 or 2026年3月1日)")


def _name(value: object) -> str:
    text = _CJK_GAP.sub("", re.sub(r"\s+", " ", _text(value)))
    if not text:
        raise ValueError("empty")
    if sum(c.isdigit() for c in text) >= 5:
        raise ValueError(f"{text!r} looks like a phone number, not a name")
    if len(text) > NAME_MAX:
        raise ValueError(f"longer than {NAME_MAX} characters")
    return text


def _phone(value: object) -> str:
    text = re.sub(r"\s+", " ", _text(value))
    if not text:
        raise ValueError("empty")
    for part in _PHONE_SEPARATORS.split(text):
        digits = re.sub(r"\D", "", part)
        if part.startswith("+86") or (part.startswith("86") and len(digits) == 13):
            digits = digits[2:]
        if not _PHONE_CHARS.match(part) or not _PHONE_DIGITS.match(digits):
            raise ValueError(f"{part!r} is not a phone number (an 11-digit mobile, or a landline such as 0431-85001234)")
    if len(text) > PHONE_MAX:
        raise ValueError(f"longer than {PHONE_MAX} characters")
    return text


def _shift(plan: RosterPlan, value: object) -> ShiftDefinition:
    text = _text(value)
    if not text:
        raise ValueError("empty")
    definition = plan.find_shift(text)
    if definition is None:
        known = ", ".join(s.name for s in plan.shifts)
        raise ValueError(f"{text!r} is not a shift of plans/roster.yaml ({known})")
    return definition


# --- reading files -----------------------------------------------------------------------------------------------


def _decode(raw: bytes, path: Path) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    # Excel on a Chinese Windows saves CSV as GBK; GB18030 is its superset.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(str(path), None, "is neither UTF-8 nor GBK text")


def _read_csv(path: Path) -> list[list[Row]]:
    text = _decode(path.read_bytes(), path)
    sample = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS + 2])
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","  # Excel's "Unicode text" is tab-separated
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [[(number, list(cells)) for number, cells in enumerate(reader, start=1)]]
    except csv.Error as exc:
        raise InputError(str(path), None, f"is not a readable CSV file (line {reader.line_num}: {exc})") from None


def _read_xlsx(path: Path) -> list[list[Row]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException
    from openpyxl.worksheet.worksheet import Worksheet

    try:
        with warnings.catch_warnings():
            # openpyxl warns about extensions it drops (data validation, slicers): noise on the command line.
            warnings.simplefilter("ignore")
            workbook = load_workbook(path, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
        raise InputError(str(path), None, f"is not a readable .xlsx workbook ({exc})") from None
    sheets = [workbook.active, *workbook.worksheets]
    tables: list[list[Row]] = []
    for sheet in dict.fromkeys(s for s in sheets if isinstance(s, Worksheet)):
        grid: list[list[object]] = [list(cells) for cells in sheet.iter_rows(values_only=True)]
        # Offices merge a date (and its leader) across the rows of that day: every merged cell gets the value.
        for merged in sheet.merged_cells.ranges:
            value = grid[merged.min_row - 1][merged.min_col - 1]
            for r in range(merged.min_row - 1, min(merged.max_row, len(grid))):
                for c in range(merged.min_col - 1, min(merged.max_col, len(grid[r]))):
                    grid[r][c] = value
        tables.append(list(enumerate(grid, start=1)))
    return tables


def _read_tables(path: Path) -> list[list[Row]]:
    """Return the file's tables (a CSV file has one, a workbook one per sheet, the active sheet first)."""
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise InputError(str(path), None, "is an old Excel .xls file: save it as .xlsx or .csv")
    if suffix not in (".csv", ".tsv", ".txt", ".xlsx", ".xlsm"):
        raise InputError(str(path), None, "is neither a .csv nor a .xlsx file")
    try:
        return _read_xlsx(path) if suffix in (".xlsx", ".xlsm") else _read_csv(path)
    except FileNotFoundError:
        raise InputError(str(path), None, "file not found") from None
    except OSError as exc:
        raise InputError(str(path), None, f"cannot be read: {exc.strerror or exc}") from None


@dataclass(frozen=True, slots=True)
class Header:
    """A spreadsheet's heading row: where it is, which column holds each field, and what is wrong with it."""

    row: int
    index: int
    columns: dict[str, tuple[int, str]]
    problems: tuple[RowProblem, ...]


def find_header(rows: list[Row], headings: Callable[[str], Sequence[str]], fields: Sequence[str], *,
                required: Sequence[str], min_found: int) -> Header | None:
    """Return the first of the top rows naming at least *min_found* fields, with duplicate and missing columns."""
    lookup = {normalise_heading(h): field for field in fields for h in headings(field)}
    for index, (number, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found: dict[str, list[tuple[int, str]]] = {}
        for col, cell in enumerate(cells):
            heading = cell.strip() if isinstance(cell, str) else ""
            field = lookup.get(normalise_heading(heading)) if heading else None
            if field is not None:
                found.setdefault(field, []).append((col, heading))
        if len(found) < min_found:
            continue
        problems = [RowProblem(number, None, f"columns {' and '.join(h for _, h in found[f])} are the same column ({f})")
                    for f in fields if len(found.get(f, [])) > 1]
        problems += [RowProblem(number, None, f"no column {headings(f)[0]} ({f})") for f in required if f not in found]
        return Header(number, index, {f: found[f][0] for f in found}, tuple(problems))
    return None


def _find_header(plan: RosterPlan, rows: list[Row]) -> Header | None:
    return find_header(rows, plan.columns.headings, COLUMN_FIELDS, required=COLUMN_FIELDS, min_found=2)


def _parse_rows(plan: RosterPlan, rows: list[Row], header: Header) -> tuple[list[_Entry], list[RowProblem]]:
    entries: list[_Entry] = []
    problems: list[RowProblem] = []
    parsers: dict[str, Callable[[object], object]] = {
        "date": parse_roster_date, "shift": lambda value: _shift(plan, value), "duty_officer": _name,
        "leader_on_duty": _name, "phone": _phone,
    }
    for number, cells in rows[header.index + 1:]:
        if all(_text(c) == "" for c in cells):
            continue
        raw = {f: cells[col] if col < len(cells) else None for f, (col, _) in header.columns.items()}
        parsed: dict[str, object] = {}
        for field in COLUMN_FIELDS:
            try:
                parsed[field] = parsers[field](raw[field])
            except ValueError as exc:
                problems.append(RowProblem(number, header.columns[field][1], str(exc)))
        if len(parsed) < len(COLUMN_FIELDS):
            continue
        day, definition = parsed["date"], parsed["shift"]
        assert isinstance(day, date) and isinstance(definition, ShiftDefinition)
        starts_at, ends_at = _shift_times(day, definition)
        entries.append(_Entry(number, day, definition, starts_at, ends_at, str(parsed["duty_officer"]),
                              str(parsed["leader_on_duty"]), str(parsed["phone"])))
    return entries, problems


def _check_overlaps(entries: list[_Entry], shift_column: str) -> tuple[list[_Entry], list[RowProblem]]:
    """Return the entries kept and a problem for each duplicate or overlapping row."""
    problems: list[RowProblem] = []
    first_of: dict[tuple[date, str], _Entry] = {}
    kept: list[_Entry] = []
    for entry in entries:
        earlier = first_of.get((entry.day, entry.definition.name))
        if earlier is None:
            first_of[(entry.day, entry.definition.name)] = entry
            kept.append(entry)
        elif (earlier.duty_officer, earlier.leader_on_duty, earlier.phone) == (
                entry.duty_officer, entry.leader_on_duty, entry.phone):
            problems.append(RowProblem(entry.row, None, f"duplicate of row {earlier.row}"))
        else:
            problems.append(RowProblem(entry.row, shift_column, f"{entry.day.isoformat()} {entry.definition.name} "
                                       f"is already given in row {earlier.row} ({earlier.duty_officer})"))
    latest: _Entry | None = None
    for entry in sorted(kept, key=lambda e: (e.starts_at, e.row)):
        if latest is not None and entry.starts_at < latest.ends_at:
            problems.append(RowProblem(entry.row, shift_column, f"{entry.definition.name} "
                                       f"{_span(entry.starts_at, entry.ends_at)} overlaps row {latest.row} "
                                       f"({latest.definition.name} {_span(latest.starts_at, latest.ends_at)})"))
        if latest is None or entry.ends_at > latest.ends_at:
            latest = entry
    return kept, problems


def _stored_between(session: Session, office: Office, start: datetime, end: datetime) -> list[DutyShiftRow]:
    """Return the stored shifts on duty at some time in [start, end)."""
    return list(session.scalars(select(DutyShiftRow).where(
        DutyShiftRow.office_id == office.id, DutyShiftRow.starts_at < end, DutyShiftRow.ends_at > start,
    ).order_by(DutyShiftRow.starts_at, DutyShiftRow.id)))


def import_roster(session: Session, *, office: Office, path: Path, now: datetime,
                  plan: RosterPlan | None = None) -> ImportSummary:
    """Check every row of a roster file (CSV or XLSX) and store its shifts in place of those of the same dates."""
    # Every problem is collected and raised as one RosterError before anything is written: all or nothing.
    plan = plan or load_roster_plan()
    tables = _read_tables(path)
    found = [(rows, header) for rows in tables if (header := _find_header(plan, rows)) is not None]
    if not found:
        wanted = ", ".join(plan.columns.headings(f)[0] for f in COLUMN_FIELDS)
        raise InputError(str(path), None, f"no heading row with the columns {wanted} in its first "
                                          f"{HEADER_SEARCH_ROWS} rows")
    rows, header = found[0]
    if header.problems:
        raise RosterError(str(path), header.problems)
    entries, problems = _parse_rows(plan, rows, header)
    shift_column = header.columns["shift"][1]
    kept, overlap_problems = _check_overlaps(entries, shift_column)
    problems += overlap_problems
    if not entries and not problems:
        raise InputError(str(path), None, f"has a heading row (row {header.row}) but no shifts below it")
    days = {e.day for e in entries}
    replaced: list[DutyShiftRow] = []
    if kept:
        # Everything stored that starts on one of the file's dates is replaced; a neighbour it does not replace
        # (the night shift of the day before, the day after) must not overlap the new shifts.
        start = local_midnight(min(days))
        end = max(local_midnight(max(days) + timedelta(days=1)), *(e.ends_at for e in kept))
        stored = _stored_between(session, office, start, end)
        replaced = [row for row in stored if to_local(row.starts_at).date() in days]
        replaced_ids = {row.id for row in replaced}
        neighbours = [row for row in stored if row.id not in replaced_ids]
        for entry in kept:
            for row in neighbours:
                if entry.starts_at < row.ends_at and row.starts_at < entry.ends_at:
                    problems.append(RowProblem(entry.row, shift_column, f"{entry.definition.name} "
                                               f"{_span(entry.starts_at, entry.ends_at)} overlaps the stored shift "
                                               f"{_span(row.starts_at, row.ends_at)} of {row.duty_officer}, "
                                               "which this file does not replace"))
    if problems:
        raise RosterError(str(path), sorted(problems, key=lambda p: p.row or 0))
    for row in replaced:
        session.delete(row)
    session.flush()
    for entry in sorted(kept, key=lambda e: e.starts_at):
        add_shift(session, office=office, starts_at=entry.starts_at, ends_at=entry.ends_at,
                  duty_officer=entry.duty_officer, leader_on_duty=entry.leader_on_duty, phone=entry.phone)
    return ImportSummary(path=str(path), shifts=len(kept), days=len(days), first_day=min(days), last_day=max(days),
                         replaced=len(replaced), on_duty_now=on_duty(session, office=office, at=now, plan=plan))


# --- reading the roster ------------------------------------------------------------------------------------------


def shift_info(row: DutyShiftRow, plan: RosterPlan) -> ShiftInfo:
    """Return a stored shift with its roster date and the name of the plan's shift that has its hours."""
    start = to_local(row.starts_at)
    midnight = datetime.combine(start.date(), time(0), tzinfo=CN_TZ)
    definition = plan.shift_named_by_hours(start - midnight, to_local(row.ends_at) - midnight)
    return ShiftInfo(day=start.date(), shift=definition.name if definition else None, starts_at=row.starts_at,
                     ends_at=row.ends_at, duty_officer=row.duty_officer, leader_on_duty=row.leader_on_duty,
                     phone=row.phone)


def roster_for_day(session: Session, *, office: Office, day: date, plan: RosterPlan | None = None) -> list[ShiftInfo]:
    """Return every shift on duty at some time of *day* (Asia/Shanghai), the night shift of the day before included."""
    plan = plan or load_roster_plan()
    rows = _stored_between(session, office, local_midnight(day), local_midnight(day + timedelta(days=1)))
    return [shift_info(row, plan) for row in rows]


def on_duty(session: Session, *, office: Office, at: datetime, plan: RosterPlan | None = None) -> ShiftInfo | None:
    """Return the shift on duty at *at*: from its start up to, not including, its end (at 17:30 the night shift)."""
    row = shift_at(session, office=office, at=at)
    return shift_info(row, plan or load_roster_plan()) if row is not None else None


def handover(session: Session, *, office: Office, at: datetime, open_items: Sequence[str],
             plan: RosterPlan | None = None) -> str:
    """Return the handover (交接班) text ending the shift on duty at *at*, listing the open items passed in."""
    # The outgoing shift has start < at <= end: a handover written during a shift, or exactly at its end, is that
    # shift's (at 17:30 the day shift hands over). The incoming shift is the one on duty when the outgoing one ends.
    plan = plan or load_roster_plan()
    row = session.scalar(select(DutyShiftRow).where(
        DutyShiftRow.office_id == office.id, DutyShiftRow.starts_at < at, DutyShiftRow.ends_at >= at,
    ).order_by(DutyShiftRow.starts_at.desc(), DutyShiftRow.id.desc()).limit(1))
    if row is None:
        raise NotFoundError(f"{office.name} has no shift on duty at {format_local(at)} (Asia/Shanghai): "
                            "import the roster with `emergency roster import FILE`")
    outgoing = shift_info(row, plan)
    incoming = on_duty(session, office=office, at=outgoing.ends_at, plan=plan)
    lines = [
        f"值班交接（{office.name}）",
        f"交接时间：{format_local(outgoing.ends_at)}",
        f"交班：{outgoing.label} 值班员{outgoing.duty_officer}（带班领导{outgoing.leader_on_duty}）",
    ]
    if incoming is None:
        lines.append("接班：值班表中无接班人员，请立即补排值班表")
    else:
        lines.append(f"接班：{incoming.label} 值班员{incoming.duty_officer}（带班领导{incoming.leader_on_duty}，"
                     f"联系电话{incoming.phone}）")
    items = [item.strip() for item in open_items if item.strip()]
    if items:
        lines.append(f"未结事项（{len(items)}项）：")
        lines += [f"{n}. {item}" for n, item in enumerate(items, start=1)]
    else:
        lines.append("未结事项：无")
    return "\n".join(lines)
