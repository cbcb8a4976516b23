"""Own monitoring against a real HTTP server on 127.0.0.1 and a real database (SQLite and PostgreSQL): points synced from
plan data, conditional polls, readings stored once, warnings issued/raised/lowered/lifted through the warnings service."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import requests
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug import Request, Response

from emergency.adapters.http import make_http_session
from emergency.adapters.monitoring_http import Polled, poll
from emergency.cap import read_cap
from emergency.db.models import (
    CommunityRow,
    GridRow,
    MonitoringPointRow,
    MonitoringReadingRow,
    WarningEventRow,
    WarningRow,
)
from emergency.domain.enums import CapMsgType
from emergency.plans.loader import DEFAULT_PLANS_DIR
from emergency.plans.monitoring import MonitoringPlan, load_monitoring_plan, load_warning_context
from emergency.plans.schema import load_street
from emergency.services.incidents import get_office
from emergency.services.monitoring import (
    PollOutcome,
    list_points,
    poll_point,
    poll_targets,
    sync_points,
)
from emergency.services.warnings import export_warning, lift_warning
from emergency.timelines import parse_aware

OFFICE = "长春市绿园区正阳街道办事处"
CONTEXT = load_warning_context(DEFAULT_PLANS_DIR)
STREET = load_street(DEFAULT_PLANS_DIR / "street.yaml")
T0 = parse_aware("2026-07-20T09:00:00+08:00")

WATER_BANDS = """    thresholds:
      - {level: blue, raise_at: 0.15, clear_below: 0.10, source: GB 51222-2017 地面积水设计标准 15cm}
      - {level: yellow, raise_at: 0.25, clear_below: 0.20, source: 地方做法}
      - {level: orange, raise_at: 0.40, clear_below: 0.35, source: 地方做法}
      - {level: red, raise_at: 0.50, clear_below: 0.45, source: 地方做法}
"""


def write_plan(folder: Path, urls: dict[str, str]) -> MonitoringPlan:
    """Write a points file with one water-level point per code (at 万福社区第一网格) and load it."""
    points = "".join(f"""  - code: {code}
    name: {code}积水监测
    kind: water_level
    unit: m
    url: {url}
    location: 万福街铁路桥下
    community: ZY02
    grid: ZY02-01
    warning_type: waterlogging
    source: 台账 WF-DW-001
{WATER_BANDS}""" for code, url in urls.items())
    path = folder / "points.yaml"
    path.write_text(f"source: test\npoints:\n{points}", encoding="utf-8")
    return load_monitoring_plan(DEFAULT_PLANS_DIR, file=path)


def at(minutes: int) -> str:
    """Return T0 + *minutes* as the ISO text a point sends."""
    return (T0 + timedelta(minutes=minutes)).isoformat()


def sync(sessions: sessionmaker[Session], plan: MonitoringPlan, now: datetime = T0) -> dict[str, int]:
    """Store the plan's points in one unit of work."""
    with sessions.begin() as session:
        return sync_points(session, office=get_office(session, name=OFFICE), plan=plan, street=STREET, now=now)


def poll_all(sessions: sessionmaker[Session], plan: MonitoringPlan, now: datetime,
             http: requests.Session | None = None) -> dict[str, PollOutcome]:
    """Do what the flow does: sync, then poll every active point through the adapter."""
    session_http = http or make_http_session(retries=0)
    sync(sessions, plan, now)
    with sessions.begin() as session:
        targets = poll_targets(session, office=get_office(session, name=OFFICE), plan=plan)

    def fetch(target: object) -> Polled:
        return poll(session_http, target.url, unit=target.unit, etag=target.etag,  # type: ignore[attr-defined]
                    last_modified=target.last_modified)  # type: ignore[attr-defined]

    return {t.code: poll_point(sessions, office_name=OFFICE, plan=plan, context=CONTEXT, target=t, fetch=fetch, now=now)
            for t in targets}


def serve(httpserver: HTTPServer, path: str, body: object, headers: dict[str, str] | None = None) -> None:
    """Answer *path* with *body* as JSON from now on."""
    httpserver.clear_all_handlers()
    httpserver.expect_request(path).respond_with_json(body, headers=headers)


