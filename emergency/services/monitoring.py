"""Own monitoring (监测预警): the points of plans/monitoring.yaml in the database, their readings, and the warning each
point issues, raises, lowers or lifts through the warnings service (origin "monitoring").

`record_poll` and `record_failure` take the caller's session and never commit. `poll_point` is the loop body the
monitoring flow runs per point: the HTTP request outside any transaction, then one unit of work for what it brought.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from emergency.adapters.http import redact
from emergency.adapters.monitoring_http import Polled, PolledReading
from emergency.clock import format_local, isoformat_local
from emergency.db.models import (
    CommunityRow,
    GridRow,
    MonitoringPointRow,
    MonitoringReadingRow,
    Office,
    WarningRow,
)
from emergency.domain.enums import MonitoringKind, WarningAction, WarningLevel, WarningOrigin, WarningStatus
from emergency.domain.monitoring import LevelDecision, Reading, decide
from emergency.errors import EmergencyError
from emergency.labels import (
    MONITORING_KIND_LABELS,
    MONITORING_WARNING_DESCRIPTION,
    MONITORING_WARNING_HEADLINE,
    WARNING_LEVEL_LABELS,
)
from emergency.plans.monitoring import MonitoringPlan, MonitoringPoint, WarningContext
from emergency.plans.schema import Street
from emergency.services.incidents import get_office
from emergency.services.organisation import load_street_into
from emergency.services.warnings import issue_warning, lift_warning, update_warning

log = logging.getLogger(__name__)

ERROR_CHARS = 2000


@dataclass(frozen=True)
class PointTarget:
    """What one poll needs, as plain data a flow task can take: the point, its URL and its validators."""

    code: str
    url: str
    unit: str
    etag: str | None
    last_modified: str | None


@dataclass
class PollOutcome:
    """What one poll of one point did."""

    code: str
    status: str
    """fetched, not_modified or failed."""
    readings: int = 0
    """New readings stored."""
    duplicates: int = 0
    """Readings already stored (same point and time), skipped."""
    value: float | None = None
    at: str | None = None
    """The latest reading of this poll (ISO 8601, Asia/Shanghai)."""
    level: str | None = None
    """The point's colour level after the poll (None: no warning)."""
    action: str | None = None
    """issued, raised, lowered, lifted, or None when the warning stays as it was."""
    warning_id: int | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the outcome as JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True)
