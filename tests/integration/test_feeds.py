"""The feed poll against a real HTTP server on 127.0.0.1 and a real database (SQLite and PostgreSQL): conditional
requests, new and repeated messages (de-duplicated by identifier, sender and sent), failing feeds reported while the
others go on."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import requests
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug import Request, Response

from emergency.adapters.cap_feeds import Fetched, fetch, make_fetcher
from emergency.adapters.http import make_http_session
from emergency.db.models import CapMessageRow, FeedSourceRow, WarningRow
from emergency.plans.feeds import Feed, FeedPlan
from emergency.services.feeds import FeedOutcome, FeedTarget, feed_targets, poll_feed, sync_feeds
from emergency.services.incidents import get_office
from emergency.services.warnings import ImportContext
from emergency.timelines import parse_aware
from tests.warning_support import AREA, PLAN, SAMPLES, Info, cap_bytes, ref

OFFICE = "长春市绿园区正阳街道办事处"
CONTEXT = ImportContext(plan=PLAN, area=AREA)
T0 = parse_aware("2026-07-20T10:00:00+08:00")
SAMPLE = "oasiscap__v1dot2_appendix_adot1.xml"  # real CAP 1.2 (US DHS): recorded, ignored as outside the area


def entry(data: bytes) -> str:
    """Return an Atom entry embedding a CAP message."""
    text = data.decode().replace('<?xml version="1.0" encoding="UTF-8"?>', "")
    return f'<entry><title>t</title><content type="application/cap+xml">{text}</content></entry>'


def link(href: str) -> str:
    """Return an Atom entry linking to a CAP message."""
    return f'<entry><title>l</title><link type="application/cap+xml" href="{href}"/></entry>'


def atom(*entries: str) -> str:
    """Return an Atom feed of *entries*."""
    return ('<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>长春市预警</title>'
            + "".join(entries) + "</feed>")


ALERT = cap_bytes("CC-1", sent="2026-07-20T09:30:00+08:00")
UPDATE = cap_bytes("CC-2", sent="2026-07-20T09:50:00+08:00", msg_type="Update",
                   references=(ref("CC-1", "2026-07-20T09:30:00+08:00"),),
                   infos=(Info(headline="长春市气象台发布暴雨红色预警信号", severity="Extreme"),))


def poll_all(sessions: sessionmaker[Session], feeds: list[tuple[str, str]], now: datetime,
             http: requests.Session | None = None) -> dict[str, FeedOutcome]:
    """Do what the feed flow does: sync the feeds, then poll each through the adapter."""
    session_http = http or make_http_session(retries=0)
    plan = FeedPlan(tuple(Feed(name=name, url=url, source="test") for name, url in feeds), "feeds.yaml")
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        sync_feeds(session, office=office, plan=plan, now=now)
        targets = feed_targets(session, office=office)

    def fetch_feed(target: FeedTarget) -> Fetched:
        return fetch(session_http, target.url, etag=target.etag, last_modified=target.last_modified)

    return {t.name: poll_feed(sessions, office_name=OFFICE, target=t, context=CONTEXT, fetch_feed=fetch_feed,
                              fetch=make_fetcher(session_http), now=now) for t in targets}


def count(sessions: sessionmaker[Session], model: type) -> int:
    """Return the number of rows of *model*."""
    with sessions.begin() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_new_and_repeated_messages(sessions: sessionmaker[Session], httpserver: HTTPServer) -> None:
    """A feed with an embedded alert and a linked real sample imports both; the same feed again imports nothing
    (duplicates by identifier, sender and sent); the feed with an Update added imports only the Update."""
    httpserver.expect_request(f"/cap/{SAMPLE}").respond_with_data((SAMPLES / SAMPLE).read_bytes(),
                                                                   content_type="application/cap+xml")
    httpserver.expect_request("/feed.atom").respond_with_data(atom(entry(ALERT), link(f"cap/{SAMPLE}")),
                                                              content_type="application/atom+xml")
    feeds = [("长春", httpserver.url_for("/feed.atom"))]
    first = poll_all(sessions, feeds, T0)["长春"]
    assert (first.status, first.messages, first.new, first.duplicates, first.errors) == ("fetched", 2, 2, 0, 0)
    assert [(o["identifier"], o["action"]) for o in first.outcomes] == [("CC-1", "issued"), ("43b080713727", "ignored")]
    second = poll_all(sessions, feeds, T0 + timedelta(minutes=5))["长春"]
    assert (second.messages, second.new, second.duplicates, second.outcomes) == (2, 0, 2, [])
    httpserver.clear_all_handlers()
    httpserver.expect_request(f"/cap/{SAMPLE}").respond_with_data((SAMPLES / SAMPLE).read_bytes())
    httpserver.expect_request("/feed.atom").respond_with_data(atom(entry(UPDATE), entry(ALERT), link(f"cap/{SAMPLE}")))
    third = poll_all(sessions, feeds, T0 + timedelta(minutes=10))["长春"]
    assert (third.messages, third.new, third.duplicates) == (3, 1, 2)
    assert [(o["identifier"], o["action"], o["colour_level"]) for o in third.outcomes] == [("CC-2", "updated", "red")]
    assert count(sessions, CapMessageRow) == 3
    with sessions.begin() as session:
        [warning] = session.scalars(select(WarningRow)).all()
        assert (warning.origin, warning.level, warning.status) == ("upstream", "red", "active")
        row = session.scalar(select(FeedSourceRow))
        assert row is not None and row.last_polled_at == T0 + timedelta(minutes=10) and row.last_error is None


def test_conditional_requests_are_answered_304(sessions: sessionmaker[Session], httpserver: HTTPServer) -> None:
    """The feed's ETag and Last-Modified go with the next poll; the 304 imports nothing and the validators stay."""
    modified = "Mon, 20 Jul 2026 01:30:00 GMT"
    httpserver.expect_ordered_request("/feed.atom").respond_with_data(
        atom(entry(ALERT)), headers={"ETag": 'W/"f1"', "Last-Modified": modified})
    httpserver.expect_ordered_request("/feed.atom", headers={"If-None-Match": 'W/"f1"', "If-Modified-Since": modified}) \
        .respond_with_data("", status=304)
    feeds = [("长春", httpserver.url_for("/feed.atom"))]
    assert poll_all(sessions, feeds, T0)["长春"].new == 1
    again = poll_all(sessions, feeds, T0 + timedelta(minutes=5))["长春"]
    assert (again.status, again.messages) == ("not_modified", 0)
    httpserver.check_assertions()
    with sessions.begin() as session:
        row = session.scalar(select(FeedSourceRow))
        assert row is not None and (row.etag, row.last_modified, row.last_error) == ('W/"f1"', modified, None)
    assert count(sessions, CapMessageRow) == 1


