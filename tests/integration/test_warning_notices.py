"""Passing warnings down to communities and grids, acknowledgement, the 转发到位率, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import docx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from emergency.adapters.channels import Receipt
from emergency.clocks import Clocks
from emergency.db.models import (
    ClockEventRow,
    LiveFindingRow,
    MonitoringPointRow,
    ObligationRow,
    OutboxRow,
    WarningNoticeRow,
)
from emergency.delivery_config import load_delivery
from emergency.domain.enums import WarningLevel, WarningOrigin
from emergency.domain.warning_notices import signature_ok
from emergency.errors import InputError, NotFoundError
from emergency.plans.loader import DEFAULT_PLANS_DIR
from emergency.plans.warning_notices import AckDeadline, AckDeadlines, WarningNoticePlan, load_warning_notice_plan
from emergency.reporting.documents import DEFAULT_TEMPLATES
from emergency.services.incidents import get_office
from emergency.services.organisation import add_shift, load_street_into
from emergency.services.outbox import mark_sent
from emergency.services.warning_notices import (
    AckLinks,
    AckRefused,
    PassDownSetup,
    acknowledge,
    acknowledge_link,
    obligation_key,
    pass_down,
    pass_down_pending,
    receipts_document,
    view_link,
    warning_receipts,
)
from emergency.services.warnings import ImportContext, import_document, issue_warning, lift_warning, update_warning
from emergency.timelines import parse_aware
from tests.integration.test_clocks import FAST, wait_until
from tests.warning_support import AREA, PLAN, PUBLISHER, STREET, Info, cap_bytes

OFFICE = "长春市绿园区正阳街道办事处"
NOW = parse_aware("2026-07-20T10:00:00+08:00")
SECRET = "test-ack-secret"
BASE = "http://127.0.0.1:8765/"
EVERYONE = ["ZY01", "ZY01-01", "ZY01-02", "ZY02", "ZY02-01", "ZY02-02", "ZY03", "ZY03-01"]


def setup_for(folder: Path, plan: WarningNoticePlan | None = None, links: bool = True) -> PassDownSetup:
    """Documents into *folder*, the shipped plans and routes, links signed with the test secret."""
    return PassDownSetup(plan=plan or load_warning_notice_plan(DEFAULT_PLANS_DIR), warning_plan=PLAN,
                         delivery=load_delivery(), out_dir=folder / "out", templates_dir=DEFAULT_TEMPLATES,
                         links=AckLinks(BASE, SECRET) if links else None)


def seed(sessions: sessionmaker[Session], at: datetime = NOW) -> None:
    """Load the example street (3 communities, 5 grids) and a duty shift around *at*."""
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        load_street_into(session, office=office, street=STREET)
        add_shift(session, office=office, starts_at=at - timedelta(hours=1), ends_at=at + timedelta(hours=1),
                  duty_officer="吴刚", leader_on_duty="李强", phone="0431-8000000")


def issue(sessions: sessionmaker[Session], level: WarningLevel = WarningLevel.ORANGE, *, drill: bool = False,
          warning_type: str = "rainstorm", at: datetime = NOW, **kwargs: object) -> int:
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        row = issue_warning(session, office=office, plan=PLAN, publisher=PUBLISHER, area=AREA,
                            warning_type=warning_type, level=level, now=at, actor="周平", drill=drill,
                            **kwargs)  # type: ignore[arg-type]
        return row.id


def down(sessions: sessionmaker[Session], warning_id: int, folder: Path, at: datetime = NOW,
         setup: PassDownSetup | None = None) -> list[int]:
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        return [n.id for n in pass_down(session, office=office, warning_id=warning_id, setup=setup or setup_for(folder),
                                        now=at)]


def notices(sessions: sessionmaker[Session], warning_id: int) -> list[WarningNoticeRow]:
    with sessions.begin() as session:
        rows = session.scalars(select(WarningNoticeRow).where(WarningNoticeRow.warning_id == warning_id)
                               .order_by(WarningNoticeRow.id)).all()
        session.expunge_all()
        return list(rows)


def obligation_statuses(sessions: sessionmaker[Session], ids: list[int]) -> list[str]:
    with sessions.begin() as session:
        return [session.scalars(select(ObligationRow.status).where(ObligationRow.key == obligation_key(i))).one()
                for i in ids]


def document_text(path: str) -> str:
    return "\n".join(p.text for p in docx.Document(path).paragraphs)


def test_a_real_warning_reaches_every_community_and_grid_once(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """An orange rainstorm warning of the office: 8 notices (3 communities, 5 grids), each a .docx and a robot message
    through the outbox with keys per (step, recipient), and a 30-minute acknowledgement clock; again: nothing new."""
    seed(sessions)
    warning_id = issue(sessions)
    ids = down(sessions, warning_id, tmp_path)
    assert len(ids) == 8
    assert down(sessions, warning_id, tmp_path) == []  # idempotent: the same step is never passed down twice
    rows = notices(sessions, warning_id)
    assert [r.recipient_kind for r in rows].count("community") == 3
    with sessions.begin() as session:
        outbox = session.scalars(select(OutboxRow).order_by(OutboxRow.id)).all()
        assert len(outbox) == 16
        first = rows[0]
        keys = sorted(r.idempotency_key for r in outbox if r.idempotency_key.startswith(first.key + ":"))
        assert keys == [f"{first.key}:message@grid_wecom", f"{first.key}:notice@community_notices"]
        assert first.key == f"warning:{warning_id}:event:{first.event_id}:community:{first.community_id}"
        message = next(r for r in outbox if r.idempotency_key == f"{first.key}:message@grid_wecom")
        assert not message.drill and message.topic == "warning_message"
        assert message.body["text"].startswith("正阳社区：2026年7月20日10时，长春市绿园区正阳街道办事处发布暴雨橙色预警。")
        assert "请于2026年7月20日10时30分前签收，签收链接：http://127.0.0.1:8765/ack/" in message.body["text"]
        notice = next(r for r in outbox if r.idempotency_key == f"{first.key}:notice@community_notices")
        assert notice.subject == "【预警信息通知】正阳社区：关于暴雨橙色预警的通知"
        assert notice.body["document_number"] == "正阳应急预警〔2026〕1号" and notice.attachment == first.docx_path
        clocks = session.scalars(select(ObligationRow).where(ObligationRow.subject == "warning_ack")
                                 .order_by(ObligationRow.id)).all()
        assert len(clocks) == 8 and {c.status for c in clocks} == {"open"}
        assert clocks[0].due_at == NOW + timedelta(minutes=30) and clocks[0].incident_id is None
        assert clocks[0].office_id is not None and clocks[0].rule == "warning_notices.ack_deadlines.orange"
        assert clocks[0].label == f"预警{warning_id}签收：正阳社区"
    # The link in the notice verifies with the secret, for that notice only.
    link = message.body["text"].rsplit("签收链接：", 1)[1].rstrip("。")
    assert link.startswith(f"{BASE}ack/{first.id}?t={first.ack_token}&s=")
    assert signature_ok(SECRET, first.id, first.ack_token, link.rsplit("&s=", 1)[1])


def test_the_notice_carries_the_warning_the_plans_actions_and_how_to_acknowledge(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """The .docx: 主送 the grid, the warning's type, colour, headline, area, times, the checklist of the plan for
    rainstorm × orange, the deadline and the signed link."""
    seed(sessions)
    warning_id = issue(sessions, expires=NOW + timedelta(hours=6))
    down(sessions, warning_id, tmp_path)
    grid = next(r for r in notices(sessions, warning_id) if r.recipient_name == "正阳社区第一网格")
    assert grid.docx_path is not None
    text = document_text(grid.docx_path)
    assert "关于暴雨橙色预警的通知" in text and "正阳社区第一网格：" in text
    assert "正阳应急预警〔2026〕1号" in text
    assert "预警级别：橙色（Ⅱ级，严重）。" in text
    assert "预警标题：长春市绿园区正阳街道办事处发布暴雨橙色预警。" in text
    assert "影响区域：长春市绿园区正阳街道辖区。" in text
    assert "生效时间：2026年7月20日10时；失效时间：2026年7月20日16时。" in text
    for item in PLAN.checklist("rainstorm", WarningLevel.ORANGE):
        assert item.text in text
    assert "按照正阳街道预警响应措施清单，橙色预警须落实下列措施" in text
    assert "请于2026年7月20日10时30分前签收本通知" in text
    assert f"{BASE}ack/{grid.id}?t={grid.ack_token}&s=" in text
    assert "电话告知街道应急值班室（0431-8000000）" in text
    assert "演练" not in text


def test_raising_and_lifting_pass_down_new_notices_that_supersede_the_old(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """A raise sends everyone a new notice (red: 30 min) and supersedes their open clocks; acknowledged ones stay met.
    The lift reaches everyone told, with a 2-hour deadline, in stand-down words."""
    seed(sessions)
    warning_id = issue(sessions, WarningLevel.YELLOW)
    first = down(sessions, warning_id, tmp_path)
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        acknowledge(session, office=office, warning_id=warning_id, recipient="王丽", by="王丽",
                    now=NOW + timedelta(minutes=5))
        update_warning(session, office=office, warning_id=warning_id, plan=PLAN, publisher=PUBLISHER,
                       now=NOW + timedelta(minutes=20), actor="周平", level=WarningLevel.RED)
    second = down(sessions, warning_id, tmp_path, at=NOW + timedelta(minutes=20))
    assert len(second) == 8
    statuses = obligation_statuses(sessions, first)
    assert statuses.count("met") == 1 and statuses.count("superseded") == 7
    raised = next(r for r in notices(sessions, warning_id) if r.id == second[1])
    assert raised.docx_path is not None
    text = document_text(raised.docx_path)
    assert "关于暴雨预警升级为红色的通知" in text and "将暴雨预警由黄色升级为红色" in text
    assert "正阳应急预警〔2026〕2号" in text
    with sessions.begin() as session:
        due = session.scalars(select(ObligationRow.due_at).where(ObligationRow.key == obligation_key(second[0]))).one()
        assert due == NOW + timedelta(minutes=50)
        office = get_office(session, name=OFFICE)
        lift_warning(session, office=office, warning_id=warning_id, publisher=PUBLISHER,
                     now=NOW + timedelta(hours=3), actor="周平", reason="降雨结束")
    third = down(sessions, warning_id, tmp_path, at=NOW + timedelta(hours=3))
    assert len(third) == 8
    assert set(obligation_statuses(sessions, second)) == {"superseded"}
    lifted = next(r for r in notices(sessions, warning_id) if r.id == third[0])
    assert lifted.docx_path is not None
    text = document_text(lifted.docx_path)
    assert "关于解除暴雨红色预警的通知" in text and "可结束本预警期间采取的有关措施" in text
    assert "须落实下列措施" not in text
    with sessions.begin() as session:
        due = session.scalars(select(ObligationRow.due_at).where(ObligationRow.key == obligation_key(third[0]))).one()
        assert due == NOW + timedelta(hours=5)


def test_a_warning_lifted_before_anyone_was_told_sends_nothing(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """Issued and lifted before passing down: nobody has anything to stand down, so no notice; and nothing pends."""
    seed(sessions)
    warning_id = issue(sessions)
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        lift_warning(session, office=office, warning_id=warning_id, publisher=PUBLISHER, now=NOW, actor="周平")
        assert pass_down_pending(session, office=office, setup=setup_for(tmp_path), now=NOW) == []
    assert notices(sessions, warning_id) == []


def test_acknowledging_meets_the_clock_and_a_repeat_changes_nothing(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """By code, name or 网格长; the first record stands; unknown and ambiguous recipients are refused by field."""
    seed(sessions)
    warning_id = issue(sessions)
    down(sessions, warning_id, tmp_path)
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        first = acknowledge(session, office=office, warning_id=warning_id, recipient="ZY01-01", by=" 王丽 ",
                            now=NOW + timedelta(minutes=3))
        assert (first.recipient_name, first.acknowledged_by, first.channel, first.duplicate) == (
            "正阳社区第一网格", "王丽", "cli", False)
        again = acknowledge(session, office=office, warning_id=warning_id, recipient="王丽", by="别人",
                            now=NOW + timedelta(minutes=9))
        assert again.duplicate and again.acknowledged_by == "王丽" and again.acknowledged_at == NOW + timedelta(minutes=3)
        by_name = acknowledge(session, office=office, warning_id=warning_id, recipient="万福社区", by="万福社区书记",
                              now=NOW + timedelta(minutes=4))
        assert by_name.recipient_name == "万福社区"
        with pytest.raises(InputError, match=r"recipient.*none of those"):
            acknowledge(session, office=office, warning_id=warning_id, recipient="ZY09", by="x", now=NOW)
        with pytest.raises(InputError, match=r"by.*empty"):
            acknowledge(session, office=office, warning_id=warning_id, recipient="ZY02", by="  ", now=NOW)
        with pytest.raises(NotFoundError):
            acknowledge(session, office=office, warning_id=warning_id + 99, recipient="ZY02", by="x", now=NOW)
    rows = {r.recipient_name: r for r in notices(sessions, warning_id)}
    assert obligation_statuses(sessions, [rows["正阳社区第一网格"].id, rows["万福社区"].id, rows["正阳社区"].id]) == [
        "met", "met", "open"]


def test_a_signed_link_acknowledges_and_a_tampered_one_records_nothing(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """Token and HMAC must both match; a refusal stores nothing; without a name the 网格长 is recorded."""
    from emergency.domain.warning_notices import ack_signature

    seed(sessions)
    warning_id = issue(sessions)
    down(sessions, warning_id, tmp_path)
    grid = next(r for r in notices(sessions, warning_id) if r.recipient_name == "万福社区第二网格")
    signature = ack_signature(SECRET, grid.id, grid.ack_token)
    with sessions.begin() as session:
        for notice_id, token, sig, secret in [(grid.id, grid.ack_token, "0" * 64, SECRET),
                                              (grid.id, grid.ack_token + "x", signature, SECRET),
                                              (grid.id + 1, grid.ack_token, signature, SECRET),
                                              (grid.id, grid.ack_token, signature, "wrong secret"),
                                              (99999, grid.ack_token, signature, SECRET)]:
            with pytest.raises(AckRefused):
                acknowledge_link(session, notice_id=notice_id, token=token, signature=sig, by="x", secret=secret,
                                 now=NOW)
        assert session.scalar(select(func.count()).select_from(WarningNoticeRow)
                              .where(WarningNoticeRow.acknowledged_at.is_not(None))) == 0
        view = view_link(session, notice_id=grid.id, token=grid.ack_token, signature=signature, secret=SECRET)
        assert (view.recipient_name, view.title, view.acknowledged_at) == ("万福社区第二网格", "关于暴雨橙色预警的通知", None)
        done = acknowledge_link(session, notice_id=grid.id, token=grid.ack_token, signature=signature, by="",
                                secret=SECRET, now=NOW + timedelta(minutes=7))
        assert (done.acknowledged_by, done.channel, done.duplicate) == ("赵磊", "callback", False)
        again = acknowledge_link(session, notice_id=grid.id, token=grid.ack_token, signature=signature, by="另一人",
                                 secret=SECRET, now=NOW + timedelta(minutes=8))
        assert again.duplicate and again.acknowledged_by == "赵磊"


def test_receipts_show_who_received_and_who_acknowledged(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """转发到位率: received counts deliveries the outbox made (or an acknowledgement), acknowledged the 签收."""
    seed(sessions)
    warning_id = issue(sessions)
    down(sessions, warning_id, tmp_path)
    rows = notices(sessions, warning_id)
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        for notice in rows[:5]:  # five robot messages delivered a minute later
            outbox_id = session.scalars(select(OutboxRow.id).where(
                OutboxRow.idempotency_key == f"{notice.key}:message@grid_wecom")).one()
            mark_sent(session, outbox_id=outbox_id, receipt=Receipt(False, "errcode 0"), now=NOW + timedelta(minutes=1))
        acknowledge(session, office=office, warning_id=warning_id, recipient="ZY01", by="正阳社区书记",
                    now=NOW + timedelta(minutes=2))
        acknowledge(session, office=office, warning_id=warning_id, recipient="ZY03-01", by="孙敏",
                    now=NOW + timedelta(minutes=2))  # told by phone: counts as received too
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        receipts = warning_receipts(session, office=office, warning_id=warning_id)
    assert [r.code for r in receipts.recipients] == EVERYONE
    assert (receipts.rates.total, receipts.rates.received, receipts.rates.acknowledged) == (8, 6, 2)
    assert receipts.rates.acknowledged_rate == 0.25
    first = receipts.recipients[0]
    assert first.latest.sent_at == NOW + timedelta(minutes=1) and first.latest.acknowledged_by == "正阳社区书记"
    document = receipts_document(receipts)
    assert document["received_rate"] == 0.75
    assert document["recipients"][1]["contact"] == "王丽"
    assert document["recipients"][7]["ack_channel"] == "cli" and document["recipients"][7]["sent_at"] is None
    with sessions.begin() as session:  # the delivery time is now on the notice row too
        assert session.get(WarningNoticeRow, rows[0].id).sent_at == NOW + timedelta(minutes=1)  # type: ignore[union-attr]


def test_a_drill_is_marked_and_never_goes_to_real_recipients(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """A drill warning's notices go only to the drill route, flagged drill, the document marked 演练."""
    seed(sessions)
    warning_id = issue(sessions, WarningLevel.YELLOW, drill=True)
    ids = down(sessions, warning_id, tmp_path)
    assert len(ids) == 8
    with sessions.begin() as session:
        outbox = session.scalars(select(OutboxRow)).all()
        assert {(r.channel, r.topic, r.drill) for r in outbox} == {("drill_notices", "warning_drill", True)}
        assert all(r.body["text"].startswith("【演练】") for r in outbox if "text" in r.body)
        assert {o.drill for o in session.scalars(select(ObligationRow))} == {True}
    path = notices(sessions, warning_id)[0].docx_path
    assert path is not None and "【演练】本文件为应急演练文书" in document_text(path)


