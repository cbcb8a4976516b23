"""Rich output for people: findings, obligations and incidents, times in Asia/Shanghai."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from emergency.clock import format_local, isoformat_local
from emergency.domain.audits import AuditResult, IncidentAudit
from emergency.domain.enums import FIGURES, ObligationStatus
from emergency.domain.obligations import Obligation
from emergency.labels import (
    CATEGORY_LABELS,
    CHANNEL_LABELS,
    FIELD_LABELS,
    FINDING_LABELS,
    OBLIGATION_LABELS,
    REPORT_KIND_LABELS,
    STATUS_LABELS,
)
from emergency.services.clocks import StatusRow


def humanize_delta(due: datetime, now: datetime) -> str:
    """Return 'in 38 min' or '12 min ago', rounded to whole minutes."""
    seconds = (due - now).total_seconds()
    minutes = int(abs(seconds) // 60)
    if minutes == 0:
        return "now"
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
    """Print each finding with its evidence, then the summary in one line."""
    console.print(f"{result.office} — audit at {format_local(result.audit_at)} (Asia/Shanghai)", markup=False)
    if not result.findings:
        console.print("No findings (未发现迟报、漏报、谎报、瞒报).")
    for f in result.findings:
        where = " ".join(x for x in (f.report, OBLIGATION_LABELS[f.obligation] if f.obligation else None) if x)
        drill = " 演练" if f.drill else ""
        console.print(f"[bold]{FINDING_LABELS[f.type]}[/bold] {f.type.value} — incident {f.incident}{drill}"
                      f"{' — ' + where if where else ''}")
        console.print(f"    {f.evidence}", markup=False)
        console.print(f"    rule {f.rule}: {f.source}", markup=False, style="dim")
    s = result.summary
    console.print(
        f"incidents {s.incidents}, obligations {s.obligations}, on time {s.on_time}, late {s.late}, "
        f"missing {s.missing}, false {s.false}, concealed {s.concealed} (drills not counted)"
    )


def _when(at: datetime | None) -> str:
    return format_local(at) if at else "—"


def incident_json(audit: IncidentAudit, now: datetime) -> dict[str, Any]:
    """Return an incident with its obligations and findings, for scripts."""
    from emergency.timelines import finding_to_json

    inc = audit.incident
    return {
        "id": inc.id, "category": inc.category.value, "type": inc.type, "title": inc.title,
        "location": inc.location, "occurred_at": isoformat_local(inc.occurred_at),
        "known_at": isoformat_local(inc.known_at),
        "closed_at": isoformat_local(inc.closed_at) if inc.closed_at else None, "drill": inc.drill,
        "as_of": isoformat_local(now),
        "obligations": [
            {"obligation": o.kind.value, "label": OBLIGATION_LABELS[o.kind], "due_at": isoformat_local(o.due_at),
             "status": o.status.value, "met_by": o.met_by,
             "met_at": isoformat_local(o.met_at) if o.met_at else None, "rule": o.rule, "source": o.source}
            for o in audit.obligations
        ],
        "findings": [finding_to_json(f) for f in audit.findings],
    }


def print_incident(console: Console, audit: IncidentAudit, now: datetime) -> None:
    """Print an incident, its facts, its reports, its obligations and its findings."""
    inc = audit.incident
    console.print(f"Incident {inc.id}{' (演练 drill)' if inc.drill else ''}: {inc.title}", markup=False)
    console.print(f"  {CATEGORY_LABELS[inc.category]} / {inc.type} at {inc.location}", markup=False)
    console.print(f"  occurred {_when(inc.occurred_at)}, known {_when(inc.known_at)}, "
                  f"closed {_when(inc.closed_at)} (Asia/Shanghai)", markup=False)
    if inc.truth:
        console.print("Facts (核实情况):")
        for entry in inc.truth:
            figures = ", ".join(f"{FIELD_LABELS[n]} {entry.figures.get(n)}" for n in FIGURES
                                if entry.figures.get(n) is not None)
            console.print(f"  as of {_when(entry.as_of)}: {figures}", markup=False)
    if inc.reports:
        console.print("Reports (报告):")
        for r in inc.reports:
            console.print(f"  {r.id} {REPORT_KIND_LABELS[r.kind]} by {CHANNEL_LABELS[r.channel]} to {r.to} "
                          f"at {_when(r.submitted_at)}", markup=False)
    console.print("Obligations (报送义务):")
    for ob in audit.obligations:
        console.print(f"  {obligation_line(ob, now)}", markup=False)
    if audit.findings:
        console.print("Findings (发现问题):")
        for f in audit.findings:
            console.print(f"  {FINDING_LABELS[f.type]} ({f.type.value}): {f.evidence} [{f.rule}]", markup=False)
    else:
        console.print("Findings: none so far (暂未发现问题).")


def print_incident_list(console: Console, audits: list[IncidentAudit], now: datetime) -> None:
    """Print one row per incident: open or overdue obligations and findings."""
    if not audits:
        console.print("No incidents recorded.")
        return
    table = Table()
    for column in ("incident", "title", "known", "closed", "next due", "findings"):
        table.add_column(column)
    for audit in audits:
        inc = audit.incident
        pending = [o for o in audit.obligations if o.status in (ObligationStatus.OPEN, ObligationStatus.OVERDUE)]
        nxt = min(pending, key=lambda o: o.due_at) if pending else None
        table.add_row(
            inc.id + (" 演练" if inc.drill else ""), inc.title, _when(inc.known_at), _when(inc.closed_at),
            f"{OBLIGATION_LABELS[nxt.kind]} {format_local(nxt.due_at)} ({humanize_delta(nxt.due_at, now)})" if nxt else "",
            " ".join(FINDING_LABELS[f.type] for f in audit.findings),
        )
    console.print(table)


def print_flow_result(console: Console, name: str, result: Any) -> None:
    """Print what a flow run returned, for people."""
    if name == "response" and isinstance(result, dict):
        response = result["response"]
        console.print(f"Incident {result['incident']}: {response['plan']} (version {response['version']}), "
                      f"{response['level']}, grade {response['severity']}.", markup=False)
        for action in response["actions"]:
            console.print(f"  - {action['text']} — {action['owner']}", markup=False)
        console.print(f"Drafts awaiting sign-off (待签发): {', '.join(map(str, result['drafts'])) or 'none'}", markup=False)
        return
    if name == "inspection-report" and isinstance(result, dict):
        s = result["summary"]
        rate = "—" if s["on_time_rate"] is None else f"{s['on_time_rate'] * 100:.1f}%"
        console.print(f"隐患排查治理台账 {result['month']} (counted up to {result['cut']}): inspections due {s['due']}, "
                      f"on time {s['on_time']} ({rate}), late {s['late']}, not done {s['missing']}, "
                      f"not yet due {s['pending']}; hazards found {s['found']}, closed {s['closed']}, "
                      f"open {s['open']} ({s['overdue']} overdue), 重大 {s['majors']}.", markup=False)
        console.print(f"Wrote {result['document']}", markup=False)
        console.print(f"Wrote {result['workbook']}", markup=False)
        return
    if name == "readiness-report" and isinstance(result, dict):
        s = result["summary"]
        console.print(f"应急准备情况报告 {result['period']} ({result['from']} to {result['to']}, counted up to "
                      f"{result['cut']}): plans in force {s['plans']['in_force']} ({s['plans']['due']} due for review); "
                      f"drills held {s['drills']['held']} ({s['drills']['overdue']} plans overdue); supplies short "
                      f"{s['supplies']['short']}, expired batches {s['supplies']['expired']}; hazards found "
                      f"{s['hazards']['found']}, open {s['hazards']['open']} ({s['hazards']['overdue']} overdue); "
                      f"warnings {s['warnings']['issued']}; reporting: {s['reporting']['on_time']} of "
                      f"{s['reporting']['obligations']} on time; support requests {s['support']['requested']} "
                      f"({s['support']['unanswered_overdue']} unanswered past due).", markup=False)
        console.print(f"Wrote {result['document']}", markup=False)
        return
    import json

    console.print(json.dumps(result, ensure_ascii=False, indent=2, default=str), markup=False)


def status_table(rows: Sequence[StatusRow], now: datetime) -> Table:
    """Return the live status: due next with countdowns, overdue and since when, who was reminded."""
    table = Table(title=f"Deadline clocks at {format_local(now)} (Asia/Shanghai)")
    for column in ("incident", "obligation", "due", "countdown", "status", "reminded / escalated"):
        table.add_column(column)
    for row in rows:
        overdue = now > row.due_at
        table.add_row(
            f"{row.incident} {row.title}", row.label, format_local(row.due_at),
            f"[red]overdue {humanize_delta(row.due_at, now).removesuffix(' ago')}[/red]" if overdue
            else humanize_delta(row.due_at, now),
            "超时 breached" if row.status == "breached" else ("超时 overdue" if overdue else "待办 open"),
            "\n".join(row.reminded) or "—",
        )
    if not rows:
        table.caption = "Nothing is due (当前无待办事项)."
    return table
