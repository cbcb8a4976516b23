"""Planning runs: create the inspections due on a day in bulk, assign them to grid leaders, and notify each leader once."""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, Insert, Select, String, Subquery, and_, false, func, literal, select, true, union_all, update
from sqlalchemy.orm import Session

from emergency.clock import CN_TZ, to_local
from emergency.db.base import UTCDateTime
from emergency.db.models import CommunityRow, GridRow, HazardSourceRow, InspectionRow, Office
from emergency.domain.enums import InspectionStatus, RiskLevel
from emergency.domain.inspections import ROUTINE, DuePeriod, due_periods
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

PERIOD_ROWS = 100
"""(type, level, period) rows per INSERT … SELECT: SQLite allows 500 terms in one compound SELECT."""

UPDATE_BATCH = 5000
"""Inspection ids per UPDATE marking older inspections notified."""

COLUMNS = ("office_id", "source_id", "period_key", "reason", "starts_on", "due_on", "due_at", "assigned_to", "grid_id",
           "status", "notice_sent", "created_at")


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


def _insert_ignoring_stored(session: Session, rows: Select[Any]) -> Insert:
    """Return INSERT … SELECT of inspections that skips a (source, period) already stored, on SQLite and PostgreSQL."""
    # The unique (source_id, period_key) constraint is the guard: two runs at once, or a run racing a backfill,
    # still store each inspection once.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(InspectionRow).from_select(COLUMNS, rows).on_conflict_do_nothing(
            index_elements=["source_id", "period_key"])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(InspectionRow).from_select(COLUMNS, rows).on_conflict_do_nothing(
        index_elements=["source_id", "period_key"])


def _periods_table(rows: Sequence[tuple[str, str, DuePeriod]]) -> Subquery:
    """Return the due periods of each (type, level) as a small derived table the database joins with the register."""
    selects = [select(literal(source_type, String()).label("source_type"), literal(level, String()).label("risk_level"),
                      literal(p.period_key, String()).label("period_key"), literal(p.reason, String()).label("reason"),
                      literal(p.starts_on, Date()).label("starts_on"), literal(p.due_on, Date()).label("due_on"),
                      literal(end_of_local_day(p.due_on), UTCDateTime()).label("due_at"))
               for source_type, level, p in rows]
    return union_all(*selects).subquery("due") if len(selects) > 1 else selects[0].subquery("due")


@dataclass(frozen=True, slots=True)
class Created:
    """What create_due_inspections stored: counts, and the new rows (id, source, period, reason, dates, leader, grid)."""

    sources: int
    due: int
    unplanned: int
    rows: tuple[tuple[int, int, str, str, date, date, str | None, int | None], ...]


