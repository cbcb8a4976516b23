"""The `emergency` command: what the office's emergency office (应急管理办公室) types at 3 a.m."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from emergency.clock import CN_TZ, format_local
from emergency.config import Settings, load_settings
from emergency.errors import EmergencyError, InputError

app = typer.Typer(
    help="Emergency duties of a street office (街道办事处, Article 27): incidents, reports to the district "
    "with their deadlines, and the audit of 迟报/漏报/谎报/瞒报.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
incident_app = typer.Typer(help="Record an incident (突发事件) as it happens.", no_args_is_help=True)
report_app = typer.Typer(help="Reports to the district (首报, 续报, 终报).", no_args_is_help=True)
signal_app = typer.Typer(help="What other channels learned (12345, 110, media …).", no_args_is_help=True)
audit_app = typer.Typer(help="Audit reporting against the rules (考核: 迟报、漏报、谎报、瞒报).", no_args_is_help=True)
app.add_typer(incident_app, name="incident")
app.add_typer(report_app, name="report")
app.add_typer(signal_app, name="signal")
app.add_typer(audit_app, name="audit")


def _register_delivery() -> None:
    from emergency.cli_outbox import outbox_app, receiver

    app.add_typer(outbox_app, name="outbox")
    app.command("receiver")(receiver)


_register_delivery()


def _register_roster() -> None:
    from emergency.cli_roster import roster_app

    app.add_typer(roster_app, name="roster")


_register_roster()


def _register_inspections() -> None:
    from emergency.cli_inspections import hazard_source_app

    app.add_typer(hazard_source_app, name="hazard-source")


_register_inspections()


def _register_hazards() -> None:
    from emergency.cli_hazards import hazard_app, inspection_app

    app.add_typer(inspection_app, name="inspection")
    app.add_typer(hazard_app, name="hazard")


_register_hazards()


def _register_warnings() -> None:
    import emergency.cli_warning_notices  # noqa: F401  (adds ack, ack-server and pass-down to warning_app)
    from emergency.cli_warnings import warning_app

    app.add_typer(warning_app, name="warning")


_register_warnings()


def _register_monitoring() -> None:
    from emergency.cli_monitoring import monitoring_app

    app.add_typer(monitoring_app, name="monitoring")


_register_monitoring()


def _register_supplies() -> None:
    from emergency.cli_supplies import supplies_app

    app.add_typer(supplies_app, name="supplies")


_register_supplies()


def _register_drills() -> None:
    from emergency.cli_drills import drill_app

    app.add_typer(drill_app, name="drill")


_register_drills()


def _register_support() -> None:
    from emergency.cli_support import support_app

    app.add_typer(support_app, name="support")


_register_support()


def _register_plans() -> None:
    from emergency.cli_plans import plan_app

    app.add_typer(plan_app, name="plan")


_register_plans()

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

RulesOption = Annotated[
    Path | None, typer.Option("--rules", help="A district's rules file merged over the defaults (or EMERGENCY_RULES).")
]
FileOption = Annotated[Path | None, typer.Option("--file", "-f", help="Take the data from a JSON or YAML file.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
TimeHelp = "ISO 8601 with offset, e.g. 2026-03-01T08:10:00+08:00"


def _settings(rules: Path | None = None) -> Settings:
    settings = load_settings()
    if rules is not None:
        settings = settings.model_copy(update={"rules": rules})
    return settings


def _time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    from emergency.timelines import parse_aware

    try:
        return parse_aware(value)
    except ValueError as exc:
        raise InputError("command line", option, str(exc)) from None


def _day_bound(value: str | None, option: str, *, end: bool) -> datetime | None:
    """Accept a date (a whole day in Asia/Shanghai) or a time with offset."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return _time(value, option)
    start = datetime.combine(day, time(0), tzinfo=CN_TZ)
    return start + timedelta(days=1) - timedelta(microseconds=1) if end else start


