"""Drill messages never reach real recipients: a local HTTP server stands in for the district webhook."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from pytest_httpserver import HTTPServer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from emergency.clock import CN_TZ
from emergency.db.models import OutboxRow
from emergency.delivery_config import build_channels, load_delivery
from emergency.domain.enums import Category, Channel, ReportKind
from emergency.plans.rules import ReportingRules
from emergency.services.incidents import NewIncident, get_office, open_incident
from emergency.services.outbox import deliver_due, enqueue, enqueue_routed
from emergency.services.reports import NewReport, submit_report

NOW = datetime(2026, 6, 10, 9, 45, tzinfo=CN_TZ)
SECRET = "whsec-drill-delivery-test-51c0"


def report_rows(sessions: sessionmaker[Session], rules: ReportingRules, ref: str, *, drill: bool,
                deliver_to_real: bool = False) -> list[int]:
    """An incident with one report, queued on the report route (webhook and drop folder) as the sign-off does."""
    config = load_delivery()
    with sessions.begin() as session:
        office = get_office(session, name="正阳街道办事处")
        incident = open_incident(session, rules=rules, office=office, now=NOW, data=NewIncident(
            id=ref, category=Category.ACCIDENT, type="gas_explosion", title="万福街某餐馆燃气爆炸",
            location="万福街87号", occurred_at=NOW - timedelta(minutes=55), known_at=NOW - timedelta(minutes=45),
            drill=drill))
        incident.deliver_to_real = deliver_to_real
        report = submit_report(session, office=office, incident=incident, now=NOW, data=NewReport(
            kind=ReportKind.INITIAL, channel=Channel.WRITTEN, to="绿园区应急管理局", submitted_at=NOW, stated=None))
        return enqueue_routed(session, config=config, key=f"report-{ref}", topic="report", subject=f"{ref}（首报）",
                              body={"incident": ref}, attachment=None, now=NOW, report_id=report.id, drill=drill)


def deliver(sessions: sessionmaker[Session], httpserver: HTTPServer, folder: Path, *, guarded: bool = True,
            drills_only: bool = False) -> dict[str, int]:
    """Send what is due through the shipped configuration, the webhook being the local server."""
    config = load_delivery()
    environ = {"EMERGENCY_DISTRICT_WEBHOOK_URL": httpserver.url_for("/district"),
               "EMERGENCY_DISTRICT_WEBHOOK_SECRET": SECRET}
    channels = build_channels(config, environ, base_dir=folder)
    return deliver_due(sessions, channels=channels, now=NOW, guard=config.drill_guard() if guarded else None,
                       drills_only=drills_only)


def rows(sessions: sessionmaker[Session]) -> dict[str, tuple[str, str | None, str]]:
    with sessions() as session:
        return {r.idempotency_key: (r.channel, r.diverted_from, r.status)
                for r in session.scalars(select(OutboxRow).order_by(OutboxRow.id))}


def posted_keys(httpserver: HTTPServer) -> list[str]:
    return [request.headers["Idempotency-Key"] for request, _ in httpserver.log]


def test_a_drill_report_goes_to_the_drill_folder_never_to_the_district(
        sessions: sessionmaker[Session], rules: ReportingRules, httpserver: HTTPServer, tmp_path: Path) -> None:
    """The real report reaches the webhook; the drill's two rows are diverted to the drill folder and say so."""
    httpserver.expect_request("/district", method="POST").respond_with_json({"acknowledged": True})
    report_rows(sessions, rules, "2026-0001", drill=False)
    report_rows(sessions, rules, "D-2026-001", drill=True)
    counts = deliver(sessions, httpserver, tmp_path)
    assert counts["due"] == 4 and counts["failed"] == 0
    assert posted_keys(httpserver) == ["report-2026-0001@district_webhook"]
    assert rows(sessions) == {
        "report-2026-0001@district_webhook": ("district_webhook", None, "acknowledged"),
        "report-2026-0001@district_drop": ("district_drop", None, "sent"),
        "report-D-2026-001@district_webhook": ("drill_notices", "district_webhook", "sent"),
        "report-D-2026-001@district_drop": ("drill_notices", "district_drop", "sent"),
    }
    drills = tmp_path / "outbox" / "drills"
    assert sorted(p.name for p in drills.glob("*.json")) == ["report-D-2026-001%40district_drop.json",
                                                              "report-D-2026-001%40district_webhook.json"]
    assert all(json.loads(p.read_text(encoding="utf-8"))["drill"] is True for p in drills.glob("*.json"))
    assert sorted(p.name for p in (tmp_path / "outbox" / "district").glob("*.json")) == [
        "report-2026-0001%40district_drop.json"]