def create_due_inspections(session: Session, *, office: Office, plan: InspectionPlan, as_of: datetime,
                           notified: bool = False) -> Created:
    """Insert the inspections due on as_of's local day that are not stored yet, each for its grid's leader.

    With notified=True the rows are stored as notified: the caller queues their notices in the same transaction.
    """
    # Bulk SQL: the pure rules give the periods of each (type, level) pair (a few dozen), and one INSERT … SELECT per
    # PERIOD_ROWS of them pairs the periods with every active source of the pair, its grid's 网格长 joined in.
    day = to_local(as_of).date()
    counts = session.execute(select(HazardSourceRow.source_type, HazardSourceRow.risk_level, func.count())
                             .where(HazardSourceRow.office_id == office.id, HazardSourceRow.active.is_(True))
                             .group_by(HazardSourceRow.source_type, HazardSourceRow.risk_level)).tuples().all()
    periods = due_periods([(t, level) for t, level, _ in counts], plan.frequencies(), plan.campaign_rules(), day)
    unplanned = sum(n for t, level, n in counts if periods[(t, level)] is None)
    if unplanned:
        logger.warning("%d sources have a type or risk level plans/inspections.yaml does not cover; not planned",
                       unplanned)
    rows = [(t, level, p) for (t, level), found in sorted(periods.items()) for p in found or ()]
    created: list[tuple[int, int, str, str, date, date, str | None, int | None]] = []
    for start in range(0, len(rows), PERIOD_ROWS):
        table = _periods_table(rows[start:start + PERIOD_ROWS])
        chosen = (select(HazardSourceRow.office_id, HazardSourceRow.id, table.c.period_key, table.c.reason,
                         table.c.starts_on, table.c.due_on, table.c.due_at, GridRow.leader_name,
                         HazardSourceRow.grid_id, literal(InspectionStatus.DUE.value, String()),
                         true() if notified else false(), literal(as_of, UTCDateTime()))
                  .select_from(HazardSourceRow)
                  .join(table, and_(table.c.source_type == HazardSourceRow.source_type,
                                    table.c.risk_level == HazardSourceRow.risk_level))
                  .outerjoin(GridRow, GridRow.id == HazardSourceRow.grid_id)
                  .where(HazardSourceRow.office_id == office.id, HazardSourceRow.active.is_(True)))
        # ON CONFLICT DO NOTHING returns only the rows it inserted.
        inserted = _insert_ignoring_stored(session, chosen).returning(
            InspectionRow.id, InspectionRow.source_id, InspectionRow.period_key, InspectionRow.reason,
            InspectionRow.starts_on, InspectionRow.due_on, InspectionRow.assigned_to, InspectionRow.grid_id)
        created += session.execute(inserted).tuples().all()
    return Created(sources=sum(n for *_, n in counts), unplanned=unplanned, rows=tuple(created),
                   due=sum(n * len(periods[(t, level)] or ()) for t, level, n in counts))


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
                   channels: Sequence[str], fresh: Created | None = None) -> list[int]:
    """Queue one notice per grid leader listing their inspections not yet notified; return the outbox ids.

    *fresh* are rows just created as notified in this transaction; any other inspection still due and never
    notified (created without a notice) is listed too, then marked notified.
    """
    # The key names the leader, the run's local day and the inspections listed: a re-run (or a retried task) that
    # finds the same unnotified inspections queues the same key, which the outbox stores once.
    older = session.execute(
        select(InspectionRow.id, InspectionRow.source_id, InspectionRow.period_key, InspectionRow.reason,
               InspectionRow.starts_on, InspectionRow.due_on, InspectionRow.assigned_to, InspectionRow.grid_id)
        .where(InspectionRow.office_id == office.id, InspectionRow.notice_sent.is_(False),
               InspectionRow.status == InspectionStatus.DUE.value)).tuples().all()
    listed = [*(fresh.rows if fresh else ()), *older]
    if not listed:
        return []
    types = plan.type_names()
    reasons = {ROUTINE: INSPECTION_REASON_ROUTINE, **plan.campaign_names()}
    levels = {level.value: RISK_LEVEL_LABELS[level] for level in RiskLevel}
    # The whole register and the grids in two queries, rather than a join over every listed inspection.
    sources = {ident: (code, name, types.get(kind, kind), levels.get(level, level)) for ident, code, name, kind, level
               in session.execute(select(HazardSourceRow.id, HazardSourceRow.code, HazardSourceRow.name,
                                         HazardSourceRow.source_type, HazardSourceRow.risk_level)
                                  .where(HazardSourceRow.office_id == office.id)).tuples()}
    phones = dict(session.execute(select(GridRow.id, GridRow.leader_phone)
                                  .join(CommunityRow, CommunityRow.id == GridRow.community_id)
                                  .where(CommunityRow.office_id == office.id)).tuples().all())
    by_leader: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for ident, source_id, period, reason, starts_on, due_on, leader, grid_id in sorted(
            listed, key=lambda r: (r[5], sources[r[1]][0], r[0])):
        code, name, kind, level = sources[source_id]
        who = (leader, phones.get(grid_id, "") if grid_id else "") if leader else (INSPECTION_NOTICE_UNASSIGNED, "")
        by_leader[who].append({"id": ident, "code": code, "name": name, "type": kind, "level": level,
                               "reason": reasons.get(reason, reason), "period": period,
                               "starts_on": starts_on.isoformat(), "due_on": due_on.isoformat()})
    day = to_local(as_of).date()
    outbox_ids: list[int] = []
    for (leader, phone), items in sorted(by_leader.items()):
        ids = ",".join(str(item["id"]) for item in items)
        digest = hashlib.sha256(f"{leader}|{phone}|{ids}".encode()).hexdigest()[:16]
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
    mark = update(InspectionRow).values(notice_sent=True).execution_options(synchronize_session=False)
    ids_older = [row[0] for row in older]
    for start in range(0, len(ids_older), UPDATE_BATCH):
        session.execute(mark.where(InspectionRow.id.in_(ids_older[start:start + UPDATE_BATCH])))
    return outbox_ids


def plan_inspections(session: Session, *, office: Office, plan: InspectionPlan, as_of: datetime,
                     channels: Sequence[str]) -> PlanningSummary:
    """Run one planning: mark what was missed, create what is due on as_of's local day, notify each leader once."""
    # The new rows are stored as notified and their notices queued in this same transaction: both commit or neither.
    missed = mark_missed(session, office=office, as_of=as_of)
    created = create_due_inspections(session, office=office, plan=plan, as_of=as_of, notified=True)
    outbox_ids = notify_leaders(session, office=office, plan=plan, as_of=as_of, channels=channels, fresh=created)
    day = to_local(as_of).date()
    return PlanningSummary(day=day, sources=created.sources, due=created.due, created=len(created.rows),
                           already_planned=created.due - len(created.rows), marked_missed=missed,
                           unplanned=created.unplanned, notices=len(outbox_ids) // max(len(channels), 1),
                           outbox_ids=tuple(outbox_ids), uncovered_holidays=tuple(plan.uncovered_holidays(day.year)))