def _file_data(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    from emergency.timelines import load_document

    data = load_document(path)
    if not isinstance(data, dict):
        raise InputError(str(path), None, "must hold one mapping of fields to values")
    return data


def _merge(base: dict[str, Any], **options: Any) -> dict[str, Any]:
    merged = dict(base)
    merged.update({k: v for k, v in options.items() if v is not None and v is not False})
    return merged


@app.command("init")
def init() -> None:
    """Create the database, or upgrade it to this version's schema (data is kept)."""
    from emergency.db import migrate
    from emergency.db.session import make_engine
    from emergency.runtime import describe_url

    settings = _settings()
    engine = make_engine(settings.resolved_database_url())
    before, after = migrate.upgrade(engine)
    where = describe_url(settings)
    if before is None:
        out.print(f"Created database {where} (schema {after}).", markup=False)
    elif before != after:
        out.print(f"Upgraded database {where} from schema {before} to {after}; all data kept.", markup=False)
    else:
        out.print(f"Database {where} is up to date (schema {after}).", markup=False)


def _print_due_for(runtime: Any, session: Any, row: Any) -> None:
    from emergency.presenters import print_due
    from emergency.services.clocks import sync_obligations
    from emergency.services.incidents import incident_audit

    # In the same transaction as the change: the running clocks see the new deadlines within a second.
    sync_obligations(session, rules=runtime.rules, incident=row, now=runtime.now)
    audit = incident_audit(session, rules=runtime.rules, incident=row, at=runtime.now)
    print_due(out, list(audit.obligations), runtime.now)


@incident_app.command("open")
def incident_open(
    category: Annotated[str | None, typer.Option(help="natural_disaster, accident, public_health or social_security.")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="Event type code from the catalogue, e.g. gas_explosion.")] = None,
    title: Annotated[str | None, typer.Option(help="Short title (标题).")] = None,
    location: Annotated[str | None, typer.Option(help="Where it happened (事发地点).")] = None,
    occurred_at: Annotated[str | None, typer.Option(help=f"When it happened (事发时间), {TimeHelp}.")] = None,
    known_at: Annotated[str | None, typer.Option(help="When the office learned of it (接报时间); default now.")] = None,
    drill: Annotated[bool, typer.Option("--drill", help="An exercise (演练): never counted in statistics.")] = False,
    ident: Annotated[str | None, typer.Option("--id", help="Your own reference; default YYYY-NNNN.")] = None,
    severity: Annotated[str | None, typer.Option(help="Grade set by hand (I–IV) where no rule grades it.")] = None,
    severity_reason: Annotated[str | None, typer.Option(help="Why the grade was set by hand.")] = None,
    file: FileOption = None,
) -> None:
    """Record a new incident; its reporting clocks start at known_at."""
    from emergency.runtime import open_runtime
    from emergency.services.incidents import NewIncident, get_office, open_incident
    from emergency.timelines import validate_model

    runtime = open_runtime(_settings())
    raw = _merge(_file_data(file), category=category, type=type_, title=title, location=location,
                 occurred_at=occurred_at, known_at=known_at, drill=drill, id=ident, severity=severity,
                 severity_reason=severity_reason)
    data = validate_model(NewIncident, raw, f"incident {raw.get('id') or '(new)'}")
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        row = open_incident(session, rules=runtime.rules, office=office, data=data, now=runtime.now)
        out.print(f"Opened incident {row.ref} (#{row.id}): {row.title}, known at {format_local(row.known_at)}.",
                  markup=False)
        _print_due_for(runtime, session, row)