class PointStatus:
    """One point as `emergency monitoring points` lists it."""

    code: str
    name: str
    kind: str
    kind_label: str
    unit: str
    url: str
    location: str
    community: str | None
    grid: str | None
    warning_type: str
    active: bool
    thresholds: list[dict[str, Any]] = field(default_factory=list)
    last_value: float | None = None
    last_at: str | None = None
    level: str | None = None
    warning_id: int | None = None
    last_polled_at: str | None = None
    last_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the status as JSON-ready data."""
        return asdict(self)


# --- the points ---------------------------------------------------------------------------------------------------


def sync_points(session: Session, *, office: Office, plan: MonitoringPlan, street: Street,
                now: datetime) -> dict[str, int]:
    """Store the plan's points (by code; running it again changes only what the plan changed) and deactivate the
    stored points the plan no longer lists. Their readings and warnings stay."""
    load_street_into(session, office=office, street=street)  # the points name communities and grids by code
    communities = {c.code: c for c in session.scalars(select(CommunityRow).where(CommunityRow.office_id == office.id))}
    grids = {g.code: g for g in session.scalars(select(GridRow).join(CommunityRow, GridRow.community_id == CommunityRow.id)
                                               .where(CommunityRow.office_id == office.id))}
    stored = {p.code: p for p in session.scalars(select(MonitoringPointRow)
                                                 .where(MonitoringPointRow.office_id == office.id))}
    counts = {"points": len(plan.points), "created": 0, "updated": 0, "unchanged": 0, "deactivated": 0}
    for point in plan.points:
        grid = grids.get(point.grid) if point.grid else None
        community = communities.get(point.community) if point.community else None
        community_id = community.id if community else (grid.community_id if grid else None)
        wanted = {"name": point.name, "kind": point.kind.value, "unit": point.unit, "url": point.url,
                  "location": point.location, "community_id": community_id, "grid_id": grid.id if grid else None,
                  "active": point.active}
        row = stored.get(point.code)
        if row is None:
            session.add(MonitoringPointRow(office_id=office.id, code=point.code, created_at=now, **wanted))
            counts["created"] += 1
            continue
        changed = {k: v for k, v in wanted.items() if getattr(row, k) != v}
        if not changed:
            counts["unchanged"] += 1
            continue
        if "url" in changed:
            row.etag = row.last_modified = None  # validators belong to the old URL
        for name, value in changed.items():
            setattr(row, name, value)
        counts["updated"] += 1
    listed = {p.code for p in plan.points}
    for code, row in stored.items():
        if code not in listed and row.active:
            row.active = False
            counts["deactivated"] += 1
    session.flush()
    return counts


def poll_targets(session: Session, *, office: Office, plan: MonitoringPlan) -> list[PointTarget]:
    """Return the active points of the plan as they are stored, with their conditional-request validators."""
    active = {p.code for p in plan.points if p.active}
    rows = session.scalars(select(MonitoringPointRow).where(MonitoringPointRow.office_id == office.id,
                                                            MonitoringPointRow.active.is_(True))
                           .order_by(MonitoringPointRow.code)).all()
    return [PointTarget(r.code, r.url, r.unit, r.etag, r.last_modified) for r in rows if r.code in active]


def list_points(session: Session, *, office: Office, plan: MonitoringPlan) -> list[PointStatus]:
    """Return every stored point with its thresholds (from the plan), last reading, warning and last poll."""
    rows = session.scalars(select(MonitoringPointRow).where(MonitoringPointRow.office_id == office.id)
                           .order_by(MonitoringPointRow.code)).all()
    statuses = []
    for row in rows:
        point = plan.point(row.code)
        last = session.scalar(select(MonitoringReadingRow).where(MonitoringReadingRow.point_id == row.id)
                              .order_by(MonitoringReadingRow.at.desc()).limit(1))
        warning = current_warning(session, office=office, point_id=row.id)
        community = session.get(CommunityRow, row.community_id) if row.community_id else None
        grid = session.get(GridRow, row.grid_id) if row.grid_id else None
        statuses.append(PointStatus(
            code=row.code, name=row.name, kind=row.kind, kind_label=_kind_label(row.kind), unit=row.unit,
            url=redact(row.url), location=row.location, community=community.name if community else None,
            grid=grid.name if grid else None, warning_type=point.warning_type if point else "",
            active=row.active and point is not None,
            thresholds=[{"level": t.level.value, "raise_at": t.raise_at, "clear_below": t.clear_below,
                         "source": t.source} for t in sorted(point.thresholds, key=lambda t: t.level.rank)]
            if point else [],
            last_value=last.value if last else None, last_at=isoformat_local(last.at) if last else None,
            level=warning.level if warning else None, warning_id=warning.id if warning else None,
            last_polled_at=isoformat_local(row.last_polled_at) if row.last_polled_at else None,
            last_error=row.last_error))
    return statuses


def current_warning(session: Session, *, office: Office, point_id: int) -> WarningRow | None:
    """Return the point's active monitoring warning (at most one is kept active per point)."""
    return session.scalar(select(WarningRow).where(
        WarningRow.office_id == office.id, WarningRow.monitoring_point_id == point_id,
        WarningRow.origin == WarningOrigin.MONITORING.value, WarningRow.status == WarningStatus.ACTIVE.value)
        .order_by(WarningRow.id.desc()).limit(1))


def _kind_label(kind: str) -> str:
    try:
        return MONITORING_KIND_LABELS[MonitoringKind(kind)]
    except (ValueError, KeyError):
        return kind


def _point_row(session: Session, office: Office, code: str) -> MonitoringPointRow:
    row = session.scalar(select(MonitoringPointRow).where(MonitoringPointRow.office_id == office.id,
                                                          MonitoringPointRow.code == code))
    if row is None:
        raise EmergencyError(f"monitoring point {code} is not stored: sync plans/monitoring.yaml first")
    return row


# --- one poll -----------------------------------------------------------------------------------------------------