def test_a_monitoring_points_warning_goes_to_its_community_and_grid(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """A point in 万福社区第二网格: the community and that grid only."""
    seed(sessions)
    from emergency.db.models import CommunityRow, GridRow

    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        community = session.scalars(select(CommunityRow).where(CommunityRow.code == "ZY02")).one()
        grid = session.scalars(select(GridRow).where(GridRow.code == "ZY02-02")).one()
        point = MonitoringPointRow(office_id=office.id, code="WL-01", name="万福街下穿桥积水点", kind="water_level",
                                   unit="cm", url="http://127.0.0.1/wl", location="万福街下穿桥",
                                   community_id=community.id, grid_id=grid.id, active=True, created_at=NOW)
        session.add(point)
        session.flush()
        point_id = point.id
    warning_id = issue(sessions, warning_type="waterlogging", origin=WarningOrigin.MONITORING,
                       monitoring_point_id=point_id)
    down(sessions, warning_id, tmp_path)
    assert [r.recipient_name for r in notices(sessions, warning_id)] == ["万福社区", "万福社区第二网格"]


def test_only_real_upstream_warnings_are_passed_down(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """An imported Actual warning for the street is passed down by the catch-up; a Test or Exercise makes none."""
    seed(sessions)
    context = ImportContext(plan=PLAN, area=AREA)
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        for identifier, status in [("T1", "Test"), ("E1", "Exercise"), ("A1", "Actual")]:
            import_document(session, office=office, data=cap_bytes(identifier, status=status, infos=(Info(),)),
                            source=f"{identifier}.xml", now=NOW, context=context)
        created = pass_down_pending(session, office=office, setup=setup_for(tmp_path, links=False), now=NOW)
        assert len(created) == 8 and {n.ack_url for n in created} == {None}
        assert pass_down_pending(session, office=office, setup=setup_for(tmp_path), now=NOW) == []
        message = session.scalars(select(OutboxRow).where(OutboxRow.topic == "warning_message")).first()
        assert message is not None
        assert "长春市气象台发布暴雨橙色预警" in message.body["text"]
        assert "电话告知街道应急值班室，由值班员登记签收" in message.body["text"]  # no secret: no link


def test_the_real_clocks_chase_an_unacknowledged_notice_and_not_an_acknowledged_one(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """Deadlines 2 s away: the unacknowledged notice is reminded, breached and escalated in 签收 words (never a 迟报
    finding); the acknowledged one fires nothing."""
    start = datetime.now(UTC)
    seed(sessions, at=start)
    quick = AckDeadline(minutes=2 / 60, source="test")
    plan = WarningNoticePlan(source="test", ack_deadlines=AckDeadlines(red=quick, orange=quick, yellow=quick, blue=quick,
                                                                        no_level=quick, lifted=quick))
    warning_id = issue(sessions, at=start)
    ids = down(sessions, warning_id, tmp_path, at=start, setup=setup_for(tmp_path, plan))
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        acknowledge(session, office=office, warning_id=warning_id, recipient="ZY01-01", by="王丽", now=start)
        waiting, acked = (session.scalars(select(ObligationRow.id).where(ObligationRow.key == obligation_key(i))).one()
                          for i in (ids[0], ids[1]))
        # Only two clocks in this test: the other six notices are left out of it.
        for row in session.scalars(select(ObligationRow).where(ObligationRow.id.not_in([waiting, acked]))):
            row.status = "superseded"

    def steps(obligation_id: int) -> list[str]:
        with sessions.begin() as session:
            return list(session.scalars(select(ClockEventRow.step).where(ClockEventRow.obligation_id == obligation_id)
                                        .order_by(ClockEventRow.fired_at)))

    clocks = Clocks(sessions, FAST)
    clocks.start()
    try:
        wait_until(lambda: len(steps(waiting)) == 3)
    finally:
        clocks.stop()
    assert steps(waiting) == ["remind_0.01", "breach", "leader_on_duty"]
    assert steps(acked) == []
    with sessions.begin() as session:
        assert session.get(ObligationRow, waiting).status == "breached"  # type: ignore[union-attr]
        assert session.scalar(select(func.count()).select_from(LiveFindingRow)) == 0
        texts = [m.subject for m in session.scalars(select(OutboxRow).where(
            OutboxRow.idempotency_key.like(f"clock-{waiting}-%")).order_by(OutboxRow.id))]
        assert texts[0].startswith(f"【预警签收提醒】预警{warning_id}签收：正阳社区")
        assert texts[1].startswith("【预警未签收】") and "吴刚（0431-8000000）" in texts[1]
        assert texts[2].startswith("【预警未签收督办】") and "李强（0431-8000000）" in texts[2]
        assert not any("迟报" in t or "报送" in t for t in texts)
        office = get_office(session, name=OFFICE)
        late = acknowledge(session, office=office, warning_id=warning_id, recipient="ZY01", by="正阳社区书记",
                           now=datetime.now(UTC))
        assert not late.duplicate
        assert session.get(ObligationRow, waiting).status == "met"  # type: ignore[union-attr]


def _lock_waits(sessions: sessionmaker[Session]) -> int:
    """Return how many PostgreSQL backends wait on a lock (the other unit of work on the uncommitted keys)."""
    from sqlalchemy import text

    with sessions.begin() as session:
        return int(session.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")) or 0)


def test_two_processes_passing_the_same_step_down_send_it_once(sessions: sessionmaker[Session], tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture, backend: str) -> None:
    """While one unit of work holds the step's notices uncommitted, another passing down the same step stands back:
    8 notices, not 16. (PostgreSQL lets the other read and makes it wait on the notices' keys; SQLite makes it wait
    for the first to commit.)"""
    import logging
    import threading

    caplog.set_level(logging.INFO, logger="emergency.services.warning_notices")
    seed(sessions)
    warning_id = issue(sessions)
    results: list[int] = []
    started = threading.Event()

    def other() -> None:
        started.set()
        with sessions.begin() as session:
            office = get_office(session, name=OFFICE)
            results.append(len(pass_down_pending(session, office=office, setup=setup_for(tmp_path), now=NOW)))

    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        assert len(pass_down(session, office=office, warning_id=warning_id, setup=setup_for(tmp_path), now=NOW)) == 8
        thread = threading.Thread(target=other)
        thread.start()
        started.wait(5)
        if backend == "postgresql":  # hold the keys until the other is seen waiting on them
            wait_until(lambda: _lock_waits(sessions) > 0, timeout=10)
        else:
            thread.join(0.5)
    thread.join(30)
    assert results == [0]
    if backend == "postgresql":
        assert f"warning {warning_id} was passed down by another process just now" in caplog.text
    assert len(notices(sessions, warning_id)) == 8