@incident_app.command("facts")
def incident_facts(
    incident: Annotated[str, typer.Argument(help="Incident reference or number.")],
    as_of: Annotated[str | None, typer.Option(help="When these figures were verified; default now.")] = None,
    deaths: Annotated[int | None, typer.Option(help="Deaths (死亡).")] = None,
    missing: Annotated[int | None, typer.Option(help="Missing (失踪).")] = None,
    trapped: Annotated[int | None, typer.Option(help="Trapped (被困/涉险).")] = None,
    serious_injuries: Annotated[int | None, typer.Option(help="Seriously injured (重伤).")] = None,
    injuries: Annotated[int | None, typer.Option(help="Injured (受伤).")] = None,
    direct_loss_yuan: Annotated[str | None, typer.Option(help="Direct economic loss in yuan (直接经济损失).")] = None,
    file: FileOption = None,
) -> None:
    """Record verified casualties and loss as they become known (核实情况)."""
    from emergency.runtime import open_runtime
    from emergency.services.incidents import NewFacts, find_incident, get_office, record_facts
    from emergency.timelines import validate_model

    runtime = open_runtime(_settings())
    raw = _merge(_file_data(file), as_of=as_of, deaths=deaths, missing=missing, trapped=trapped,
                 serious_injuries=serious_injuries, injuries=injuries, direct_loss_yuan=direct_loss_yuan)
    data = validate_model(NewFacts, raw, f"incident {incident}, facts")
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        row = find_incident(session, office=office, ident=incident)
        fact = record_facts(session, incident=row, data=data, now=runtime.now)
        out.print(f"Recorded facts for incident {row.ref} as of {format_local(fact.as_of)}.", markup=False)
        _print_due_for(runtime, session, row)


@incident_app.command("close")
def incident_close(
    incident: Annotated[str, typer.Argument(help="Incident reference or number.")],
    at: Annotated[str | None, typer.Option("--at", help="When the response ended; default now.")] = None,
    file: FileOption = None,
) -> None:
    """Mark the response over (应急处置结束); the final report (终报) falls due."""
    from emergency.runtime import open_runtime
    from emergency.services.incidents import close_incident, find_incident, get_office

    runtime = open_runtime(_settings())
    raw = _merge(_file_data(file), closed_at=at)
    closed_at = _time(raw.get("closed_at"), "closed_at") if raw.get("closed_at") else runtime.now
    assert closed_at is not None
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        row = find_incident(session, office=office, ident=incident)
        close_incident(session, incident=row, closed_at=closed_at, now=runtime.now)
        out.print(f"Closed incident {row.ref} at {format_local(closed_at)}.", markup=False)
        _print_due_for(runtime, session, row)


@incident_app.command("show")
def incident_show(
    incident: Annotated[str, typer.Argument(help="Incident reference or number.")],
    as_json: JsonOption = False,
) -> None:
    """Show an incident, its facts and reports, its obligations (met, open, overdue) and findings."""
    from emergency.presenters import incident_json, print_incident
    from emergency.runtime import open_runtime
    from emergency.services.incidents import find_incident, get_office, incident_audit
    from emergency.services.plans import response_lock

    runtime = open_runtime(_settings())
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        row = find_incident(session, office=office, ident=incident)
        audit = incident_audit(session, rules=runtime.rules, incident=row, at=runtime.now)
        lock = response_lock(session, incident=row)
        if as_json:
            sys.stdout.write(json.dumps({**incident_json(audit, runtime.now), "response": lock}, ensure_ascii=False,
                                        indent=2) + "\n")
        else:
            print_incident(out, audit, runtime.now)
            if lock is not None:
                out.print(lock["text"], markup=False)


@incident_app.command("list")
def incident_list(as_json: JsonOption = False) -> None:
    """List the office's incidents with what is open or overdue."""
    from emergency.domain.audits import audit_incident
    from emergency.presenters import print_incident_list
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office, load_incidents, signals_of, to_domain

    runtime = open_runtime(_settings())
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        audits = [audit_incident(runtime.rules, to_domain(row), signals_of(session, incident=row), runtime.now)
                  for row in load_incidents(session, office=office)]
    if as_json:
        rows = [{"id": a.incident.id, "title": a.incident.title, "closed": a.incident.closed_at is not None,
                 "findings": [f.type.value for f in a.findings]} for a in audits]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    else:
        print_incident_list(out, audits, runtime.now)