def record_poll(session: Session, *, office: Office, plan: MonitoringPlan, context: WarningContext, code: str,
                polled: Polled, now: datetime) -> PollOutcome:
    """Store a poll's new readings (each (point, time) once), keep the validators, and apply what the readings newer
    than any stored before mean for the point's warning: issue, raise, lower or lift it."""
    row = _point_row(session, office, code)
    point = plan.point(code)
    if point is None:
        raise EmergencyError(f"monitoring point {code} is not in {plan.path}")
    row.last_polled_at, row.last_error = now, None
    if polled.not_modified:
        row.etag, row.last_modified = polled.etag or row.etag, polled.last_modified or row.last_modified
        warning = current_warning(session, office=office, point_id=row.id)
        return PollOutcome(code, "not_modified", level=warning.level if warning else None,
                           warning_id=warning.id if warning else None)
    row.etag, row.last_modified = polled.etag, polled.last_modified
    newest_before = session.scalar(select(func.max(MonitoringReadingRow.at))
                                   .where(MonitoringReadingRow.point_id == row.id))
    fresh, duplicates = _store_readings(session, row, polled.readings, now)
    outcome = PollOutcome(code, "fetched", readings=len(fresh), duplicates=duplicates)
    if polled.readings:
        latest = max(polled.readings, key=lambda r: r.at)
        outcome.value, outcome.at = latest.value, isoformat_local(latest.at)
    # Readings older than what is stored arrived late: kept, but the warning follows time, not arrival.
    considered = [Reading(r.at, r.value) for r in fresh if newest_before is None or r.at > newest_before]
    warning = current_warning(session, office=office, point_id=row.id)
    current = WarningLevel(warning.level) if warning is not None and warning.level else None
    decision = decide(considered, point.bands(), current)
    if decision.changed:
        warning = _apply(session, office=office, context=context, point=point, row=row, warning=warning,
                         decision=decision, now=now)
        outcome.action = decision.action.value if decision.action else None
    outcome.level = decision.level.value if decision.level else None
    outcome.warning_id = warning.id if warning is not None else None
    return outcome


def record_failure(session: Session, *, office: Office, code: str, error: str, now: datetime) -> PollOutcome:
    """Record that polling a point failed (last_error), keeping its readings, validators and warning as they were."""
    row = _point_row(session, office, code)
    row.last_polled_at, row.last_error = now, error[:ERROR_CHARS]
    warning = current_warning(session, office=office, point_id=row.id)
    return PollOutcome(code, "failed", level=warning.level if warning else None,
                       warning_id=warning.id if warning else None, error=error)


def _store_readings(session: Session, row: MonitoringPointRow, readings: Sequence[PolledReading],
                    now: datetime) -> tuple[list[PolledReading], int]:
    """Insert the readings not yet stored for the point; return them and how many were already there."""
    if not readings:
        return [], 0
    ats = [r.at for r in readings]
    stored = set(session.scalars(select(MonitoringReadingRow.at).where(
        MonitoringReadingRow.point_id == row.id, MonitoringReadingRow.at >= min(ats),
        MonitoringReadingRow.at <= max(ats))))
    fresh: list[PolledReading] = []
    for reading in readings:
        if reading.at in stored:
            continue
        stored.add(reading.at)
        fresh.append(reading)
        session.add(MonitoringReadingRow(point_id=row.id, at=reading.at, value=reading.value, raw=reading.raw,
                                         received_at=now))
    session.flush()
    return fresh, len(readings) - len(fresh)


def _apply(session: Session, *, office: Office, context: WarningContext, point: MonitoringPoint,
           row: MonitoringPointRow, warning: WarningRow | None, decision: LevelDecision,
           now: datetime) -> WarningRow:
    """Issue, raise, lower or lift the point's warning through the warnings service."""
    actor = f"monitoring:{point.code}"[:64]
    reading = decision.reading
    assert reading is not None  # a change of level is always set by a reading
    reason = _reason(point, decision)
    if decision.action is WarningAction.LIFTED:
        assert warning is not None
        return lift_warning(session, office=office, warning_id=warning.id, publisher=context.publisher, now=now,
                            actor=actor, reason=reason)
    level = decision.level
    assert level is not None
    headline, description = _texts(context, point, level, reading)
    if decision.action is WarningAction.ISSUED:
        return issue_warning(session, office=office, plan=context.plan, publisher=context.publisher, area=context.area,
                             warning_type=point.warning_type, level=level, now=now, actor=actor,
                             origin=WarningOrigin.MONITORING, headline=headline, description=description,
                             area_desc=_area_desc(session, row), onset=min(reading.at, now),
                             monitoring_point_id=row.id, reason=reason)
    assert warning is not None
    return update_warning(session, office=office, warning_id=warning.id, plan=context.plan,
                          publisher=context.publisher, now=now, actor=actor, level=level, headline=headline,
                          description=description, reason=reason)


