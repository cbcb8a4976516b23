"""Upstream feeds (上级预警信息订阅): the feeds of plans/feeds.yaml in the database, and one poll of a feed — a
conditional GET, then every message imported through the warnings importer, which skips a message already imported
(same identifier, sender and sent: CAP 1.2 §3.2.1, the cap_messages unique key).

`sync_feeds` and `record_*` take the caller's session and never commit; `poll_feed` is the loop body the feed flow runs
per feed: the HTTP request outside any transaction, then one unit of work for what it brought.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from emergency.adapters.cap_feeds import Fetched
from emergency.adapters.http import redact
from emergency.cap import CapError, ParsedFeed, read_document
from emergency.db.models import FeedSourceRow, Office
from emergency.domain.enums import WarningAction
from emergency.errors import EmergencyError
from emergency.plans.feeds import FeedPlan
from emergency.services.incidents import get_office
from emergency.services.warnings import Fetch, ImportContext, ImportOutcome, import_document

log = logging.getLogger(__name__)

ERROR_CHARS = 2000
DUPLICATE = "duplicate"
"""How the importer's reason for a message already imported begins."""


@dataclass(frozen=True)
class FeedTarget:
    """What one poll needs, as plain data a flow task can take: the feed, its URL and its validators."""

    name: str
    url: str
    etag: str | None
    last_modified: str | None


@dataclass
class FeedOutcome:
    """What one poll of one feed did."""

    name: str
    url: str
    status: str
    """fetched, not_modified or failed."""
    messages: int = 0
    new: int = 0
    """Messages imported for the first time (issued, updated, lifted, or recorded and ignored)."""
    duplicates: int = 0
    errors: int = 0
    """Messages (or entries) that could not be imported; the feed is fetched in full again next time."""
    error: str | None = None
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    """The importer's outcome of each message new or failed (duplicates left out), as `warning import --json`."""

    def as_dict(self) -> dict[str, Any]:
        """Return the outcome as JSON-ready data."""
        return asdict(self)


def sync_feeds(session: Session, *, office: Office, plan: FeedPlan, now: datetime) -> dict[str, int]:
    """Store the plan's feeds (by URL) and deactivate the stored feeds the plan no longer lists."""
    stored = {f.url: f for f in session.scalars(select(FeedSourceRow).where(FeedSourceRow.office_id == office.id))}
    counts = {"feeds": len(plan.feeds), "created": 0, "updated": 0, "unchanged": 0, "deactivated": 0}
    for feed in plan.feeds:
        row = stored.get(feed.url)
        if row is None:
            session.add(FeedSourceRow(office_id=office.id, name=feed.name, url=feed.url, active=feed.active,
                                      created_at=now))
            counts["created"] += 1
        elif (row.name, row.active) != (feed.name, feed.active):
            row.name, row.active = feed.name, feed.active
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    listed = {f.url for f in plan.feeds}
    for url, row in stored.items():
        if url not in listed and row.active:
            row.active = False
            counts["deactivated"] += 1
    session.flush()
    return counts


def feed_targets(session: Session, *, office: Office) -> list[FeedTarget]:
    """Return the active feeds with their conditional-request validators."""
    rows = session.scalars(select(FeedSourceRow).where(FeedSourceRow.office_id == office.id,
                                                       FeedSourceRow.active.is_(True)).order_by(FeedSourceRow.id))
    return [FeedTarget(r.name, r.url, r.etag, r.last_modified) for r in rows]


def _row(session: Session, office: Office, url: str) -> FeedSourceRow:
    row = session.scalar(select(FeedSourceRow).where(FeedSourceRow.office_id == office.id, FeedSourceRow.url == url))
    if row is None:
        raise EmergencyError(f"feed {redact(url)} is not stored: sync plans/feeds.yaml first")
    return row


def record_fetch(session: Session, *, office: Office, target: FeedTarget, fetched: Fetched, context: ImportContext,
                 fetch: Fetch | None, now: datetime) -> FeedOutcome:
    """Import what a fetch brought (nothing on 304) and keep the feed's validators.

    The validators are kept only when every message was read: otherwise the next poll fetches the whole feed again
    and retries the failed ones (those already imported are skipped as duplicates).
    """
    row = _row(session, office, target.url)
    row.last_polled_at = now
    outcome = FeedOutcome(target.name, redact(target.url), "not_modified" if fetched.not_modified else "fetched")
    if fetched.not_modified or fetched.content is None or _is_empty_feed(fetched.content):
        # An empty feed is the usual state of a warning feed (no warning in force), not an error.
        row.etag, row.last_modified, row.last_error = fetched.etag, fetched.last_modified, None
        return outcome
    imported = import_document(session, office=office, data=fetched.content, source=target.url, now=now,
                               context=context, fetch=fetch)
    _count(outcome, imported)
    if outcome.errors:
        row.etag = row.last_modified = None
        row.last_error = "; ".join(f"{o.file}: {o.error}" for o in imported if o.error)[:ERROR_CHARS]
    else:
        row.etag, row.last_modified, row.last_error = fetched.etag, fetched.last_modified, None
    return outcome


def _is_empty_feed(data: bytes) -> bool:
    try:
        document = read_document(data)
    except CapError:
        return False  # the importer reports why
    return isinstance(document, ParsedFeed) and not document.entries


def record_failure(session: Session, *, office: Office, target: FeedTarget, error: str, now: datetime) -> FeedOutcome:
    """Record that fetching a feed failed (last_error); its validators stay for the next try."""
    row = _row(session, office, target.url)
    row.last_polled_at, row.last_error = now, error[:ERROR_CHARS]
    return FeedOutcome(target.name, redact(target.url), "failed", error=error)


def _count(outcome: FeedOutcome, imported: list[ImportOutcome]) -> None:
    outcome.messages = len(imported)
    for o in imported:
        if o.error is not None:
            outcome.errors += 1
        elif o.action == WarningAction.IGNORED.value and (o.reason or "").startswith(DUPLICATE):
            outcome.duplicates += 1
            continue
        else:
            outcome.new += 1
        outcome.outcomes.append(o.as_json())


FetchFeed = Callable[[FeedTarget], Fetched]
"""Fetch a feed conditionally with its validators (the adapter's GET); raises EmergencyError when it cannot."""


def poll_feed(sessions: sessionmaker[Session], *, office_name: str, target: FeedTarget, context: ImportContext,
              fetch_feed: FetchFeed, fetch: Fetch | None, now: datetime) -> FeedOutcome:
    """Poll one feed and import what it brought in one unit of work; a failure is recorded and returned, not
    raised, so that the other feeds go on."""
    try:
        fetched = fetch_feed(target)
    except EmergencyError as exc:
        log.warning("feed %s: %s", redact(target.url), exc)
        return _record_failure(sessions, office_name=office_name, target=target, error=str(exc), now=now)
    try:
        with sessions.begin() as session:
            office = get_office(session, name=office_name)
            return record_fetch(session, office=office, target=target, fetched=fetched, context=context, fetch=fetch,
                                now=now)
    except Exception as exc:  # nothing of this feed is half-stored; the next poll fetches it again
        log.exception("feed %s: importing failed", redact(target.url))
        return _record_failure(sessions, office_name=office_name, target=target,
                               error=f"import failed ({type(exc).__name__}): {exc}", now=now)


def _record_failure(sessions: sessionmaker[Session], *, office_name: str, target: FeedTarget, error: str,
                    now: datetime) -> FeedOutcome:
    with sessions.begin() as session:
        office = get_office(session, name=office_name)
        return record_failure(session, office=office, target=target, error=error, now=now)