@report_app.command("submit")
def report_submit(
    incident: Annotated[str, typer.Argument(help="Incident reference or number.")],
    kind: Annotated[str | None, typer.Option(help="initial (首报), follow_up (续报) or final (终报).")] = None,
    channel: Annotated[str | None, typer.Option(help="phone, written, platform or unknown.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Recipient, e.g. 绿园区应急管理局.")] = None,
    submitted_at: Annotated[str | None, typer.Option(help="When it was submitted; default now.")] = None,
    ident: Annotated[str | None, typer.Option("--id", help="Report reference; default R<n>.")] = None,
    stated_occurred_at: Annotated[str | None, typer.Option(help="Occurrence time the report states.")] = None,
    stated_known_at: Annotated[str | None, typer.Option(help="接报时间 the report states.")] = None,
    location: Annotated[str | None, typer.Option(help="Place the report states.")] = None,
    severity: Annotated[str | None, typer.Option(help="Grade the report states (I–IV).")] = None,
    summary: Annotated[str | None, typer.Option(help="Brief course of events the report states.")] = None,
    measures: Annotated[str | None, typer.Option(help="Measures taken the report states.")] = None,
    deaths: Annotated[int | None, typer.Option(help="Deaths stated.")] = None,
    missing: Annotated[int | None, typer.Option(help="Missing stated.")] = None,
    trapped: Annotated[int | None, typer.Option(help="Trapped stated.")] = None,
    serious_injuries: Annotated[int | None, typer.Option(help="Seriously injured stated.")] = None,
    injuries: Annotated[int | None, typer.Option(help="Injured stated.")] = None,
    direct_loss_yuan: Annotated[str | None, typer.Option(help="Direct loss stated, in yuan.")] = None,
    unrecorded: Annotated[bool, typer.Option("--unrecorded", help="The content is not on record (a phone call).")] = False,
    correction_note: Annotated[str | None, typer.Option(help="Why figures are corrected (更正说明).")] = None,
    corrects: Annotated[str | None, typer.Option(help="The report this one corrects.")] = None,
    file: FileOption = None,
) -> None:
    """Record a report made to the district; it can never be changed, only corrected by a new one."""
    from emergency.runtime import open_runtime
    from emergency.services.incidents import find_incident, get_office
    from emergency.services.reports import NewReport, submit_report
    from emergency.timelines import validate_model

    runtime = open_runtime(_settings())
    raw = _merge(_file_data(file), kind=kind, channel=channel, to=to, submitted_at=submitted_at, id=ident,
                 correction_note=correction_note, corrects=corrects)
    stated = _merge(raw.get("stated") or {}, occurred_at=stated_occurred_at, known_at=stated_known_at,
                    location=location, severity=severity, summary=summary, measures=measures, deaths=deaths,
                    missing=missing, trapped=trapped, serious_injuries=serious_injuries, injuries=injuries,
                    direct_loss_yuan=direct_loss_yuan)
    record = f"incident {incident}, report {raw.get('id') or '(new)'}"
    if unrecorded:
        if stated:
            raise InputError(record, "stated", "--unrecorded contradicts the stated content given")
        raw["stated"] = None
    elif "stated" in raw and raw["stated"] is None and not stated:
        pass  # the file says the content is not on record
    elif not stated:
        raise InputError(record, "stated", "say what the report stated (--summary, --measures, --deaths …) or --unrecorded")
    else:
        raw["stated"] = stated
    data = validate_model(NewReport, raw, record)
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        row = find_incident(session, office=office, ident=incident)
        report = submit_report(session, office=office, incident=row, data=data, now=runtime.now)
        out.print(f"Recorded report {report.ref} ({report.kind}, {report.channel}) for incident {row.ref} "
                  f"at {format_local(report.submitted_at)}; hash {report.content_hash[:12]}….", markup=False)
        _print_due_for(runtime, session, row)