def _reason(point: MonitoringPoint, decision: LevelDecision) -> str:
    reading = decision.reading
    assert reading is not None
    value = f"{reading.value:g} {point.unit} at {format_local(reading.at)}"
    if decision.level is None:
        lowest = point.bands()[0]
        return f"{point.code}: {value} is below {lowest.level.value} clear_below {lowest.clear_below:g} {point.unit}"
    threshold = point.threshold(decision.level)
    assert threshold is not None
    if decision.previous is None or decision.level.rank > decision.previous.rank:
        return f"{point.code}: {value} reached {decision.level.value} raise_at {threshold.raise_at:g} {point.unit}"
    previous = point.threshold(decision.previous)
    below = f" clear_below {previous.clear_below:g} {point.unit}" if previous else ""
    return f"{point.code}: {value} fell below {decision.previous.value}{below}; now {decision.level.value}"


def _texts(context: WarningContext, point: MonitoringPoint, level: WarningLevel,
           reading: Reading) -> tuple[str, str]:
    kind = context.plan.levels.type(point.warning_type)
    threshold = point.threshold(level)
    assert threshold is not None
    colour = WARNING_LEVEL_LABELS[level]
    headline = MONITORING_WARNING_HEADLINE.format(sender=context.publisher.sender_name, type=kind.name_zh,
                                                  colour=colour, point=point.name)
    description = MONITORING_WARNING_DESCRIPTION.format(
        point=point.name, location=point.location or point.name, kind=MONITORING_KIND_LABELS[point.kind],
        value=f"{reading.value:g}", unit=point.unit, time=format_local(reading.at), colour=colour,
        raise_at=f"{threshold.raise_at:g}", clear_below=f"{threshold.clear_below:g}", source=threshold.source.strip())
    return headline, description


def _area_desc(session: Session, row: MonitoringPointRow) -> str | None:
    community = session.get(CommunityRow, row.community_id) if row.community_id else None
    parts = [community.name if community else "", row.location]
    text = " ".join(p for p in parts if p)
    return text or None


# --- the loop body of the flow ------------------------------------------------------------------------------------


Poll = Callable[[PointTarget], Polled]
"""Fetch one point's readings (the adapter's conditional GET); raises EmergencyError when it cannot."""


def poll_point(sessions: sessionmaker[Session], *, office_name: str, plan: MonitoringPlan, context: WarningContext,
               target: PointTarget, fetch: Poll, now: datetime) -> PollOutcome:
    """Poll one point and record what it brought in one unit of work; a failure is recorded and returned, not raised,
    so that the other points go on."""
    try:
        polled = fetch(target)
    except EmergencyError as exc:
        log.warning("monitoring point %s: %s", target.code, exc)
        return _record_failure(sessions, office_name=office_name, code=target.code, error=str(exc), now=now)
    try:
        with sessions.begin() as session:
            office = get_office(session, name=office_name)
            return record_poll(session, office=office, plan=plan, context=context, code=target.code, polled=polled,
                               now=now)
    except Exception as exc:  # the readings and the warning roll back together; the next poll reads them again
        log.exception("monitoring point %s: recording the poll failed", target.code)
        return _record_failure(sessions, office_name=office_name, code=target.code,
                               error=f"recording failed ({type(exc).__name__}): {exc}", now=now)


def _record_failure(sessions: sessionmaker[Session], *, office_name: str, code: str, error: str,
                    now: datetime) -> PollOutcome:
    with sessions.begin() as session:
        office = get_office(session, name=office_name)
        return record_failure(session, office=office, code=code, error=error, now=now)