def test_a_failing_feed_is_reported_and_the_others_go_on(sessions: sessionmaker[Session],
                                                         httpserver: HTTPServer) -> None:
    """A 404, a timeout and a body that is not XML are each reported (last_error kept); the good feed imports."""
    done = threading.Event()

    def slow(_request: Request) -> Response:
        time.sleep(0.9)
        done.set()
        return Response(atom(entry(ALERT)))

    httpserver.expect_request("/gone.atom").respond_with_data("gone", status=404)
    httpserver.expect_request("/slow.atom").respond_with_handler(slow)
    httpserver.expect_request("/json").respond_with_json({"not": "xml"})
    httpserver.expect_request("/good.atom").respond_with_data(atom(entry(ALERT)))
    # The slow feed is polled last: the test server answers one request at a time.
    names = ("gone", "json", "good", "slow")
    feeds = [(name, httpserver.url_for(path)) for name, path in zip(
        names, ("/gone.atom", "/json", "/good.atom", "/slow.atom"), strict=True)]
    outcomes = poll_all(sessions, feeds, T0, http=make_http_session(retries=0, timeout=(1.0, 0.5)))
    assert [outcomes[n].status for n in names] == ["failed", "fetched", "fetched", "failed"]
    assert "HTTP 404" in (outcomes["gone"].error or "")
    assert "Timeout" in (outcomes["slow"].error or "")
    assert outcomes["json"].errors == 1 and outcomes["json"].outcomes[0]["error"]
    assert (outcomes["good"].new, outcomes["good"].errors) == (1, 0)
    assert done.wait(5)
    with sessions.begin() as session:
        errors = {r.name: r.last_error for r in session.scalars(select(FeedSourceRow))}
    assert "HTTP 404" in (errors["gone"] or "") and errors["json"] and errors["good"] is None


