"""`emergency roster …`: import the duty roster (值班表) an office keeps, and show who is on duty on a day."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from emergency.config import load_settings
from emergency.errors import InputError

roster_app = typer.Typer(help="The duty roster (值班表): import it from CSV or XLSX, show a day's shifts.",
                         no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)

WEEKDAYS = "一二三四五六日"


@roster_app.command("import")
def roster_import(
    file: Annotated[Path, typer.Argument(help="The roster as the office keeps it: .csv or .xlsx with the columns "
                                              "日期, 班次, 值班员, 带班领导, 联系电话.")],
) -> None:
    """Check every row of a roster file and store its shifts, replacing those of the same dates (all or nothing)."""
    from emergency.clock import format_local
    from emergency.plans.roster import load_roster_plan
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office
    from emergency.services.roster import import_roster

    runtime = open_runtime(load_settings())
    plan = load_roster_plan(runtime.settings.plans_dir)
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        summary = import_roster(session, office=office, path=file, now=runtime.now, plan=plan)
    span = summary.first_day.isoformat()
    if summary.last_day != summary.first_day:
        span += f" to {summary.last_day.isoformat()}"
    out.print(f"Imported {summary.shifts} shifts on {summary.days} days ({span}) for {office.name}; "
              f"replaced {summary.replaced} stored shifts.", markup=False)
    now_on = summary.on_duty_now
    if now_on is not None:
        out.print(f"On duty now: {now_on.label} {now_on.duty_officer} (带班领导 {now_on.leader_on_duty}, "
                  f"{now_on.phone}) until {format_local(now_on.ends_at)}.", markup=False)


@roster_app.command("show")
def roster_show(
    day: Annotated[str | None, typer.Option("--date", help="The day (YYYY-MM-DD, Asia/Shanghai); default today.")] = None,
) -> None:
    """Show a day's shifts (Asia/Shanghai), the night shift of the evening before included; mark the one on duty now."""
    from rich.table import Table
    from rich.text import Text

    from emergency.clock import to_local
    from emergency.plans.roster import load_roster_plan
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office
    from emergency.services.roster import parse_roster_date, roster_for_day

    runtime = open_runtime(load_settings())
    if day is None:
        when = to_local(runtime.now).date()
    else:
        try:
            when = parse_roster_date(day)
        except ValueError as exc:
            raise InputError("command line", "date", str(exc)) from None
    plan = load_roster_plan(runtime.settings.plans_dir)
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        shifts = roster_for_day(session, office=office, day=when, plan=plan)
    title = f"{office.name} 值班表 {when.isoformat()}（星期{WEEKDAYS[when.weekday()]}）"
    if not shifts:
        out.print(f"{title}: no shifts. Import the roster with `emergency roster import FILE`.", markup=False)
        return
    table = Table(title=Text(title))
    for column in ("日期", "班次", "时间", "值班员", "带班领导", "联系电话", "在班"):
        table.add_column(column, overflow="fold")
    for shift in shifts:
        cells = (shift.day.isoformat(), shift.shift or "", shift.hours, shift.duty_officer, shift.leader_on_duty,
                 shift.phone, "● 在班" if shift.covers(runtime.now) else "")
        table.add_row(*(Text(cell) for cell in cells))  # names are text, never rich markup
    out.print(table)
