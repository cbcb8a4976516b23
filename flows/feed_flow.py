"""Upstream feeds (上级预警信息): every few minutes, fetch each feed of plans/feeds.yaml and import its new messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task

from emergency.adapters.cap_feeds import Fetched, fetch, make_fetcher
from emergency.adapters.http import make_http_session
from emergency.plans.feeds import load_feed_plan
from emergency.plans.monitoring import load_warning_context
from emergency.services.feeds import FeedTarget, feed_targets, poll_feed, sync_feeds
from emergency.services.incidents import get_office
from emergency.services.warnings import ImportContext
from flows._runtime import resolve_as_of, runtime


@task(name="sync-feeds")
def sync_feeds_task(as_of: datetime) -> list[FeedTarget]:
    """Store the feeds of plans/feeds.yaml and return the active ones with their validators."""
    rt = runtime()
    plan = load_feed_plan(rt.settings.plans_dir)
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        sync_feeds(session, office=office, plan=plan, now=as_of)
        return feed_targets(session, office=office)


@task(name="poll-feed")
def poll_feed_task(target: FeedTarget, as_of: datetime) -> dict[str, Any]:
    """Fetch one feed (conditional GET) and import its messages; a failure is recorded, not raised."""
    rt = runtime()
    warning = load_warning_context(rt.settings.plans_dir)
    http = make_http_session(retries=1, backoff=0.5)

    def fetch_feed(t: FeedTarget) -> Fetched:
        return fetch(http, t.url, etag=t.etag, last_modified=t.last_modified)

    with http:
        outcome = poll_feed(rt.sessions, office_name=rt.settings.office, target=target,
                            context=ImportContext(plan=warning.plan, area=warning.area), fetch_feed=fetch_feed,
                            fetch=make_fetcher(http), now=as_of)
    return outcome.as_dict()


@flow(name="feed-poll")
def feed_poll(as_of: datetime | None = None) -> dict[str, Any]:
    """Poll every active upstream feed once; one that fails is reported and the others go on."""
    at = resolve_as_of(as_of)
    targets = sync_feeds_task(at)
    results = [poll_feed_task(target, at) for target in targets]
    return {
        "feeds": len(results),
        **{status: sum(1 for r in results if r["status"] == status) for status in ("fetched", "not_modified", "failed")},
        "new": sum(r["new"] for r in results),
        "duplicates": sum(r["duplicates"] for r in results),
        "errors": sum(r["errors"] for r in results),
        "results": results,
    }