def test_a_failed_entry_is_fetched_again_next_time(sessions: sessionmaker[Session], httpserver: HTTPServer) -> None:
    """When an entry cannot be imported, the feed's validators are not kept: the next poll fetches the feed in full,
    imports the entry now available and skips the one already imported."""
    body = atom(entry(ALERT), link("cap/CC-9.xml"))
    httpserver.expect_request("/feed.atom").respond_with_data(body, headers={"ETag": '"e1"'})
    httpserver.expect_request("/cap/CC-9.xml").respond_with_data("not yet", status=503)
    feeds = [("长春", httpserver.url_for("/feed.atom"))]
    first = poll_all(sessions, feeds, T0)["长春"]
    assert (first.new, first.errors) == (1, 1)
    httpserver.clear_all_handlers()
    httpserver.expect_request("/feed.atom", headers={"If-None-Match": '"e1"'}).respond_with_data("", status=304)
    httpserver.expect_request("/feed.atom").respond_with_data(body, headers={"ETag": '"e1"'})
    httpserver.expect_request("/cap/CC-9.xml").respond_with_data(
        cap_bytes("CC-9", infos=(Info(event="大风", headline="长春市气象台发布大风蓝色预警信号"),)))
    second = poll_all(sessions, feeds, T0 + timedelta(minutes=5))["长春"]
    assert (second.status, second.new, second.duplicates, second.errors) == ("fetched", 1, 1, 0)
    with sessions.begin() as session:
        row = session.scalar(select(FeedSourceRow))
        assert row is not None and (row.etag, row.last_error) == ('"e1"', None)


def test_an_empty_feed_is_not_an_error(sessions: sessionmaker[Session], httpserver: HTTPServer) -> None:
    """No warning in force: the feed has no entries; nothing is imported, nothing is reported, validators are kept."""
    httpserver.expect_request("/feed.atom").respond_with_data(atom(), headers={"ETag": '"empty"'})
    outcome = poll_all(sessions, [("长春", httpserver.url_for("/feed.atom"))], T0)["长春"]
    assert (outcome.status, outcome.messages, outcome.errors, outcome.error) == ("fetched", 0, 0, None)
    with sessions.begin() as session:
        row = session.scalar(select(FeedSourceRow))
        assert row is not None and (row.etag, row.last_error) == ('"empty"', None)


def test_sync_follows_the_plan(sessions: sessionmaker[Session]) -> None:
    """Feeds are stored by URL once; an inactive one is not polled; one the plan drops is deactivated."""
    plan = FeedPlan((Feed(name="a", url="http://127.0.0.1:9/a", source="s"),
                     Feed(name="b", url="http://127.0.0.1:9/b", active=False, source="s")), "feeds.yaml")
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        assert sync_feeds(session, office=office, plan=plan, now=T0)["created"] == 2
        assert sync_feeds(session, office=office, plan=plan, now=T0)["unchanged"] == 2
        assert [t.name for t in feed_targets(session, office=office)] == ["a"]
        dropped = sync_feeds(session, office=office, plan=FeedPlan(plan.feeds[1:], "feeds.yaml"), now=T0)
        assert dropped["deactivated"] == 1 and feed_targets(session, office=office) == []
