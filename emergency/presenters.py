"""Rich output for people: findings, obligations and incidents, times in Asia/Shanghai."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console
from rich.table import Table

from emergency.clock import format_local
from emergency.domain.audits import AuditResult
from emergency.domain.enums import ObligationStatus
from emergency.domain.obligations import Obligation
from emergency.labels import FINDING_LABELS, OBLIGATION_LABELS, STATUS_LABELS


def humanize_delta(due: datetime, now: datetime) -> str:
    """Return 'in 38 min' or '12 min ago', rounded to whole minutes."""
    seconds = (due - now).total_seconds()
    minutes = int(abs(seconds) // 60)
    span = f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
    return f"in {span}" if seconds >= 0 else f"{span} ago"


def obligation_line(ob: Obligation, now: datetime) -> str:
    """One line per obligation, e.g. '书面首报 due 09:20 (in 38 min) — rule accident.written.initial, 来源'."""
    label = OBLIGATION_LABELS[ob.kind]
    due = format_local(ob.due_at)
    if ob.status is ObligationStatus.OPEN:
        state = f"due {due} ({humanize_delta(ob.due_at, now)})"
    elif ob.status is ObligationStatus.OVERDUE:
        state = f"OVERDUE since {due} ({humanize_delta(ob.due_at, now)})"
    else:
        met = format_local(ob.met_at) if ob.met_at else "?"
        state = f"{STATUS_LABELS[ob.status.value]}: {ob.met_by} at {met} (due {due})"
    return f"{label} {state} — rule {ob.rule}, {ob.source}"


def print_due(console: Console, obligations: list[Obligation], now: datetime) -> None:
    """Print what is now due and by when."""
    pending = [o for o in obligations if o.status in (ObligationStatus.OPEN, ObligationStatus.OVERDUE)]
    if not pending:
        console.print("Nothing is due now (当前无待报事项).")
        return
    console.print("Now due (待报事项):")
    for ob in pending:
        console.print(f"  {obligation_line(ob, now)}", markup=False)


def print_audit(console: Console, result: AuditResult) -> None:
    """Print the findings as a table and the summary as one line."""
    console.print(f"{result.office} — audit at {format_local(result.audit_at)} (Asia/Shanghai)")
    if result.findings:
        table = Table(show_lines=False)
        for column in ("incident", "finding", "report", "obligation", "due", "evidence"):
            table.add_column(column)
        for f in result.findings:
            table.add_row(
                f.incident + (" (演练)" if f.drill else ""),
                f"{f.type.value} {FINDING_LABELS[f.type]}",
                f.report or "",
                OBLIGATION_LABELS[f.obligation] if f.obligation else "",
                format_local(f.due_at) if f.due_at else "",
                f.evidence,
            )
        console.print(table)
    else:
        console.print("No findings (未发现迟报、漏报、谎报、瞒报).")
    s = result.summary
    console.print(
        f"incidents {s.incidents}, obligations {s.obligations}, on time {s.on_time}, late {s.late}, "
        f"missing {s.missing}, false {s.false}, concealed {s.concealed} (drills not counted)"
    )