def test_readings_issue_raise_lower_and_lift_one_warning(sessions: sessionmaker[Session], httpserver: HTTPServer,
                                                         tmp_path: Path) -> None:
    """0.12 m nothing; 0.18 then 0.27 issues yellow; 0.22 stays yellow (inside the band); 0.45 raises orange; 0.30
    lowers to yellow; 0.05 lifts. One warning, origin monitoring, four events; the exports are valid CAP 1.2."""
    plan = write_plan(tmp_path, {"W1": httpserver.url_for("/w1")})
    steps: list[tuple[object, str | None, str | None]] = [
        ({"value": 0.12, "at": at(0)}, None, None),
        ([{"value": 0.18, "at": at(1)}, {"value": 0.27, "at": at(2), "unit": "m"}], "issued", "yellow"),
        ({"readings": [{"value": 0.22, "at": at(3)}]}, None, "yellow"),
        ({"value": 0.45, "at": at(4)}, "raised", "orange"),
        ({"value": 0.30, "at": at(5)}, "lowered", "yellow"),
        ({"value": 0.05, "at": at(6)}, "lifted", None),
    ]
    warning_ids = set()
    for n, (body, action, level) in enumerate(steps):
        serve(httpserver, "/w1", body)
        outcome = poll_all(sessions, plan, T0 + timedelta(minutes=n, seconds=30))["W1"]
        assert (outcome.status, outcome.action, outcome.level) == ("fetched", action, level), (n, outcome)
        warning_ids.add(outcome.warning_id)
    warning_ids.discard(None)
    [warning_id] = warning_ids
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        point = session.scalar(select(MonitoringPointRow).where(MonitoringPointRow.code == "W1"))
        assert point is not None
        assert session.scalar(select(func.count()).select_from(MonitoringReadingRow)) == 7
        warning = session.get(WarningRow, warning_id)
        assert warning is not None
        assert (warning.origin, warning.warning_type, warning.status, warning.real) == (
            "monitoring", "waterlogging", "lifted", True)
        assert warning.monitoring_point_id == point.id
        assert "W1积水监测" in warning.headline and "0.3m" in warning.description
        assert warning.area_desc == "万福社区 万福街铁路桥下"
        events = session.scalars(select(WarningEventRow).where(WarningEventRow.warning_id == warning_id)
                                 .order_by(WarningEventRow.id)).all()
        assert [(e.action, e.level) for e in events] == [
            ("issued", "yellow"), ("raised", "orange"), ("lowered", "yellow"), ("lifted", "yellow")]
        assert all(e.actor == "monitoring:W1" and e.identifier for e in events)
        assert "0.27 m" in events[0].reason and "raise_at 0.25" in events[0].reason
        assert "clear_below 0.1" in events[-1].reason
        cap = read_cap(export_warning(session, office=office, warning_id=warning_id, plan=CONTEXT.plan,
                                      area=CONTEXT.area))
        assert cap.message.msg_type is CapMsgType.CANCEL and len(cap.message.references) == 3


def test_conditional_requests_are_answered_304_and_change_nothing(sessions: sessionmaker[Session],
                                                                 httpserver: HTTPServer, tmp_path: Path) -> None:
    """The validators of a 200 are sent with the next poll (If-None-Match, If-Modified-Since); a 304 stores nothing,
    keeps the warning, and the validators stay for the poll after."""
    plan = write_plan(tmp_path, {"W1": httpserver.url_for("/w1")})
    modified = "Mon, 20 Jul 2026 01:00:00 GMT"
    serve(httpserver, "/w1", {"value": 0.30, "at": at(0)}, headers={"ETag": '"r1"', "Last-Modified": modified})
    first = poll_all(sessions, plan, T0 + timedelta(minutes=1))["W1"]
    assert (first.action, first.level) == ("issued", "yellow")
    httpserver.clear_all_handlers()
    httpserver.expect_request("/w1", headers={"If-None-Match": '"r1"', "If-Modified-Since": modified}) \
        .respond_with_data("", status=304)
    for minutes in (3, 5):
        again = poll_all(sessions, plan, T0 + timedelta(minutes=minutes))["W1"]
        assert (again.status, again.readings, again.action, again.level) == ("not_modified", 0, None, "yellow")
        assert again.warning_id == first.warning_id
    httpserver.check_assertions()
    with sessions.begin() as session:
        point = session.scalar(select(MonitoringPointRow).where(MonitoringPointRow.code == "W1"))
        assert point is not None and (point.etag, point.last_modified, point.last_error) == ('"r1"', modified, None)
        assert point.last_polled_at == T0 + timedelta(minutes=5)
        assert session.scalar(select(func.count()).select_from(MonitoringReadingRow)) == 1