@report_app.command("drafts")
def report_drafts(
    status: Annotated[str | None, typer.Option(help="awaiting_signoff or signed.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List drafted reports and whether they wait for sign-off (待签发)."""
    from emergency.runtime import open_runtime
    from emergency.services.drafts import list_drafts
    from emergency.services.incidents import get_office

    runtime = open_runtime(_settings())
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        drafts = list_drafts(session, office=office, status=status)
    if as_json:
        rows = [{"id": d.id, "incident": d.incident, "kind": d.kind, "sequence": d.sequence, "status": d.status,
                 "obligation": d.obligation, "due_at": d.due_at.isoformat() if d.due_at else None,
                 "changes": list(d.changes)} for d in drafts]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    if not drafts:
        out.print("No drafts.")
    for d in drafts:
        due = f", due {format_local(d.due_at)}" if d.due_at else ""
        out.print(f"draft {d.id}: incident {d.incident} {d.kind}{' #' + str(d.sequence) if d.sequence else ''} "
                  f"— {d.status}{due}", markup=False)


@report_app.command("sign")
def report_sign(
    draft: Annotated[int, typer.Argument(help="The draft number (see `emergency report drafts`).")],
    by: Annotated[str, typer.Option("--by", help="The signer (签发人): office head or leader on duty.")],
) -> None:
    """Sign off a drafted report (签发): it is submitted now, rendered, and delivered to the district."""
    from emergency.flows_runner import run_flow

    result = run_flow("signoff", {"draft": draft, "signer": by})
    out.print(f"Signed draft {draft} by {by}: report {result['report']} of incident {result['incident']} "
              f"({result['kind']}), document {result['document']}.", markup=False)
    delivered = result.get("delivered") or {}
    out.print("Delivery: " + ", ".join(f"{k} {v}" for k, v in delivered.items()), markup=False)


@report_app.command("render")
def report_render(
    target: Annotated[str, typer.Argument(help="The report's number (as `incident show` lists), or the incident.")],
    report: Annotated[str | None, typer.Argument(help="With an incident: the report reference, e.g. R2.")] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also convert to PDF through LibreOffice.")] = False,
) -> None:
    """Render a stored report again as its official document (.docx, and .pdf with --pdf)."""
    from emergency.db.models import IncidentRow, ReportRow
    from emergency.errors import NotFoundError
    from emergency.runtime import open_runtime
    from emergency.services.documents import rerender_report
    from emergency.services.incidents import find_incident, get_office

    runtime = open_runtime(_settings())
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        if report is None:
            stored = session.get(ReportRow, int(target)) if target.isdigit() else None
            if stored is None or stored.office_id != office.id:
                raise NotFoundError(f"report {target}: no such report (give its number, or INCIDENT REPORT)")
            row = session.get(IncidentRow, stored.incident_id)
            assert row is not None
            report = stored.ref
        else:
            row = find_incident(session, office=office, ident=target)
        path = rerender_report(session, office=office, incident=row, report_ref=report,
                               out_dir=runtime.settings.output_dir, templates_dir=runtime.settings.templates_dir)
    out.print(f"Wrote {path}", markup=False)
    if pdf:
        from emergency.reporting.documents import convert_to_pdf

        out.print(f"Wrote {convert_to_pdf(path, path.parent)}", markup=False)


FLOW_NAMES = ("response, reporting, signoff, delivery, daily-audit, monthly-timeliness, inspection, inspection-report, "
              "monitoring, feeds, pass-down, supplies, readiness-report")


@app.command("run")
def run(
    flow_name: Annotated[str, typer.Argument(metavar="FLOW", help=f"One of: {FLOW_NAMES}.")],
    incident: Annotated[str | None, typer.Option(help="The incident (for response).")] = None,
    month: Annotated[str | None, typer.Option(help="The month, YYYY-MM (for inspection-report, monthly-timeliness).")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD (for readiness-report).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD, included (for readiness-report).")] = None,
    quarter: Annotated[str | None, typer.Option(help="The quarter, e.g. 2026Q4 (for readiness-report).")] = None,
    year: Annotated[str | None, typer.Option(help="The year, e.g. 2026 (for readiness-report).")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="A flow parameter as k=v (repeatable).")] = None,
) -> None:
    """Run one flow once, for real, with its parameters (e.g. `emergency run inspection-report --month 2026-11`,
    `emergency run readiness-report --quarter 2026Q4`)."""
    from emergency.flows_runner import run_flow

    params: dict[str, object] = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError("command line", "param", f"{item!r} is not k=v")
        params[key.replace("-", "_")] = value
    if incident is not None:
        params["incident"] = incident
    if month is not None:
        from emergency.domain.ledgers import month_window

        month_window(month, record="command line")  # a mistyped month fails at once, before Prefect starts
        params["month"] = month
    period = {"start": start, "end": end, "quarter": quarter, "year": year}
    if any(value is not None for value in period.values()):
        from emergency.domain.readiness import period_of

        period_of(**period, record="command line")  # a mistyped period fails at once, before Prefect starts
        params.update({key: value for key, value in period.items() if value is not None})
    result = run_flow(flow_name, params)
    from emergency.presenters import print_flow_result

    print_flow_result(out, flow_name, result)


@app.command("status")
def status(watch: Annotated[bool, typer.Option("--watch", help="Refresh every second until Ctrl-C.")] = False) -> None:
    """Show what is due next with live countdowns, what is overdue and since when, and who has been reminded."""
    from emergency.presenters import status_table
    from emergency.runtime import open_runtime
    from emergency.services.clocks import status_rows

    runtime = open_runtime(_settings())

    def table() -> Any:
        with runtime.sessions.begin() as session:
            rows = status_rows(session)
        return status_table(rows, runtime.settings.clock().now())

    if not watch:
        out.print(table())
        return
    import time as _time

    from rich.live import Live

    with Live(table(), console=out, refresh_per_second=2) as live:
        try:
            while True:
                _time.sleep(1)
                live.update(table())
        except KeyboardInterrupt:
            pass


@app.command("clocks")
def clocks() -> None:
    """Run the deadline clocks alone (emergency serve runs them too): remind, flag breaches, escalate."""
    from emergency.flows_runner import run_clocks_forever

    run_clocks_forever(out)


@app.command("demo")
def demo(folder: Annotated[Path, typer.Option(help="Where the demo street lives.")] = Path("demo")) -> None:
    """Build 长春市绿园区正阳街道 in ./demo and run an incident through the real flows, end to end."""
    from emergency.demo import run_demo

    raise typer.Exit(run_demo(out, folder))


@app.command("serve")
def serve() -> None:
    """Register the deployments (response, sign-off, reporting, daily audit, monthly report) and serve them."""
    from emergency.flows_runner import serve_flows

    serve_flows(out)


@signal_app.command("record")
def signal_record(
    source: Annotated[str, typer.Option(help="12345, 110, 119, 120, hospital, media, grid …")],
    at: Annotated[str, typer.Option("--at", help=f"When the channel learned of it, {TimeHelp}.")],
    incident: Annotated[str | None, typer.Option(help="The incident it concerns, if known.")] = None,
    summary: Annotated[str, typer.Option(help="What it said.")] = "",
    ident: Annotated[str | None, typer.Option("--id", help="Signal reference; default S<n>.")] = None,
) -> None:
    """Record what another channel learned: evidence for the 瞒报 audit."""
    from emergency.runtime import open_runtime
    from emergency.services.incidents import find_incident, get_office
    from emergency.services.signals import record_signal

    runtime = open_runtime(_settings())
    when = _time(at, "at")
    assert when is not None
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        row = find_incident(session, office=office, ident=incident) if incident else None
        sig = record_signal(session, office=office, incident=row, ref=ident, source=source, at=when,
                            summary=summary, now=runtime.now)
        out.print(f"Recorded signal {sig.ref} from {sig.source} at {format_local(sig.at)}.", markup=False)


@audit_app.command("replay")
def audit_replay(
    file: Annotated[Path, typer.Argument(help="A timeline file (emergency-timeline/1, JSON or YAML).")],
    as_json: JsonOption = False,
    rules: RulesOption = None,
) -> None:
    """Audit a timeline file and print its findings (迟报/漏报/谎报/瞒报)."""
    from emergency.services.audits import replay_file

    result, document = replay_file(_settings(rules), file)
    if as_json:
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    from emergency.presenters import print_audit

    print_audit(out, result)


PeriodFrom = Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD) or time, by occurrence.")]
PeriodTo = Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD, inclusive) or time.")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="Audit as things stood at this time; default now.")]


@audit_app.command("run")
def audit_run(
    start: PeriodFrom = None, end: PeriodTo = None, as_of: AsOf = None, as_json: JsonOption = False,
    rules: RulesOption = None,
) -> None:
    """Audit the database's incidents that occurred in the period."""
    from emergency.runtime import open_runtime
    from emergency.services.audits import audit_database
    from emergency.services.incidents import get_office
    from emergency.timelines import findings_document

    runtime = open_runtime(_settings(rules))
    at = _time(as_of, "as-of") or runtime.now
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        result = audit_database(session, rules=runtime.rules, office=office,
                                start=_day_bound(start, "from", end=False), end=_day_bound(end, "to", end=True), at=at)
    if as_json:
        sys.stdout.write(json.dumps(findings_document(result), ensure_ascii=False, indent=2) + "\n")
        return
    from emergency.presenters import print_audit

    print_audit(out, result)


@audit_app.command("export")
def audit_export(start: PeriodFrom = None, end: PeriodTo = None, as_of: AsOf = None) -> None:
    """Write the database's incidents of the period as an emergency-timeline/1 file on standard output."""
    from emergency.runtime import open_runtime
    from emergency.services.audits import export_timeline
    from emergency.services.incidents import get_office

    runtime = open_runtime(_settings())
    at = _time(as_of, "as-of") or runtime.now
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        document = export_timeline(session, office=office, start=_day_bound(start, "from", end=False),
                                   end=_day_bound(end, "to", end=True), at=at)
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


@audit_app.command("import")
def audit_import(file: Annotated[Path, typer.Argument(help="A timeline file to load (all or nothing).")]) -> None:
    """Load a timeline file into the database in one transaction: all of it, or nothing."""
    from emergency.runtime import open_runtime
    from emergency.services.audits import import_timeline, read_import

    runtime = open_runtime(_settings())
    raw = read_import(file)
    with runtime.sessions.begin() as session:
        counts = import_timeline(session, rules=runtime.rules, raw=raw, origin=str(file), now=runtime.now)
    out.print(f"Imported into {counts.office}: {counts.incidents} incidents, {counts.facts} fact entries, "
              f"{counts.reports} reports, {counts.signals} signals.", markup=False)


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain over every stored report; name each one changed after the fact."""
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office
    from emergency.services.reports import verify_chain

    runtime = open_runtime(_settings())
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        checked, problems = verify_chain(session, office=office)
    if not problems:
        out.print(f"{office.name}: {checked} reports checked, the hash chain is intact.", markup=False)
        return
    for p in problems:
        out.print(f"TAMPERED: incident {p.incident}, report {p.report} (chain #{p.seq}): {p.why}", markup=False)
    out.print(f"{office.name}: {checked} reports checked, {len(problems)} problem(s).", markup=False)
    raise typer.Exit(1)


def main() -> None:
    """Run the CLI; turn every EmergencyError into one line on stderr and exit code 1."""
    from sqlalchemy.exc import OperationalError

    try:
        app()
    except EmergencyError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(1)
    except OperationalError as exc:
        err.print(f"error: the database cannot be used: {str(exc.orig).splitlines()[0]}", markup=False)
        sys.exit(1)
