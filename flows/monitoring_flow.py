"""Own monitoring (监测预警): every few minutes, poll each monitoring point and issue, raise, lower or lift its warning."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task

from emergency.adapters.monitoring_http import Polled, make_poll_session, poll
from emergency.plans.monitoring import load_monitoring_plan, load_warning_context
from emergency.plans.schema import load_street
from emergency.services.incidents import get_office
from emergency.services.monitoring import PointTarget, poll_point, poll_targets, sync_points
from flows._runtime import resolve_as_of, runtime


@task(name="sync-monitoring-points")
def sync_points_task(as_of: datetime) -> list[PointTarget]:
    """Store the points of plans/monitoring.yaml and return the active ones with their validators."""
    rt = runtime()
    plan = load_monitoring_plan(rt.settings.plans_dir)
    street = load_street(rt.settings.plans_dir / "street.yaml")
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        sync_points(session, office=office, plan=plan, street=street, now=as_of)
        return poll_targets(session, office=office, plan=plan)


@task(name="poll-monitoring-point")
def poll_point_task(target: PointTarget, as_of: datetime) -> dict[str, Any]:
    """Poll one point (conditional GET) and record its readings and warning; a failure is recorded, not raised."""
    rt = runtime()
    http = make_poll_session()

    def fetch(t: PointTarget) -> Polled:
        return poll(http, t.url, unit=t.unit, etag=t.etag, last_modified=t.last_modified)

    with http:
        outcome = poll_point(rt.sessions, office_name=rt.settings.office,
                             plan=load_monitoring_plan(rt.settings.plans_dir),
                             context=load_warning_context(rt.settings.plans_dir), target=target, fetch=fetch, now=as_of)
    return outcome.as_dict()


@flow(name="monitoring-poll")
def monitoring_poll(as_of: datetime | None = None) -> dict[str, Any]:
    """Poll every active monitoring point once; one that fails is reported and the others go on."""
    at = resolve_as_of(as_of)
    targets = sync_points_task(at)
    results = [poll_point_task(target, at) for target in targets]
    return {
        "points": len(results),
        **{status: sum(1 for r in results if r["status"] == status) for status in ("fetched", "not_modified", "failed")},
        "readings": sum(r["readings"] for r in results),
        "changes": [{k: r[k] for k in ("code", "action", "level", "warning_id")} for r in results if r["action"]],
        "results": results,
    }
