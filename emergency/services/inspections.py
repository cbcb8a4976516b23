"""Planning runs: create the inspections due on a day in bulk, assign them to grid leaders, and notify each leader once."""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Insert, select, update
from sqlalchemy.orm import Session

from emergency.clock import CN_TZ, to_local
from emergency.db.models import CommunityRow, GridRow, HazardSourceRow, InspectionRow, Office
from emergency.domain.enums import InspectionStatus, RiskLevel
from emergency.domain.inspections import ROUTINE, DueInspection, PlannedSource, due_inspections
from emergency.labels import (
    INSPECTION_NOTICE_LINE,
    INSPECTION_NOTICE_MORE,
    INSPECTION_NOTICE_TITLE,
    INSPECTION_NOTICE_UNASSIGNED,
    INSPECTION_REASON_ROUTINE,
    RISK_LEVEL_LABELS,
)
from emergency.plans.inspections import InspectionPlan
from emergency.services.outbox import enqueue

logger = logging.getLogger(__name__)

NOTICE_LINES = 30
"""A notice lists this many inspections in its text; the full list travels in its body."""

INSERT_BATCH = 5000
"""Rows per INSERT: bounded memory and statement size on both backends."""


@dataclass(frozen=True, slots=True)
class PlanningSummary:
    """What one planning run did."""

    day: date
    sources: int
    due: int
    created: int
    already_planned: int
    marked_missed: int
    unplanned: int
    notices: int
    outbox_ids: tuple[int, ...]
    uncovered_holidays: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the summary as plain data (a flow's result)."""
        return {"day": self.day.isoformat(), "sources": self.sources, "due": self.due, "created": self.created,
                "already_planned": self.already_planned, "marked_missed": self.marked_missed,
                "unplanned": self.unplanned, "notices": self.notices, "outbox": list(self.outbox_ids),
                "uncovered_holidays": list(self.uncovered_holidays)}


def end_of_local_day(day: date) -> datetime:
    """Return the instant *day* ends in Asia/Shanghai (the next local midnight), in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=CN_TZ).astimezone(UTC)


def _insert(session: Session) -> Insert:
    """Return an INSERT of inspections that skips a (source, period) already stored, on SQLite and PostgreSQL."""
    # The unique (source_id, period_key) constraint is the guard: two runs at once, or a run racing a backfill,
    # still store each inspection once.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(InspectionRow).on_conflict_do_nothing(index_elements=["source_id", "period_key"])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(InspectionRow).on_conflict_do_nothing(index_elements=["source_id", "period_key"])


def _batches(items: Sequence[dict[str, Any]], size: int) -> Iterable[Sequence[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _leaders(session: Session, office: Office) -> dict[int, tuple[str, str]]:
    """Return each grid's leader (网格长) and phone, by grid id."""
    rows = session.execute(select(GridRow.id, GridRow.leader_name, GridRow.leader_phone)
                           .join(CommunityRow, CommunityRow.id == GridRow.community_id)
                           .where(CommunityRow.office_id == office.id))
    return {grid_id: (name, phone) for grid_id, name, phone in rows.tuples()}


def create_due_inspections(session: Session, *, office: Office, plan: InspectionPlan,
                           as_of: datetime) -> tuple[int, int, int, int, int]:
    """Insert the inspections due on as_of's local day that are not stored yet; return (sources, due, created,
    already planned, unplanned)."""
    day = to_local(as_of).date()
    sources = session.execute(select(HazardSourceRow.id, HazardSourceRow.source_type, HazardSourceRow.risk_level,
                                     HazardSourceRow.grid_id)
                              .where(HazardSourceRow.office_id == office.id, HazardSourceRow.active.is_(True))).tuples()
    grid_of: dict[int, int | None] = {}
    planned: list[PlannedSource] = []
    for source_id, source_type, risk_level, grid_id in sources:
        grid_of[source_id] = grid_id
        planned.append(PlannedSource(source_id, source_type, risk_level))
    planning = due_inspections(planned, plan.frequencies(), plan.campaign_rules(), day)
    if planning.unplanned:
        logger.warning("%d sources have a type or risk level plans/inspections.yaml does not cover; not planned",
                       len(planning.unplanned))
    keys = sorted({d.period_key for d in planning.due})
    stored: set[tuple[int, str]] = set()
    if keys:
        stored = set(session.execute(select(InspectionRow.source_id, InspectionRow.period_key)
                                     .where(InspectionRow.office_id == office.id,
                                            InspectionRow.period_key.in_(keys))).tuples())
    leaders = _leaders(session, office)
    due_at: dict[date, datetime] = {}
    missing: list[dict[str, Any]] = []
    for item in planning.due:
        if (item.source_id, item.period_key) in stored:
            continue
        grid_id = grid_of[item.source_id]
        leader = leaders.get(grid_id) if grid_id is not None else None
        if item.due_on not in due_at:
            due_at[item.due_on] = end_of_local_day(item.due_on)
        missing.append(_row(office, item, due_at[item.due_on], grid_id, leader[0] if leader else None, as_of))
    created = 0
    for batch in _batches(missing, INSERT_BATCH):
        created += len(session.execute(_insert(session).returning(InspectionRow.id), batch).all())
    return len(planned), len(planning.due), created, len(planning.due) - created, len(planning.unplanned)


def _row(office: Office, item: DueInspection, due_at: datetime, grid_id: int | None, leader: str | None,
         as_of: datetime) -> dict[str, Any]:
    return {"office_id": office.id, "source_id": item.source_id, "period_key": item.period_key, "reason": item.reason,
            "starts_on": item.starts_on, "due_on": item.due_on, "due_at": due_at, "assigned_to": leader,
            "grid_id": grid_id, "status": InspectionStatus.DUE.value, "notice_sent": False, "created_at": as_of}


def _level_label(level: str) -> str:
    known = {item.value: item for item in RiskLevel}
    return RISK_LEVEL_LABELS[known[level]] if level in known else level


def mark_missed(session: Session, *, office: Office, as_of: datetime) -> int:
    """Mark every inspection still due whose period ended by as_of as missed (逾期未检); return how many."""
    result = session.execute(update(InspectionRow)
                             .where(InspectionRow.office_id == office.id,
                                    InspectionRow.status == InspectionStatus.DUE.value,
                                    InspectionRow.due_at <= as_of)
                             .values(status=InspectionStatus.MISSED.value)
                             .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def notify_leaders(session: Session, *, office: Office, plan: InspectionPlan, as_of: datetime,
                   channels: Sequence[str]) -> list[int]:
    """Queue one notice per grid leader listing their inspections not yet notified; return the outbox ids."""
    # The key names the leader, the run's local day and the inspections listed: a re-run (or a retried task) that
    # finds the same unnotified inspections queues the same key, which the outbox stores once.
    types, campaigns = plan.type_names(), plan.campaign_names()
    query = (select(InspectionRow.id, InspectionRow.grid_id, InspectionRow.assigned_to, InspectionRow.reason,
                    InspectionRow.period_key, InspectionRow.starts_on, InspectionRow.due_on, HazardSourceRow.code,
                    HazardSourceRow.name, HazardSourceRow.source_type, HazardSourceRow.risk_level, GridRow.leader_phone)
             .join(HazardSourceRow, HazardSourceRow.id == InspectionRow.source_id)
             .outerjoin(GridRow, GridRow.id == InspectionRow.grid_id)
             .where(InspectionRow.office_id == office.id, InspectionRow.notice_sent.is_(False),
                    InspectionRow.status == InspectionStatus.DUE.value)
             .order_by(InspectionRow.due_on, HazardSourceRow.code, InspectionRow.id))
    by_leader: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for (ident, _grid, leader, reason, period, starts_on, due_on, code, name, source_type, level,
         phone) in session.execute(query).tuples():
        who = (leader, phone or "") if leader else (INSPECTION_NOTICE_UNASSIGNED, "")
        by_leader[who].append({
            "id": ident, "code": code, "name": name, "type": types.get(source_type, source_type),
            "level": _level_label(level),
            "reason": INSPECTION_REASON_ROUTINE if reason == ROUTINE else campaigns.get(reason, reason),
            "period": period, "starts_on": starts_on.isoformat(), "due_on": due_on.isoformat()})
    day = to_local(as_of).date()
    outbox_ids: list[int] = []
    notified: list[int] = []
    for (leader, phone), items in sorted(by_leader.items()):
        ids = [item["id"] for item in items]
        digest = hashlib.sha256(f"{leader}|{phone}|{','.join(map(str, ids))}".encode()).hexdigest()[:16]
        lines = [INSPECTION_NOTICE_TITLE.format(leader=leader, count=len(items), day=day.isoformat())]
        lines += [INSPECTION_NOTICE_LINE.format(n=n, code=i["code"], name=i["name"], type=i["type"], level=i["level"],
                                                reason=i["reason"], starts=i["starts_on"], due=i["due_on"])
                  for n, i in enumerate(items[:NOTICE_LINES], start=1)]
        if len(items) > NOTICE_LINES:
            lines.append(INSPECTION_NOTICE_MORE.format(more=len(items) - NOTICE_LINES))
        text = "\n".join(lines)
        for channel in channels:
            outbox_ids.append(enqueue(
                session, key=f"inspection-notice-{office.id}-{day:%Y%m%d}-{digest}-{channel}", topic="notice",
                channel=channel, subject=lines[0], attachment=None, now=as_of,
                body={"text": text, "to": leader, "phone": phone, "day": day.isoformat(), "inspections": items}))
        notified += ids
    for start in range(0, len(notified), INSERT_BATCH):
        session.execute(update(InspectionRow).where(InspectionRow.id.in_(notified[start:start + INSERT_BATCH]))
                        .values(notice_sent=True).execution_options(synchronize_session=False))
    return outbox_ids


def plan_inspections(session: Session, *, office: Office, plan: InspectionPlan, as_of: datetime,
                     channels: Sequence[str]) -> PlanningSummary:
    """Run one planning: mark what was missed, create what is due on as_of's local day, notify each leader once."""
    missed = mark_missed(session, office=office, as_of=as_of)
    sources, due, created, already, unplanned = create_due_inspections(session, office=office, plan=plan,
                                                                       as_of=as_of)
    outbox_ids = notify_leaders(session, office=office, plan=plan, as_of=as_of, channels=channels)
    day = to_local(as_of).date()
    return PlanningSummary(day=day, sources=sources, due=due, created=created, already_planned=already,
                           marked_missed=missed, unplanned=unplanned, notices=len(outbox_ids) // max(len(channels), 1),
                           outbox_ids=tuple(outbox_ids), uncovered_holidays=tuple(plan.uncovered_holidays(day.year)))
