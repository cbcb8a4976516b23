"""The duty roster (值班表): CSV/XLSX import checked row by row, all or nothing, idempotent; on duty; handover."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from emergency.clock import CN_TZ
from emergency.db.models import DutyShiftRow
from emergency.db.session import unit_of_work
from emergency.errors import InputError, NotFoundError, RulesError
from emergency.plans.roster import load_roster_plan
from emergency.services.incidents import get_office
from emergency.services.organisation import add_shift
from emergency.services.roster import (
    ImportSummary,
    RosterError,
    ShiftInfo,
    handover,
    import_roster,
    on_duty,
    parse_roster_date,
    roster_for_day,
)
from tests.conftest import CliResult, CliRunner
from tests.integration.support import OFFICE, ROOT

NOW = datetime(2026, 3, 2, 20, 0, tzinfo=CN_TZ)
HEADER = ("日期", "班次", "值班员", "带班领导", "联系电话")
EXAMPLE_CSV = ROOT / "examples" / "roster-2026-03.csv"
EXAMPLE_XLSX = ROOT / "examples" / "roster-2026-03.xlsx"

Stored = tuple[datetime, datetime, str, str, str]


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    """Return 2026-03-<day> hour:minute UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def local(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """Return 2026-03-<day> hour:minute:second in Asia/Shanghai."""
    return datetime(2026, 3, day, hour, minute, second, tzinfo=CN_TZ)


def write_csv(folder: Path, rows: Sequence[Sequence[object]], *, header: Sequence[str] = HEADER,
              name: str = "roster.csv", encoding: str = "utf-8") -> Path:
    """Write a roster CSV (the header, then the rows) and return its path."""
    path = folder / name
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def import_file(sessions: sessionmaker[Session], path: Path, now: datetime = NOW) -> ImportSummary:
    """Import a roster file through the service in one unit of work."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        return import_roster(session, office=office, path=path, now=now)


def stored(sessions: sessionmaker[Session]) -> list[Stored]:
    """Return every stored shift as (starts_at, ends_at, duty officer, leader on duty, phone), by start."""
    with unit_of_work(sessions) as session:
        rows = session.scalars(select(DutyShiftRow).order_by(DutyShiftRow.starts_at))
        return [(r.starts_at, r.ends_at, r.duty_officer, r.leader_on_duty, r.phone) for r in rows]


def problems_of(sessions: sessionmaker[Session], path: Path) -> list[str]:
    """Import a file that must fail and return its problems as the user reads them."""
    with pytest.raises(RosterError) as raised:
        import_file(sessions, path)
    return [str(p) for p in raised.value.problems]


DAY_AND_NIGHT = [
    ("2026-03-01", "白班", "周平", "张伟", "13800000003"),
    ("2026-03-01", "夜班", "郑红", "李强", "13800000005"),
]
DAY_AND_NIGHT_STORED = [
    (utc(1, 0, 30), utc(1, 9, 30), "周平", "张伟", "13800000003"),
    (utc(1, 9, 30), utc(2, 0, 30), "郑红", "李强", "13800000005"),
]


# --- importing ---------------------------------------------------------------------------------------------------


def test_csv_import_stores_each_shift_in_utc(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """白班 08:30–17:30 and 夜班 17:30–次日08:30 of 1 March are stored as exact UTC times; the counts are returned."""
    summary = import_file(sessions, write_csv(tmp_path, DAY_AND_NIGHT))
    assert stored(sessions) == DAY_AND_NIGHT_STORED
    assert (summary.shifts, summary.days, summary.first_day, summary.last_day, summary.replaced) == (
        2, 1, date(2026, 3, 1), date(2026, 3, 1), 0)
    assert summary.on_duty_now is None  # 2 March 20:00 is after this file's last shift


def test_csv_from_excel_in_gbk_with_english_headings_and_extra_columns(sessions: sessionmaker[Session],
                                                                      tmp_path: Path) -> None:
    """A GBK file with English headings in another order, a 星期 column and padded names is read as intended."""
    rows = [("白班", "2026年3月1日（星期日）", "周　平", "张 伟", "138-0000-0003", "星期日"),
            ("night", "2026/3/1", "郑红", "李强", "13800000005", "")]
    path = write_csv(tmp_path, rows, header=("Shift", "Date", "Duty officer", "leader_on_duty", "PHONE", "星期"),
                     encoding="gb18030")
    import_file(sessions, path)
    assert stored(sessions) == [
        (utc(1, 0, 30), utc(1, 9, 30), "周平", "张伟", "138-0000-0003"),
        (utc(1, 9, 30), utc(2, 0, 30), "郑红", "李强", "13800000005"),
    ]


def test_xlsx_import_reads_date_cells_below_a_title_and_merged_dates(sessions: sessionmaker[Session],
                                                                    tmp_path: Path) -> None:
    """An XLSX with a title row, real date cells (one merged over a day's two shifts) and numeric phones imports."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["正阳街道2026年3月值班表"])
    sheet.merge_cells("A1:E1")
    sheet.append(list(HEADER))
    sheet.append([date(2026, 3, 1), "白班", "周平", "张伟", 13800000003])
    sheet.append([None, "夜班", "郑红", "李强", 13800000005])
    sheet.merge_cells("A3:A4")
    sheet.append([datetime(2026, 3, 2), "全天", "吴刚", "李强", "0431-85001234"])  # noqa: DTZ001 (cells are naive)
    path = tmp_path / "roster.xlsx"
    workbook.save(path)
    summary = import_file(sessions, path)
    assert stored(sessions) == [*DAY_AND_NIGHT_STORED, (utc(2, 0, 30), utc(3, 0, 30), "吴刚", "李强", "0431-85001234")]
    assert (summary.shifts, summary.days) == (3, 2)


def test_example_files_hold_the_same_week_without_gaps(sessions: sessionmaker[Session]) -> None:
    """examples/roster-2026-03.csv and .xlsx hold the same week of 正阳街道, each shift handing over to the next."""
    first = import_file(sessions, EXAMPLE_CSV)
    from_csv = stored(sessions)
    second = import_file(sessions, EXAMPLE_XLSX)
    assert stored(sessions) == from_csv
    assert (first.shifts, first.days, first.first_day, first.last_day) == (12, 7, date(2026, 3, 1), date(2026, 3, 7))
    assert (second.shifts, second.replaced) == (12, 12)
    assert from_csv[0][:2] == (utc(1, 0, 30), utc(2, 0, 30))
    assert from_csv[-1][:2] == (utc(7, 0, 30), utc(8, 0, 30))
    assert all(earlier[1] == later[0] for earlier, later in pairwise(from_csv))
    assert first.on_duty_now is not None
    assert (first.on_duty_now.shift, first.on_duty_now.duty_officer) == ("夜班", "郑红")


@pytest.mark.parametrize("text", [
    "2026-03-01", "2026-3-1", "2026/3/1", "2026/03/01", "2026.3.1", "2026年3月1日", "2026年03月01日", "2026年3月1号",
    "20260301", "2026-03-01 00:00:00", "2026年3月1日（星期日）", "2026/3/1 周日", "2026-03-01(星期天)",
])
def test_dates_as_offices_type_them(text: str) -> None:
    """Every date form an office types means 1 March 2026."""
    assert parse_roster_date(text) == date(2026, 3, 1)


@pytest.mark.parametrize(("value", "why"), [
    ("3月1日", "'3月1日' is not a date (write 2026-03-01, 2026/3/1 or 2026年3月1日)"),
    ("2026-02-30", "'2026-02-30' is not a date of the calendar"),
    ("2026年3月1日（星期一）", "2026-03-01 is a 星期日, not 星期一"),
    ("1926-03-01", "1926-03-01 is not a plausible roster date"),
    (46082, "46082 is a number, not a date (format the cell as a date or write 2026-03-01)"),
    (datetime(2026, 3, 1, 8, 30), "2026-03-01 08:30 has a time of day: give the date only"),  # noqa: DTZ001 (a cell)
    ("", "empty"),
])
def test_dates_that_are_refused(value: object, why: str) -> None:
    """A date without a year, off the calendar, on the wrong weekday, a bare number or with a time is refused."""
    with pytest.raises(ValueError) as raised:
        parse_roster_date(value)
    assert str(raised.value) == why


# --- validation --------------------------------------------------------------------------------------------------


def test_every_bad_row_is_reported_by_row_and_column(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """One error names every problem of the file, each by row number (the heading is row 1) and column heading."""
    rows = [
        ("2026-03-01", "白班", "周平", "张伟", "13800000003"),                # row 2: good
        ("2026-03-02", "白班", "", "张伟", "13800000003"),                    # row 3
        ("2026-02-30", "白班", "周平", "张伟", "13800000003"),                # row 4
        ("2026-03-03", "中班", "周平", "张伟", "13800000003"),                # row 5
        ("2026-03-04", "白班", "周平", "张伟", "1380000000"),                 # row 6
        ("2026-03-05", "白班", "周平", "13800000002", "13800000003"),         # row 7
        ("3月6日", "白班", "周平", "张伟", "13800000003"),                    # row 8
        ("2026年3月7日（星期一）", "白班", "周平", "张伟", "13800000003"),     # row 9
        ("2026/3/1", "白班", "周平", "张伟", "13800000003"),                  # row 10: same as row 2
        ("2026-03-01", "白班", "吴刚", "李强", "13800000004"),                # row 11: 白班 of 1 March again
        ("2026-03-01", "全天", "冯军", "李强", "13800000006"),                # row 12: overlaps row 2
        ("", "白班", "周平", "张伟", ""),                                      # row 13: two problems
        ("", "", "", "", ""),                                                  # row 14: blank, skipped
    ]
    problems = problems_of(sessions, write_csv(tmp_path, rows))
    assert problems == [
        "row 3, column 值班员: empty",
        "row 4, column 日期: '2026-02-30' is not a date of the calendar",
        "row 5, column 班次: '中班' is not a shift of plans/roster.yaml (白班, 夜班, 全天)",
        "row 6, column 联系电话: '1380000000' is not a phone number (an 11-digit mobile, or a landline such as 0431-85001234)",
        "row 7, column 带班领导: '13800000002' looks like a phone number, not a name",
        "row 8, column 日期: '3月6日' is not a date (write 2026-03-01, 2026/3/1 or 2026年3月1日)",
        "row 9, column 日期: 2026-03-07 is a 星期六, not 星期一",
        "row 10: duplicate of row 2",
        "row 11, column 班次: 2026-03-01 白班 is already given in row 2 (周平)",
        "row 12, column 班次: 全天 2026-03-01 08:30–次日08:30 overlaps row 2 (白班 2026-03-01 08:30–17:30)",
        "row 13, column 日期: empty",
        "row 13, column 联系电话: empty",
    ]
    assert stored(sessions) == []


def test_bad_xlsx_cells_are_reported_by_sheet_row(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """In a workbook the row number is the sheet's: a number in the date column, a time of day, a bool phone."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["值班表"])
    sheet.append([])
    sheet.append(list(HEADER))
    sheet.append([46082, "白班", "周平", "张伟", "13800000003"])
    sheet.append([datetime(2026, 3, 1, 17, 30), "夜班", "郑红", "李强", True])  # noqa: DTZ001 (cells are naive)
    path = tmp_path / "bad.xlsx"
    workbook.save(path)
    assert problems_of(sessions, path) == [
        "row 4, column 日期: 46082 is a number, not a date (format the cell as a date or write 2026-03-01)",
        "row 5, column 日期: 2026-03-01 17:30 has a time of day: give the date only",
        "row 5, column 联系电话: 'True' is not a phone number (an 11-digit mobile, or a landline such as 0431-85001234)",
    ]


def test_error_message_is_one_line_naming_at_most_twenty_problems(sessions: sessionmaker[Session],
                                                                  tmp_path: Path) -> None:
    """25 bad rows: the message is one line naming the first 20 and counting the rest; all 25 are kept."""
    rows = [(f"2026-03-{day:02d}", "白班", "", "张伟", "13800000003") for day in range(1, 26)]
    path = write_csv(tmp_path, rows)
    with pytest.raises(RosterError) as raised:
        import_file(sessions, path)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: 25 problems, nothing imported: row 2, column 值班员: empty; row 3, ")
    assert message.endswith("row 21, column 值班员: empty; … and 5 more")
    assert len(raised.value.problems) == 25


def test_missing_columns_and_files_that_are_no_roster(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """A missing column is named; a file without a heading row, an .xls file or a missing file is one clear error."""
    no_phone = write_csv(tmp_path, [("2026-03-01", "白班", "周平", "张伟")], header=HEADER[:4])
    assert problems_of(sessions, no_phone) == ["row 1: no column 联系电话 (phone)"]
    cases = {
        write_csv(tmp_path, [("a", "b")], header=("名称", "备注"), name="other.csv"): "no heading row with the columns",
        write_csv(tmp_path, [], name="empty.csv"): "has a heading row (row 1) but no shifts below it",
        tmp_path / "old.xls": "is an old Excel .xls file: save it as .xlsx or .csv",
        tmp_path / "absent.csv": "file not found",
        write_csv(tmp_path, [], name="fake.xlsx"): "is not a readable .xlsx workbook",
    }
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    for path, why in cases.items():
        with pytest.raises(InputError) as raised:
            import_file(sessions, path)
        assert raised.value.record == str(path)
        assert why in raised.value.why, (path, raised.value.why)
    assert stored(sessions) == []


def test_a_bad_file_leaves_the_stored_roster_untouched(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """Re-importing the same dates with one bad row is refused whole: the stored shifts are unchanged."""
    import_file(sessions, write_csv(tmp_path, DAY_AND_NIGHT))
    spoilt = [("2026-03-01", "白班", "吴刚", "李强", "13800000004"), ("2026-03-01", "夜班", "冯军", "", "13800000006")]
    assert problems_of(sessions, write_csv(tmp_path, spoilt, name="spoilt.csv")) == ["row 3, column 带班领导: empty"]
    assert stored(sessions) == DAY_AND_NIGHT_STORED


def test_reimport_replaces_the_shifts_of_the_same_dates(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """Importing a file twice stores it once; a corrected file for one date replaces only that date's shifts."""
    week = write_csv(tmp_path, [*DAY_AND_NIGHT, ("2026-03-02", "全天", "吴刚", "李强", "13800000004")])
    import_file(sessions, week)
    before = stored(sessions)
    again = import_file(sessions, week)
    assert (again.shifts, again.replaced) == (3, 3)
    assert stored(sessions) == before
    corrected = write_csv(tmp_path, [("2026-03-01", "全天", "冯军", "张伟", "13800000006")], name="fix.csv")
    summary = import_file(sessions, corrected)
    assert (summary.shifts, summary.replaced) == (1, 2)
    assert stored(sessions) == [(utc(1, 0, 30), utc(2, 0, 30), "冯军", "张伟", "13800000006"), before[2]]


def test_a_shift_overlapping_a_stored_shift_it_does_not_replace_is_refused(sessions: sessionmaker[Session],
                                                                            tmp_path: Path) -> None:
    """A stored shift of the day before that runs into the file's first shift is named, and nothing is stored."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        add_shift(session, office=office, starts_at=local(1, 20), ends_at=local(2, 10), duty_officer="吴刚",
                  leader_on_duty="李强", phone="13800000004")
    path = write_csv(tmp_path, [("2026-03-02", "白班", "周平", "张伟", "13800000003")])
    assert problems_of(sessions, path) == [
        "row 2, column 班次: 白班 2026-03-02 08:30–17:30 overlaps the stored shift 2026-03-01 20:00–次日10:00 of 吴刚, "
        "which this file does not replace",
    ]
    assert len(stored(sessions)) == 1


def test_shift_plan_is_data_and_checked_at_load(tmp_path: Path) -> None:
    """plans/roster.yaml names the shifts; an unquoted time or a shift ending before it starts is refused at load."""
    plan = load_roster_plan()
    assert [(s.name, s.starts, s.ends) for s in plan.shifts] == [
        ("白班", "08:30", "17:30"), ("夜班", "17:30", "次日08:30"), ("全天", "08:30", "次日08:30")]
    columns = "columns: {date: [日期], shift: [班次], duty_officer: [值班员], leader_on_duty: [带班领导], phone: [电话]}\n"
    (tmp_path / "roster.yaml").write_text("shifts:\n  - {name: 夜班, starts: 17:30, ends: 次日08:30}\n" + columns,
                                          encoding="utf-8")
    with pytest.raises(RulesError, match=r'write the time in quotes, e\.g\. "17:30"'):
        load_roster_plan(tmp_path)
    (tmp_path / "roster.yaml").write_text('shifts:\n  - {name: 夜班, starts: "17:30", ends: "08:30"}\n' + columns,
                                          encoding="utf-8")
    with pytest.raises(RulesError, match="not after it starts"):
        load_roster_plan(tmp_path)


# --- who is on duty, the handover --------------------------------------------------------------------------------


def test_on_duty_across_midnight(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """The night shift of 1 March is on duty from 17:30 up to 08:30 on 2 March, past midnight; then the day shift."""
    rows = [*DAY_AND_NIGHT, ("2026-03-02", "白班", "吴刚", "李强", "13800000004")]
    import_file(sessions, write_csv(tmp_path, rows))
    night = ShiftInfo(day=date(2026, 3, 1), shift="夜班", starts_at=utc(1, 9, 30), ends_at=utc(2, 0, 30),
                      duty_officer="郑红", leader_on_duty="李强", phone="13800000005")
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)

        def who(at: datetime) -> ShiftInfo | None:
            return on_duty(session, office=office, at=at)

        assert who(local(1, 8, 29, 59)) is None
        before_change = who(local(1, 17, 29, 59))
        assert before_change is not None and (before_change.shift, before_change.duty_officer) == ("白班", "周平")
        assert who(local(1, 17, 30)) == night
        assert who(local(2, 0, 0)) == night
        assert who(local(2, 8, 29, 59)) == night
        day_shift = who(local(2, 8, 30))
        assert day_shift is not None
        assert (day_shift.day, day_shift.shift, day_shift.starts_at, day_shift.ends_at, day_shift.duty_officer) == (
            date(2026, 3, 2), "白班", utc(2, 0, 30), utc(2, 9, 30), "吴刚")
        assert who(local(2, 17, 30)) is None
        assert night.hours == "17:30–次日08:30"


def test_roster_for_a_day_includes_the_night_shift_of_the_evening_before(sessions: sessionmaker[Session]) -> None:
    """2 March shows the 1 March 全天 shift (until 08:30), then its own 白班 and 夜班, in order."""
    import_file(sessions, EXAMPLE_CSV)
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        shifts = roster_for_day(session, office=office, day=date(2026, 3, 2))
        empty = roster_for_day(session, office=office, day=date(2026, 3, 9))
    assert [(s.day, s.shift, s.hours, s.duty_officer, s.leader_on_duty, s.phone) for s in shifts] == [
        (date(2026, 3, 1), "全天", "08:30–次日08:30", "吴刚", "李强", "13800000004"),
        (date(2026, 3, 2), "白班", "08:30–17:30", "周平", "张伟", "13800000003"),
        (date(2026, 3, 2), "夜班", "17:30–次日08:30", "郑红", "李强", "13800000005"),
    ]
    assert empty == []


HANDOVER = """值班交接（长春市绿园区正阳街道办事处）
交接时间：2026-03-02 17:30
交班：白班 值班员周平（带班领导张伟）
接班：夜班 值班员郑红（带班领导李强，联系电话13800000005）
未结事项（2项）：
1. 2026-0301 万福街某餐馆燃气爆炸：终报应于2026-03-03 20:00前报送
2. 12345转来青年路燃气异味，待核实"""


def test_handover_names_who_hands_over_to_whom_and_what_is_open(sessions: sessionmaker[Session]) -> None:
    """Written during the day shift or exactly at its end, the handover is the day shift's, with the items passed."""
    import_file(sessions, EXAMPLE_CSV)
    items = ["2026-0301 万福街某餐馆燃气爆炸：终报应于2026-03-03 20:00前报送", "12345转来青年路燃气异味，待核实", " "]
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        assert handover(session, office=office, at=local(2, 17, 30), open_items=items) == HANDOVER
        assert handover(session, office=office, at=local(2, 17, 0), open_items=items) == HANDOVER
        last = handover(session, office=office, at=local(8, 8, 30), open_items=[])
        with pytest.raises(NotFoundError, match="has no shift on duty at 2026-03-09 12:00"):
            handover(session, office=office, at=local(9, 12), open_items=[])
    assert last == """值班交接（长春市绿园区正阳街道办事处）
交接时间：2026-03-08 08:30
交班：全天 值班员周平（带班领导张伟）
接班：值班表中无接班人员，请立即补排值班表
未结事项：无"""


# --- the command line --------------------------------------------------------------------------------------------


def assert_one_line_error(result: CliResult, *needles: str) -> None:
    """Exit 1 with one error line on stderr naming every needle, and no traceback."""
    assert result.code == 1, result
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_cli_imports_and_shows_the_roster(cli: CliRunner, tmp_path: Path) -> None:
    """`roster import` counts, `roster show` marks who is on duty; a bad file exits 1 with one line, nothing stored."""
    assert cli("init").code == 0
    done = cli("roster", "import", EXAMPLE_XLSX, now="2026-03-02T20:00:00+08:00")
    assert done.code == 0, done
    assert "Imported 12 shifts on 7 days (2026-03-01 to 2026-03-07)" in done.stdout
    assert "replaced 0 stored shifts" in done.stdout
    assert "On duty now: 夜班 郑红" in done.stdout

    shown = cli("roster", "show", "--date", "2026-03-02", now="2026-03-02T20:00:00+08:00")
    assert shown.code == 0, shown
    lines = shown.stdout.splitlines()
    assert "长春市绿园区正阳街道办事处 值班表 2026-03-02（星期一）" in shown.stdout
    on_now = [line for line in lines if "在班" in line and "郑红" in line]
    assert len(on_now) == 1 and "17:30–次日08:30" in on_now[0]
    assert [line for line in lines if "周平" in line and "在班" not in line]
    assert [line for line in lines if "吴刚" in line and "全天" in line]

    today = cli("roster", "show", now="2026-03-03T03:00:00+08:00")
    assert today.code == 0, today
    assert "2026-03-03（星期二）" in today.stdout
    assert [line for line in today.stdout.splitlines() if "郑红" in line and "在班" in line]

    bad = write_csv(tmp_path, [("2026-03-02", "白班", "", "张伟", "13800000003"), ("2026-03-02", "中班", "周平", "张伟",
                                                                                   "13800000003")])
    assert_one_line_error(cli("roster", "import", bad, now="2026-03-02T20:00:00+08:00"),
                          "2 problems, nothing imported", "row 2, column 值班员: empty",
                          "row 3, column 班次: '中班' is not a shift")
    assert_one_line_error(cli("roster", "show", "--date", "2026-13-01"), "command line, field date")
    again = cli("roster", "show", "--date", "2026-03-02", now="2026-03-02T20:00:00+08:00")
    assert again.stdout == shown.stdout
