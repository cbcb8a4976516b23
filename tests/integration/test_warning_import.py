"""Importing CAP 1.2 into warning chains, and the office's own warnings, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from emergency.adapters.cap_feeds import fetch, make_fetcher
from emergency.adapters.http import make_http_session
from emergency.cap import read_cap, schema
from emergency.db.models import CapMessageRow, WarningEventRow, WarningRow
from emergency.domain.enums import CapMsgType, WarningLevel, WarningOrigin
from emergency.errors import ConflictError, InputError
from emergency.services.incidents import get_office
from emergency.services.warnings import (
    ImportContext,
    ImportOutcome,
    export_warning,
    import_document,
    issue_warning,
    lift_warning,
    update_warning,
)
from emergency.timelines import parse_aware
from tests.warning_support import AREA, CHANGCHUN_POLYGON, ELSEWHERE_POLYGON, PLAN, PUBLISHER, SAMPLES, Info, cap_bytes, ref

NOW = parse_aware("2026-07-20T10:00:00+08:00")
CONTEXT = ImportContext(plan=PLAN, area=AREA)
OFFICE = "长春市绿园区正阳街道办事处"

# The expected outcome of every shared sample for this office (长春, 2026): errors for the four broken ones;
# everything else is real CAP 1.2 from elsewhere, recorded and ignored (outside the area, or a Cancel of nothing).
SAMPLE_OUTCOMES: dict[str, tuple[str, str]] = {
    "google-cap-library__43b080713727.cap": ("ignored", "outside"),
    "google-cap-library__australia.cap": ("ignored", "outside"),
    "google-cap-library__canada.cap": ("ignored", "outside"),
    "google-cap-library__canada_errors.cap": ("ignored", "outside"),
    "google-cap-library__canada_signed.cap": ("ignored", "outside"),
    "google-cap-library__earthquake-iso8859-1.cap": ("ignored", "outside"),
    "google-cap-library__invalid.cap": ("error", "not valid CAP 1.2"),
    "google-cap-library__thunderstorm.cap": ("ignored", "outside"),
    "google-cap-library__wcatwc-warning.cap": ("ignored", "outside"),
    "google-cap-library__weather.cap": ("error", "CAP 1.1"),
    "google-cap-library__xee.cap": ("error", "refused: the document has a DOCTYPE"),
    "oasiscap__google-PAAQ-4-mg5a94.xml": ("ignored", "outside"),
    "oasiscap__ipaws-5e6dd964023f1930ef638846.xml": ("ignored", "outside"),
    "oasiscap__ipaws-5e6dd9de023f1930ef6548d9.xml": ("ignored", "no warning of this office"),
    "oasiscap__ipaws-5e6ddbad023f1930ef6c1a5a.xml": ("ignored", "outside"),
    "oasiscap__ipaws-5e7e0fc5023f1930efcf3deb.xml": ("ignored", "outside"),
    "oasiscap__ipaws-5ea321f39fc226a7b44b6874.xml": ("ignored", "outside"),
    "oasiscap__nws-5c2cf27b1f56885d61654dc47fa411d5.xml": ("error", "CAP 1.1"),
    "oasiscap__v1dot2_appendix_adot1.xml": ("ignored", "outside"),
    "oasiscap__v1dot2_appendix_adot2.xml": ("ignored", "outside"),
    "oasiscap__v1dot2_appendix_adot3.xml": ("ignored", "outside"),
    "oasiscap__v1dot2_appendix_adot4.xml": ("ignored", "outside"),
}


def run_import(sessions: sessionmaker[Session], data: bytes, source: str = "test.xml", now: datetime = NOW,
               fetcher: object = None, context: ImportContext = CONTEXT, isolate: bool = True) -> list[ImportOutcome]:
    """Import one document in one unit of work."""
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        return import_document(session, office=office, data=data, source=source, now=now, context=context,
                               fetch=fetcher, isolate=isolate)  # type: ignore[arg-type]


def one(sessions: sessionmaker[Session], data: bytes, **kwargs: object) -> ImportOutcome:
    """Import a single message and return its outcome."""
    outcomes = run_import(sessions, data, **kwargs)  # type: ignore[arg-type]
    assert len(outcomes) == 1
    return outcomes[0]


def warning(sessions: sessionmaker[Session], warning_id: int) -> WarningRow:
    """Return a warning row (detached, readable)."""
    with sessions.begin() as session:
        row = session.get(WarningRow, warning_id)
        assert row is not None
        return row


def test_every_sample_has_its_expected_outcome(sessions: sessionmaker[Session]) -> None:
    """Each shared sample is imported alone: the broken ones are errors that store nothing, the others are recorded
    and ignored with their reason; none is treated as a warning for 正阳街道."""
    assert set(SAMPLE_OUTCOMES) == {p.name for p in SAMPLES.iterdir() if p.name != "README.md"}
    stored = 0
    for name, (action, why) in SAMPLE_OUTCOMES.items():
        outcome = one(sessions, (SAMPLES / name).read_bytes(), source=name)
        if action == "error":
            assert outcome.error is not None and why in outcome.error, (name, outcome)
            continue
        assert outcome.error is None, (name, outcome.error)
        assert (outcome.action, outcome.warning_id) == ("ignored", None), name
        if "duplicate" not in (outcome.reason or ""):
            stored += 1
            assert why in (outcome.reason or ""), (name, outcome.reason)
    with sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(CapMessageRow)) == stored
        assert session.scalar(select(func.count()).select_from(WarningRow)) == 0


def test_sample_json_fields(sessions: sessionmaker[Session]) -> None:
    """The outcome carries identity, references (identifiers), event, colour, severity/urgency/certainty, area match."""
    outcome = one(sessions, (SAMPLES / "oasiscap__v1dot2_appendix_adot3.xml").read_bytes())
    document = outcome.as_json()
    assert document["identifier"] == "TRI13970876.2"
    assert document["msg_type"] == "Update" and document["references"] == ["TRI13970876.1"]
    assert (document["event"], document["colour_level"], document["severity"]) == ("Earthquake", "blue", "Minor")
    assert (document["urgency"], document["certainty"], document["area_match"]) == ("Past", "Observed", "outside")


def test_alert_update_cancel_chain(sessions: sessionmaker[Session]) -> None:
    """Alert 暴雨橙色 issues; an Update to 红色 replaces it (raised); a Cancel naming only the first Alert lifts it."""
    alert = one(sessions, cap_bytes("CC-1", sent="2026-07-20T09:30:00+08:00"))
    assert (alert.action, alert.colour_level, alert.warning_type, alert.area_match) == (
        "issued", "orange", "rainstorm", "matched")
    update = one(sessions, cap_bytes("CC-2", sent="2026-07-20T09:45:00+08:00", msg_type="Update",
                                      references=(ref("CC-1", "2026-07-20T09:30:00+08:00"),),
                                      infos=(Info(headline="长春市气象台将暴雨橙色预警信号升级为红色", severity="Extreme"),)))
    assert (update.action, update.warning_id, update.colour_level) == ("updated", alert.warning_id, "red")
    again = one(sessions, cap_bytes("CC-2", sent="2026-07-20T09:45:00+08:00", msg_type="Update",
                                     references=(ref("CC-1", "2026-07-20T09:30:00+08:00"),)))
    assert again.action == "ignored" and "duplicate" in (again.reason or "")
    cancel = one(sessions, cap_bytes("CC-3", sent="2026-07-20T11:00:00+08:00", msg_type="Cancel",
                                     references=(ref("CC-1", "2026-07-20T09:30:00+08:00"),), infos=()))
    assert (cancel.action, cancel.warning_id) == ("lifted", alert.warning_id)
    assert alert.warning_id is not None
    row = warning(sessions, alert.warning_id)
    assert (row.status, row.level, row.origin, row.real) == ("lifted", "red", "upstream", True)
    with sessions.begin() as session:
        actions = session.scalars(select(WarningEventRow.action).where(WarningEventRow.warning_id == row.id)
                                  .order_by(WarningEventRow.id)).all()
    assert actions == ["issued", "raised", "lifted"]


def test_a_chain_started_outside_the_area_is_cancelled_through_its_root(sessions: sessionmaker[Session]) -> None:
    """Alert for 哈尔滨 (ignored) → Update for 长春 (issued) → Cancel naming only the first Alert: lifted."""
    first = one(sessions, cap_bytes("OUT-1", infos=(Info(polygon=ELSEWHERE_POLYGON, geocode=None, area_desc="哈尔滨"),)))
    assert (first.action, first.area_match) == ("ignored", "outside")
    inside = one(sessions, cap_bytes("OUT-2", sent="2026-07-20T09:40:00+08:00", msg_type="Update",
                                     references=(ref("OUT-1", "2026-07-20T09:30:00+08:00"),),
                                     infos=(Info(polygon=CHANGCHUN_POLYGON, geocode=None),)))
    assert inside.action == "issued"
    same = one(sessions, cap_bytes("OUT-3", sent="2026-07-20T09:50:00+08:00", msg_type="Update",
                                   references=(ref("OUT-1", "2026-07-20T09:30:00+08:00"),)))
    assert (same.action, same.warning_id) == ("updated", inside.warning_id)
    cancel = one(sessions, cap_bytes("OUT-4", sent="2026-07-20T10:30:00+08:00", msg_type="Cancel",
                                     references=(ref("OUT-1", "2026-07-20T09:30:00+08:00"),), infos=()))
    assert (cancel.action, cancel.warning_id) == ("lifted", inside.warning_id)
    with sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(WarningRow)) == 1


def test_update_leaving_the_area_lifts_and_coming_back_reopens(sessions: sessionmaker[Session]) -> None:
    """The same warning row is lifted when an Update moves away and reopened when the next one comes back."""
    first = one(sessions, cap_bytes("MV-1"))
    away = one(sessions, cap_bytes("MV-2", sent="2026-07-20T09:40:00+08:00", msg_type="Update",
                                   references=(ref("MV-1", "2026-07-20T09:30:00+08:00"),),
                                   infos=(Info(geocode="230100", area_desc="哈尔滨市"),)))
    assert (away.action, away.warning_id) == ("lifted", first.warning_id)
    back = one(sessions, cap_bytes("MV-3", sent="2026-07-20T09:50:00+08:00", msg_type="Update",
                                   references=(ref("MV-2", "2026-07-20T09:40:00+08:00"),)))
    assert (back.action, back.warning_id) == ("updated", first.warning_id)
    assert first.warning_id is not None and warning(sessions, first.warning_id).status == "active"


@pytest.mark.parametrize("status", ["Test", "Exercise", "System", "Draft"])
def test_non_actual_messages_are_recorded_never_real(sessions: sessionmaker[Session], status: str) -> None:
    """A Test/Exercise/System/Draft message in the area is stored with its status and makes no warning."""
    outcome = one(sessions, cap_bytes(f"ST-{status}", status=status))
    assert (outcome.action, outcome.warning_id, outcome.status) == ("ignored", None, status)
    with sessions.begin() as session:
        row = session.scalar(select(CapMessageRow).where(CapMessageRow.identifier == f"ST-{status}"))
        assert row is not None and row.status == status and row.action == "ignored"
        assert session.scalar(select(func.count()).select_from(WarningRow)) == 0


def test_expired_alert_is_ignored_and_multilingual_reads_chinese(sessions: sessionmaker[Session]) -> None:
    """An Alert whose expires has passed is ignored; with en and zh-CN blocks the zh-CN one decides."""
    expired = one(sessions, cap_bytes("EX-1", infos=(Info(expires="2026-07-20T09:59:00+08:00"),)))
    assert expired.action == "ignored" and "expired" in (expired.reason or "")
    both = one(sessions, cap_bytes("ML-1", infos=(
        Info(language="en-US", event="Rainstorm", headline="Rainstorm Blue Warning", severity="Minor"),
        Info(language="zh-CN", event="暴雨", headline="长春市气象台发布暴雨黄色预警信号", severity="Minor"))))
    assert (both.language, both.colour_level, both.action) == ("zh-CN", "yellow", "issued")


def test_one_bad_message_in_a_feed_never_stops_the_others(sessions: sessionmaker[Session],
                                                         httpserver: HTTPServer) -> None:
    """An Atom feed with an embedded alert, a linked one (fetched over HTTP), a broken link and a file: link:
    two issued, two errors, nothing of the bad ones stored."""
    linked = cap_bytes("FD-2", infos=(Info(event="大风", headline="长春市气象台发布大风蓝色预警信号"),))
    httpserver.expect_request("/cap/FD-2.xml").respond_with_data(linked, content_type="application/cap+xml")
    httpserver.expect_request("/cap/missing.xml").respond_with_data("no", status=404)
    embedded = cap_bytes("FD-1").decode().replace('<?xml version="1.0" encoding="UTF-8"?>', "")
    feed = (f'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
            f"<entry><title>a</title><content type=\"application/cap+xml\">{embedded}</content></entry>"
            f'<entry><title>b</title><link type="application/cap+xml" href="cap/FD-2.xml"/></entry>'
            f'<entry><title>c</title><link href="cap/missing.xml"/></entry>'
            f'<entry><title>d</title><link href="file:///etc/passwd"/></entry></feed>')
    httpserver.expect_request("/feed.atom").respond_with_data(feed, content_type="application/atom+xml")
    fetcher = make_fetcher(make_http_session(retries=0))
    outcomes = run_import(sessions, fetcher(httpserver.url_for("/feed.atom")), source=httpserver.url_for("/feed.atom"),
                          fetcher=fetcher)
    assert [o.action for o in outcomes] == ["issued", "issued", None, None]
    assert outcomes[1].warning_type == "gale" and outcomes[1].file.endswith("/cap/FD-2.xml")
    assert "HTTP 404" in (outcomes[2].error or "")
    assert "http(s)" in (outcomes[3].error or "")
    with sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(CapMessageRow)) == 2


def test_conditional_fetch_sends_validators(httpserver: HTTPServer) -> None:
    """fetch() sends If-None-Match / If-Modified-Since and reports 304 as not modified."""
    httpserver.expect_request("/feed", headers={"If-None-Match": '"v1"'}).respond_with_data("", status=304)
    got = fetch(make_http_session(retries=0), httpserver.url_for("/feed"), etag='"v1"',
                last_modified="Mon, 20 Jul 2026 01:00:00 GMT")
    assert got.not_modified and got.content is None and got.etag == '"v1"'


# --- own warnings -----------------------------------------------------------------------------------------------------


def test_own_warning_issue_raise_lift_and_export(sessions: sessionmaker[Session]) -> None:
    """Issue 城市内涝橙色 → raise to red → lift: three GB/T identifiers; the exports are Alert, Update, Cancel,
    each valid CAP 1.2, the later ones referencing the earlier versions."""
    exports = []
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        row = issue_warning(session, office=office, plan=PLAN, publisher=PUBLISHER, area=AREA,
                            warning_type="waterlogging", level=WarningLevel.ORANGE, now=NOW, actor="周平")
        warning_id, first = row.id, row.identifier
        assert first == "22010600000000_20260720100000_0"
        assert row.headline == "长春市绿园区正阳街道办事处发布城市内涝橙色预警"
        assert "沙袋" in row.instruction or "封控" in row.instruction
        exports.append(export_warning(session, office=office, warning_id=warning_id, plan=PLAN, area=AREA))
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        row = update_warning(session, office=office, warning_id=warning_id, plan=PLAN, publisher=PUBLISHER, now=NOW,
                             actor="周平", level=WarningLevel.RED, reason="积水超过40厘米")
        assert row.identifier == "22010600000000_20260720100000_1"
        assert row.headline.endswith("城市内涝红色预警") and row.severity == "Extreme"
        exports.append(export_warning(session, office=office, warning_id=warning_id, plan=PLAN, area=AREA))
    later = parse_aware("2026-07-20T14:00:00+08:00")
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        lift_warning(session, office=office, warning_id=warning_id, publisher=PUBLISHER, now=later, actor="周平")
        exports.append(export_warning(session, office=office, warning_id=warning_id, plan=PLAN, area=AREA))
        actions = [e.action for e in session.get(WarningRow, warning_id).events]  # type: ignore[union-attr]
    assert actions == ["issued", "raised", "lifted"]
    messages = [read_cap(data).message for data in exports]
    assert all(schema().validate(etree.fromstring(data)) for data in exports)
    assert [m.msg_type for m in messages] == [CapMsgType.ALERT, CapMsgType.UPDATE, CapMsgType.CANCEL]
    assert [r.identifier for r in messages[2].references] == [first, "22010600000000_20260720100000_1"]
    assert messages[2].identifier == "22010600000000_20260720140000_0"
    assert messages[1].infos[0].severity == "Extreme" and messages[0].infos[0].language == "zh-CN"
    # the office's own export, read back (a round trip through the district), matches the area and is not a
    # second warning
    back = run_import(sessions, exports[0], source="roundtrip", context=ImportContext(
        plan=PLAN, area=AREA, own_senders=frozenset({PUBLISHER.cap_sender})))[0]
    assert (back.area_match, back.action) == ("matched", "ignored") and "own message" in (back.reason or "")


def test_own_warning_rules(sessions: sessionmaker[Session]) -> None:
    """Unknown types, colours a signal does not have, changing an upstream warning or a lifted one are refused."""
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        with pytest.raises(InputError, match="not a warning type"):
            issue_warning(session, office=office, plan=PLAN, publisher=PUBLISHER, area=AREA, warning_type="tsunami",
                          level=WarningLevel.RED, now=NOW, actor="x")
        with pytest.raises(InputError, match="no blue signal"):
            issue_warning(session, office=office, plan=PLAN, publisher=PUBLISHER, area=AREA, warning_type="heat_wave",
                          level=WarningLevel.BLUE, now=NOW, actor="x")
        monitoring = issue_warning(session, office=office, plan=PLAN, publisher=PUBLISHER, area=AREA,
                                   warning_type="gas_leak", level=WarningLevel.YELLOW, now=NOW, actor="监测",
                                   origin=WarningOrigin.MONITORING, drill=True)
        assert (monitoring.real, monitoring.certainty) == (False, "Observed")
        lift_warning(session, office=office, warning_id=monitoring.id, publisher=PUBLISHER, now=NOW, actor="x")
        with pytest.raises(ConflictError):
            update_warning(session, office=office, warning_id=monitoring.id, plan=PLAN, publisher=PUBLISHER,
                           now=NOW, actor="x", level=WarningLevel.RED)
    upstream = one(sessions, cap_bytes("UP-1"))
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        assert upstream.warning_id is not None
        with pytest.raises(InputError, match="upstream"):
            update_warning(session, office=office, warning_id=upstream.warning_id, plan=PLAN, publisher=PUBLISHER,
                           now=NOW, actor="x", level=WarningLevel.RED)
        with pytest.raises(InputError, match="upstream"):
            export_warning(session, office=office, warning_id=upstream.warning_id, plan=PLAN, area=AREA)


def test_ten_versions_in_one_second_move_to_the_next_second(sessions: sessionmaker[Session]) -> None:
    """N is one digit: the eleventh identifier in the same second takes the next second's 0."""
    ids = []
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        for _ in range(11):
            row = issue_warning(session, office=office, plan=PLAN, publisher=PUBLISHER, area=AREA,
                                warning_type="rainstorm", level=WarningLevel.BLUE, now=NOW, actor="x")
            ids.append(row.identifier)
    assert ids[9] == "22010600000000_20260720100000_9"
    assert ids[10] == "22010600000000_20260720100001_0"


