"""`emergency demo`: a day and a half at 长春市绿园区正阳街道, through the real flows, in ./demo/."""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from emergency.clock import CN_TZ, format_local
from emergency.prefect_env import quiet_prefect, silence_stderr_at_exit

TO = "绿园区人民政府总值班室、绿园区应急管理局"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Return a time in the story: March *day*, 2026, Asia/Shanghai."""
    return datetime(2026, 3, day, hour, minute, tzinfo=CN_TZ)


@dataclass
class Story:
    """What the demo did, for the summary."""

    steps: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    drafts: dict[str, int] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)


def _prepare(folder: Path) -> tuple[Path, Path]:
    """Start from a fresh database and output folder; point settings and Prefect at them."""
    folder = folder.resolve()
    for name in ("emergency.db", "emergency.db-wal", "emergency.db-shm", "out", "district"):
        target = folder / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["EMERGENCY_DATABASE_URL"] = f"sqlite:///{folder / 'emergency.db'}"
    os.environ["EMERGENCY_OUTPUT_DIR"] = str(folder / "out")
    os.environ.pop("EMERGENCY_NOW", None)
    os.environ.setdefault("PREFECT_HOME", str(folder / ".prefect"))
    log = quiet_prefect(folder / "prefect.log")
    return folder, log


def run_demo(console: Console, folder: Path = Path("demo")) -> int:
    """Build the street, run the incident through real flow runs, print the summary; return the exit code."""
    folder, log = _prepare(folder)
    from emergency.receiver import start_receiver

    secret = secrets.token_hex(16)
    receiver = start_receiver(folder / "district", secret)
    os.environ["EMERGENCY_DISTRICT_WEBHOOK_URL"] = receiver.url
    os.environ["EMERGENCY_DISTRICT_WEBHOOK_SECRET"] = secret
    story = Story()
    try:
        steps = _steps(story)
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), console=console, transient=True) as progress:
            bar = progress.add_task("starting", total=len(steps))
            for description, step in steps:
                progress.update(bar, description=description)
                try:
                    step()
                except Exception as exc:
                    # Said now, while fd 2 is still the screen (at exit it goes to Prefect's log).
                    sys.stderr.write(f"error: the demo stopped at {description!r}: {exc} (details in {log})\n")
                    sys.stderr.flush()
                    return 1
                story.steps.append(description)
                progress.advance(bar)
        _summary(console, story, len(receiver.received()), folder, log)
    finally:
        receiver.stop()
        silence_stderr_at_exit(log)
    return 0


def _steps(story: Story) -> list[tuple[str, Callable[[], None]]]:
    from emergency.config import load_settings
    from emergency.db import migrate
    from emergency.db.session import make_engine
    from emergency.demo_drills import drill_steps
    from emergency.demo_inspections import inspection_steps
    from emergency.demo_readiness import readiness_steps, support_steps
    from emergency.plans.schema import load_street
    from emergency.runtime import open_runtime
    from emergency.services.incidents import (
        NewFacts,
        NewIncident,
        close_incident,
        find_incident,
        get_office,
        open_incident,
        record_facts,
    )
    from emergency.services.organisation import add_shift, load_street_into
    from emergency.services.reports import NewReport, submit_report
    from emergency.timelines import StatedIn
    from flows.audit_flow import daily_audit, monthly_timeliness
    from flows.reporting_flow import incident_reporting
    from flows.response_flow import incident_response
    from flows.signoff_flow import report_signoff

    settings = load_settings()

    def build_street() -> None:
        migrate.upgrade(make_engine(settings.resolved_database_url()))
        rt = open_runtime(settings)
        with rt.sessions.begin() as session:
            office = get_office(session, name=settings.office)
            load_street_into(session, office=office, street=load_street(settings.plans_dir / "street.yaml"))
            roster = [("吴刚", "李强"), ("郑红", "张伟"), ("冯军", "李强")]
            for day, (officer, leader) in enumerate(roster):
                start = at(1, 8) + timedelta(days=day)
                add_shift(session, office=office, starts_at=start, ends_at=start + timedelta(days=1),
                          duty_officer=officer, leader_on_duty=leader, phone="0431-8000000")

    def session_do(action: Callable[[Any, Any, Any], None]) -> None:
        rt = open_runtime(settings)
        with rt.sessions.begin() as session:
            office = get_office(session, name=settings.office)
            action(rt, session, office)

    def open_gas_explosion() -> None:
        def act(rt: Any, session: Any, office: Any) -> None:
            row = open_incident(session, rules=rt.rules, office=office, now=at(1, 8, 22), data=NewIncident(
                id="2026-0301", category="accident", type="gas_explosion", title="万福街某餐馆燃气爆炸",
                location="绿园区万福街87号附近某餐馆", occurred_at=at(1, 8, 10), known_at=at(1, 8, 20)))
            record_facts(session, incident=row, now=at(1, 8, 30), data=NewFacts(
                as_of=at(1, 8, 30), deaths=0, missing=1, serious_injuries=2, injuries=5))
        session_do(act)

    def respond() -> None:
        result = incident_response("2026-0301", as_of=at(1, 8, 32))
        story.results["response"] = result
        story.drafts["initial"] = result["drafts"][0]

    def phone_report() -> None:
        def act(rt: Any, session: Any, office: Any) -> None:
            row = find_incident(session, office=office, ident="2026-0301")
            submit_report(session, office=office, incident=row, now=at(1, 8, 40), data=NewReport(
                kind="initial", channel="phone", to="绿园区应急管理局值班室", submitted_at=at(1, 8, 40),
                stated=StatedIn(occurred_at=at(1, 8, 10), location="万福街87号附近某餐馆", deaths=0, missing=1,
                                serious_injuries=2, injuries=5, summary="餐馆后厨燃气泄漏引发爆炸",
                                measures="已疏散周边群众，消防、120到场救援")))
        session_do(act)

    def sign(kind: str, signer: str, when: datetime) -> Callable[[], None]:
        def run() -> None:
            result = report_signoff(story.drafts[kind], signer, as_of=when)
            story.documents.append(result["document"])
            story.results[f"signed-{kind}"] = result
        return run

    def death_confirmed() -> None:
        def act(rt: Any, session: Any, office: Any) -> None:
            row = find_incident(session, office=office, ident="2026-0301")
            record_facts(session, incident=row, now=at(1, 15), data=NewFacts(
                as_of=at(1, 15), deaths=1, missing=0, serious_injuries=2, injuries=5, direct_loss_yuan=1200000))
        session_do(act)

    def reporting(key: str, when: datetime) -> Callable[[], None]:
        def run() -> None:
            result = incident_reporting(as_of=when)
            drafts = result["drafted"].get("2026-0301", [])
            if drafts:
                story.drafts[key] = drafts[-1]
        return run

    def close() -> None:
        def act(rt: Any, session: Any, office: Any) -> None:
            close_incident(session, incident=find_incident(session, office=office, ident="2026-0301"),
                           closed_at=at(2, 20), now=at(2, 20))
        session_do(act)

    def audit() -> None:
        story.results["audit"] = daily_audit(as_of=at(4, 8))

    def monthly() -> None:
        result = monthly_timeliness(month="2026-03", as_of=datetime(2026, 4, 1, 9, tzinfo=CN_TZ))
        story.documents.append(result["document"])
        story.results["monthly"] = result

    return [
        ("building 正阳街道: communities, grids, roster", build_street),
        ("08:22 燃气爆炸 recorded (known 08:20)", open_gas_explosion),
        ("08:32 response flow: grade, plan level, initial draft", respond),
        ("08:40 phone report to the district duty office", phone_report),
        ("09:05 sign-off flow: 书面首报 signed and delivered", sign("initial", "张伟", at(1, 9, 5))),
        *support_steps(story),
        ("15:00 the missing person is confirmed dead", death_confirmed),
        ("15:10 reporting flow drafts 续报一", reporting("follow_up_1", at(1, 15, 10))),
        ("16:00 sign-off flow: 续报一 delivered", sign("follow_up_1", "李强", at(1, 16))),
        ("2 Mar 14:30 reporting flow drafts 续报二 (daily cadence)", reporting("follow_up_2", at(2, 14, 30))),
        ("2 Mar 15:30 sign-off flow: 续报二 delivered", sign("follow_up_2", "李强", at(2, 15, 30))),
        ("2 Mar 20:00 response over: incident closed", close),
        ("2 Mar 20:05 reporting flow drafts 终报", reporting("final", at(2, 20, 5))),
        ("3 Mar 21:30 sign-off flow: 终报 signed late", sign("final", "张伟", at(3, 21, 30))),
        ("4 Mar 08:00 daily audit flow", audit),
        ("1 Apr 09:00 monthly timeliness report flow", monthly),
        *inspection_steps(story),
        *drill_steps(story),
        *readiness_steps(story),
    ]


def _summary(console: Console, story: Story, received: int, folder: Path, log: Path) -> None:
    from emergency.config import load_settings
    from emergency.runtime import open_runtime
    from emergency.services.outbox import list_outbox

    rt = open_runtime(load_settings())
    response = story.results["response"]["response"]
    console.print(f"[bold]正阳街道 demo[/bold] — {len(story.steps)} steps, real Prefect flow runs")
    console.print(f"Response: {response['plan']} {response['level']} (grade {response['severity']}), "
                  f"{len(response['actions'])} actions with owners", markup=False)
    table = Table(title="Documents (./demo/out)")
    table.add_column("document")
    for doc in story.documents:
        table.add_row(Path(doc).name)
    console.print(table)
    deliveries = Table(title=f"Deliveries to the district receiver on 127.0.0.1 ({received} kept)")
    for column in ("#", "subject", "channel", "status", "sent"):
        deliveries.add_column(column)
    with rt.sessions.begin() as session:
        for row in list_outbox(session):
            deliveries.add_row(str(row.id), row.subject, row.channel, row.status,
                               format_local(row.sent_at) if row.sent_at else "—")
    console.print(deliveries)
    audit = story.results["audit"]
    s = audit["summary"]
    console.print(f"Audit (4 Mar 08:00): obligations {s['obligations']}, on time {s['on_time']}, late {s['late']}, "
                  f"missing {s['missing']}, false {s['false']}, concealed {s['concealed']} — {audit['file']}",
                  markup=False)
    import json

    for finding in json.loads(Path(audit["file"]).read_text(encoding="utf-8"))["findings"]:
        console.print(f"  {finding['label']} {finding['evidence']}", markup=False)
    from emergency.domain.enums import ObligationStatus
    from emergency.presenters import obligation_line
    from emergency.services.incidents import get_office, incident_audit, load_incidents

    end = at(4, 8)
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        due = [ob for row in load_incidents(session, office=office) if not row.drill  # drills: their own chapter
               for ob in incident_audit(session, rules=rt.rules, incident=row, at=end).obligations
               if ob.status in (ObligationStatus.OPEN, ObligationStatus.OVERDUE)]
    console.print(f"Now due (4 Mar 08:00): {'nothing — every report has been made' if not due else ''}", markup=False)
    for ob in due:
        console.print(f"  {obligation_line(ob, end)}", markup=False)
    from emergency.demo_inspections import inspection_summary

    inspection_summary(console, story)
    from emergency.demo_drills import drill_summary

    drill_summary(console, story)
    from emergency.demo_readiness import support_summary

    support_summary(console, story)
    console.print(f"Prefect's own log: {log}", markup=False)