def test_readings_are_stored_once_and_late_ones_do_not_move_the_warning(sessions: sessionmaker[Session],
                                                                        httpserver: HTTPServer,
                                                                        tmp_path: Path) -> None:
    """A server without validators repeats its readings: each (point, time) is stored once. A reading older than the
    newest stored is kept but does not issue a warning, even above a threshold."""
    plan = write_plan(tmp_path, {"W1": httpserver.url_for("/w1")})
    serve(httpserver, "/w1", [{"value": 0.05, "at": at(0)}, {"value": 0.08, "at": at(2)}])
    assert poll_all(sessions, plan, T0 + timedelta(minutes=3))["W1"].readings == 2
    again = poll_all(sessions, plan, T0 + timedelta(minutes=4))["W1"]
    assert (again.readings, again.duplicates, again.action) == (0, 2, None)
    serve(httpserver, "/w1", [{"value": 0.60, "at": at(1)}, {"value": 0.08, "at": at(2)}])
    late = poll_all(sessions, plan, T0 + timedelta(minutes=5))["W1"]
    assert (late.readings, late.duplicates, late.action, late.level) == (1, 1, None, None)
    with sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(MonitoringReadingRow)) == 3
        assert session.scalar(select(func.count()).select_from(WarningRow)) == 0


def test_a_failing_point_is_recorded_and_the_others_go_on(sessions: sessionmaker[Session], httpserver: HTTPServer,
                                                          tmp_path: Path) -> None:
    """A 500, a body that is not JSON, a reading without a UTC offset, a wrong unit and a timeout: each point is
    reported with why (and keeps its state); the good point's reading and warning are stored."""
    done = threading.Event()

    def slow(_request: Request) -> Response:
        time.sleep(0.9)
        done.set()
        return Response('{"value": 1, "at": "2026-07-20T09:00:00+08:00"}', content_type="application/json")

    httpserver.expect_request("/broken").respond_with_data("oops", status=500)
    httpserver.expect_request("/html").respond_with_data("<html>maintenance</html>", content_type="text/html")
    httpserver.expect_request("/naive").respond_with_json({"value": 0.3, "at": "2026-07-20T09:00:00"})
    httpserver.expect_request("/cm").respond_with_json({"value": 30, "at": at(0), "unit": "cm"})
    httpserver.expect_request("/slow").respond_with_handler(slow)
    httpserver.expect_request("/good").respond_with_json({"value": 0.55, "at": at(0)})
    # Points are polled in code order and the test server answers one request at a time: the slow one goes last.
    codes = ("A-BROKEN", "B-HTML", "C-NAIVE", "D-CM", "E-GOOD", "F-SLOW")
    paths = ("/broken", "/html", "/naive", "/cm", "/good", "/slow")
    plan = write_plan(tmp_path, {code: httpserver.url_for(path) for code, path in zip(codes, paths, strict=True)})
    outcomes = poll_all(sessions, plan, T0 + timedelta(minutes=1),
                        http=make_http_session(retries=0, timeout=(1.0, 0.5)))
    assert [outcomes[c].status for c in codes] == ["failed"] * 4 + ["fetched", "failed"]
    assert "HTTP 500" in (outcomes["A-BROKEN"].error or "")
    assert "not JSON" in (outcomes["B-HTML"].error or "")
    assert "has no UTC offset" in (outcomes["C-NAIVE"].error or "")
    assert "unit 'cm' is not the point's unit 'm'" in (outcomes["D-CM"].error or "")
    assert "Timeout" in (outcomes["F-SLOW"].error or "")
    assert (outcomes["E-GOOD"].action, outcomes["E-GOOD"].level) == ("issued", "red")
    assert done.wait(5)
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        listed = {p.code: p for p in list_points(session, office=office, plan=plan)}
        assert "HTTP 500" in (listed["A-BROKEN"].last_error or "")
        assert listed["E-GOOD"].last_error is None and listed["E-GOOD"].last_value == 0.55
        assert listed["E-GOOD"].level == "red" and listed["E-GOOD"].community == "万福社区"
        assert session.scalar(select(func.count()).select_from(MonitoringReadingRow)) == 1