def test_deliver_to_real_lets_that_drills_reports_reach_the_district(
        sessions: sessionmaker[Session], rules: ReportingRules, httpserver: HTTPServer, tmp_path: Path) -> None:
    """A drill run with --deliver-to-real sends its reports on their real channels, still flagged drill."""
    httpserver.expect_request("/district", method="POST").respond_with_json({"acknowledged": True})
    report_rows(sessions, rules, "D-2026-002", drill=True, deliver_to_real=True)
    report_rows(sessions, rules, "D-2026-003", drill=True)
    deliver(sessions, httpserver, tmp_path)
    assert posted_keys(httpserver) == ["report-D-2026-002@district_webhook"]
    request, _ = httpserver.log[0]
    assert request.get_json()["drill"] is True
    found = rows(sessions)
    assert found["report-D-2026-002@district_webhook"] == ("district_webhook", None, "acknowledged")
    assert found["report-D-2026-003@district_webhook"] == ("drill_notices", "district_webhook", "sent")


def test_without_a_drill_route_a_drill_message_fails_rather_than_goes_out(
        sessions: sessionmaker[Session], rules: ReportingRules, httpserver: HTTPServer, tmp_path: Path) -> None:
    """A delivery that knows no drill channel (no guard) fails the drill rows for good and sends nothing of them."""
    httpserver.expect_request("/district", method="POST").respond_with_json({"acknowledged": True})
    report_rows(sessions, rules, "D-2026-004", drill=True)
    with sessions.begin() as session:  # a notice queued for the duty group's robot, as the clocks queue them
        enqueue(session, key="clock-1-reminder-duty_wecom", topic="notice", channel="duty_wecom",
                subject="演练首报提醒", body={"text": "演练"}, attachment=None, now=NOW, drill=True)
    counts = deliver(sessions, httpserver, tmp_path, guarded=False)
    assert counts["failed"] == 3 and httpserver.log == []
    with sessions() as session:
        errors = {r.last_error for r in session.scalars(select(OutboxRow))}
    assert errors == {"permanent: a drill message (演练) is never sent on the real channel district_webhook, and the "
                      "delivery configuration has no drill route to send it to instead",
                      "permanent: a drill message (演练) is never sent on the real channel district_drop, and the "
                      "delivery configuration has no drill route to send it to instead",
                      "permanent: a drill message (演练) is never sent on the real channel duty_wecom, and the "
                      "delivery configuration has no drill route to send it to instead"}


def test_a_drill_delivery_leaves_real_messages_alone(
        sessions: sessionmaker[Session], rules: ReportingRules, httpserver: HTTPServer, tmp_path: Path) -> None:
    """drills_only (a replay's own delivery, at its simulated time) sends the drill's rows and no real one."""
    report_rows(sessions, rules, "2026-0002", drill=False)
    report_rows(sessions, rules, "D-2026-005", drill=True)
    counts = deliver(sessions, httpserver, tmp_path, drills_only=True)
    assert counts["due"] == 2 and httpserver.log == []
    assert {k: v[2] for k, v in rows(sessions).items()} == {
        "report-2026-0002@district_webhook": "queued", "report-2026-0002@district_drop": "queued",
        "report-D-2026-005@district_webhook": "sent", "report-D-2026-005@district_drop": "sent"}