def test_local_feed_links_resolve_beside_the_feed(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """An RSS file linking to a relative CAP file imports it through the given reader."""
    (tmp_path / "a.xml").write_bytes(cap_bytes("LF-1"))
    rss = '<rss version="2.0"><channel><item><title>a</title><link>a.xml</link></item></channel></rss>'
    outcomes = run_import(sessions, rss.encode(), source=str(tmp_path / "feed.rss"),
                          fetcher=lambda target: Path(target).read_bytes())
    assert [(o.identifier, o.action) for o in outcomes] == [("LF-1", "issued")]


def test_update_without_area_keeps_the_warning_and_fast_mode_matches(sessions: sessionmaker[Session]) -> None:
    """An Update with no <area> updates its active warning (the area has not changed); imported without
    savepoints (isolate=False, the CLI's fast path) the outcomes are the same."""
    first = one(sessions, cap_bytes("NA-1"), isolate=False)
    text = cap_bytes("NA-2", sent="2026-07-20T09:40:00+08:00", msg_type="Update",
                     references=(ref("NA-1", "2026-07-20T09:30:00+08:00"),)).decode()
    no_area = text[:text.index("<area>")] + text[text.index("</area>") + len("</area>"):]
    update = one(sessions, no_area.encode(), isolate=False)
    assert (update.area_match, update.action, update.warning_id) == ("unspecified", "updated", first.warning_id)
    duplicate = one(sessions, no_area.encode(), isolate=False)
    assert duplicate.action == "ignored" and "duplicate" in (duplicate.reason or "")


def test_an_empty_feed_is_no_error(sessions: sessionmaker[Session]) -> None:
    """A feed without entries (no warning in force) imports nothing and reports nothing."""
    assert run_import(sessions, b'<feed xmlns="http://www.w3.org/2005/Atom"><title>none</title></feed>') == []