def test_a_point_lifted_by_hand_is_issued_again_only_at_a_raise_threshold(sessions: sessionmaker[Session],
                                                                         httpserver: HTTPServer,
                                                                         tmp_path: Path) -> None:
    """After the duty officer lifts a monitoring warning, a reading inside the yellow band issues blue (its
    raise_at is passed), not yellow; a reading at yellow's raise_at raises again."""
    plan = write_plan(tmp_path, {"W1": httpserver.url_for("/w1")})
    serve(httpserver, "/w1", {"value": 0.30, "at": at(0)})
    first = poll_all(sessions, plan, T0 + timedelta(minutes=1))["W1"]
    assert first.warning_id is not None
    with sessions.begin() as session:
        lift_warning(session, office=get_office(session, name=OFFICE), warning_id=first.warning_id,
                     publisher=CONTEXT.publisher, now=T0 + timedelta(minutes=2), actor="值班员", reason="现场确认已排水")
    serve(httpserver, "/w1", {"value": 0.22, "at": at(3)})
    second = poll_all(sessions, plan, T0 + timedelta(minutes=3))["W1"]
    assert (second.action, second.level) == ("issued", "blue") and second.warning_id != first.warning_id
    serve(httpserver, "/w1", {"value": 0.26, "at": at(4)})
    third = poll_all(sessions, plan, T0 + timedelta(minutes=4))["W1"]
    assert (third.action, third.level, third.warning_id) == ("raised", "yellow", second.warning_id)


def test_sync_stores_points_once_and_follows_the_plan(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """The shipped plan's points are stored with their community and grid; a second sync changes nothing; a new URL
    drops the old validators; a point the plan no longer lists is deactivated, not deleted."""
    shipped = load_monitoring_plan(DEFAULT_PLANS_DIR)
    assert sync(sessions, shipped) == {"points": 4, "created": 4, "updated": 0, "unchanged": 0, "deactivated": 0}
    assert sync(sessions, shipped)["unchanged"] == 4
    with sessions.begin() as session:
        row = session.scalar(select(MonitoringPointRow).where(MonitoringPointRow.code == "GAS-ZY-001"))
        assert row is not None and row.unit == "%LEL" and row.kind == "gas_concentration"
        community = session.get(CommunityRow, row.community_id)
        grid = session.get(GridRow, row.grid_id)
        assert community is not None and grid is not None and (community.code, grid.code) == ("ZY01", "ZY01-02")
        row.etag, row.last_modified = '"x"', "Mon, 20 Jul 2026 01:00:00 GMT"
    moved = write_plan(tmp_path, {"GAS-ZY-001": "http://127.0.0.1:9/new"})
    assert sync(sessions, moved) == {"points": 1, "created": 0, "updated": 1, "unchanged": 0, "deactivated": 3}
    with sessions.begin() as session:
        row = session.scalar(select(MonitoringPointRow).where(MonitoringPointRow.code == "GAS-ZY-001"))
        assert row is not None and (row.etag, row.last_modified, row.kind) == (None, None, "water_level")
        assert session.scalar(select(func.count()).select_from(MonitoringPointRow)) == 4
        assert [t.code for t in poll_targets(session, office=get_office(session, name=OFFICE), plan=moved)] == [
            "GAS-ZY-001"]

