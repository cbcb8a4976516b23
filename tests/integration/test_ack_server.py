"""The acknowledgement endpoint for real: HTTP on 127.0.0.1, the notice's signed link, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from emergency.ack_server import AckServer, start_ack_server
from emergency.db.models import ObligationRow, WarningNoticeRow
from emergency.reporting.documents import DEFAULT_TEMPLATES
from emergency.services.warning_notices import obligation_key
from tests.integration.test_warning_notices import NOW, SECRET, down, issue, notices, seed

LATER = NOW.replace(minute=12)


@pytest.fixture
def server(sessions: sessionmaker[Session]) -> Iterator[AckServer]:
    """The real endpoint on a free port of 127.0.0.1, its clock fixed at 10:12."""
    with start_ack_server(sessions, secret=SECRET, clock=lambda: LATER, templates_dir=DEFAULT_TEMPLATES) as running:
        yield running


def link_of(sessions: sessionmaker[Session], warning_id: int, recipient: str, server: AckServer) -> str:
    """Return the recipient's link as its notice carries it, pointed at the running server."""
    notice = next(n for n in notices(sessions, warning_id) if n.recipient_name == recipient)
    with sessions.begin() as session:
        from emergency.db.models import OutboxRow

        body = session.scalars(select(OutboxRow.body).where(OutboxRow.id == notice.outbox_id)).one()
    link = str(body["ack_url"])
    return link.replace("http://127.0.0.1:8765/", server.url)


def acknowledged(sessions: sessionmaker[Session]) -> list[tuple[str, str | None, str | None]]:
    with sessions.begin() as session:
        return [(n.recipient_name, n.acknowledged_by, n.ack_channel) for n in session.scalars(
            select(WarningNoticeRow).where(WarningNoticeRow.acknowledged_at.is_not(None)).order_by(WarningNoticeRow.id))]


def test_the_link_acknowledges_once_over_http(sessions: sessionmaker[Session], tmp_path: Path,
                                              server: AckServer) -> None:
    """GET shows the notice and a form and records nothing; POST records the 签收 and meets the clock; a repeat POST
    answers with the first record."""
    seed(sessions)
    warning_id = issue(sessions)
    down(sessions, warning_id, tmp_path)
    link = link_of(sessions, warning_id, "正阳社区第二网格", server)
    page = requests.get(link, timeout=5)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "关于暴雨橙色预警的通知" in page.text and "正阳社区第二网格" in page.text and "确认签收" in page.text
    assert "请于2026-07-20 10:30前签收" in page.text
    assert acknowledged(sessions) == []  # a link preview never acknowledges
    done = requests.post(link, data={"by": "刘洋"}, timeout=5)
    assert done.status_code == 200 and "签收成功" in done.text and "刘洋" in done.text
    again = requests.post(link, json={"by": "别人"}, timeout=5)
    assert again.status_code == 200
    assert again.json() | {"notice": 0, "warning": 0} == {
        "acknowledged": True, "duplicate": True, "notice": 0, "warning": 0, "recipient": "正阳社区第二网格",
        "acknowledged_at": "2026-07-20T10:12:00+08:00", "acknowledged_by": "刘洋", "channel": "callback"}
    assert acknowledged(sessions) == [("正阳社区第二网格", "刘洋", "callback")]
    notice = next(n for n in notices(sessions, warning_id) if n.recipient_name == "正阳社区第二网格")
    with sessions.begin() as session:
        status = session.scalars(select(ObligationRow.status).where(ObligationRow.key == obligation_key(notice.id)))
        assert status.one() == "met"
    assert server.counts() == (1, 0)


def test_a_tampered_link_is_refused_with_403_and_nothing_recorded(sessions: sessionmaker[Session], tmp_path: Path,
                                                                   server: AckServer) -> None:
    """A changed signature, token or notice number, or a missing one, is 403 for GET and POST alike."""
    seed(sessions)
    warning_id = issue(sessions)
    down(sessions, warning_id, tmp_path)
    link = link_of(sessions, warning_id, "万福社区", server)
    base, signature = link.rsplit("&s=", 1)
    flipped = signature[:-1] + ("a" if signature[-1] != "a" else "b")
    other = next(n for n in notices(sessions, warning_id) if n.recipient_name == "青年路社区")
    path, query = base.split("?", 1)
    bad_links = [f"{base}&s={flipped}", base, link.replace("?t=", "?t=x"),
                 f"{path.rsplit('/', 1)[0]}/{other.id}?{query}&s={signature}"]
    for bad in bad_links:
        assert requests.get(bad, timeout=5).status_code == 403
        refused = requests.post(bad, data={"by": "冒名"}, headers={"Accept": "application/json"}, timeout=5)
        assert refused.status_code == 403 and "not valid" in refused.json()["error"]
    assert "签收链接无效" in requests.post(bad_links[0], data={"by": "冒名"}, timeout=5).text
    assert acknowledged(sessions) == []
    with sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(ObligationRow).where(ObligationRow.status == "met")) == 0
    assert requests.get(f"{server.url}elsewhere", timeout=5).status_code == 404
    assert server.counts() == (0, 9)


def test_a_name_too_long_is_refused_with_its_field(sessions: sessionmaker[Session], tmp_path: Path,
                                                   server: AckServer) -> None:
    """Bad input is 400 naming the field; nothing is recorded; without a name the 网格长 is recorded."""
    seed(sessions)
    warning_id = issue(sessions)
    down(sessions, warning_id, tmp_path)
    link = link_of(sessions, warning_id, "万福社区第一网格", server)
    refused = requests.post(link, data={"by": "名" * 65}, timeout=5)
    assert refused.status_code == 400 and refused.json()["field"] == "by"
    assert acknowledged(sessions) == []
    assert requests.post(link, timeout=5).status_code == 200
    assert acknowledged(sessions) == [("万福社区第一网格", "陈静", "callback")]
