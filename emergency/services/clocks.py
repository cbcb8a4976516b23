"""Clock use cases: keep the obligation rows current, and fire a reminder, breach or escalation step once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from emergency.clock import format_local, isoformat_local
from emergency.db.models import (
    ClockEventRow,
    ContactRow,
    DraftRow,
    DutyShiftRow,
    IncidentRow,
    LiveFindingRow,
    ObligationRow,
    Office,
)
from emergency.domain.clocks import ClockStep
from emergency.domain.enums import FindingType, ObligationStatus, ReportKind
from emergency.labels import (
    CLOCK_MESSAGES,
    CLOCKS_ACTOR,
    FINDING_LABELS,
    OBLIGATION_LABELS,
    PLAN_REVIEW_CLOCK_MESSAGES,
    RECTIFICATION_CLOCK_MESSAGES,
    REPORT_KIND_LABELS,
    SIGNOFF_LABEL,
    SIGNOFF_SOURCE,
    SUPPORT_CLOCK_MESSAGES,
    WARNING_ACK_CLOCK_MESSAGES,
)
from emergency.plans.rules import ReportingRules
from emergency.services.incidents import incident_audit
from emergency.services.organisation import shift_at
from emergency.services.outbox import NewMessage, enqueue, enqueue_many

OPEN = "open"
BREACHED = "breached"
MET = "met"
SUPERSEDED = "superseded"
WAITING = (OPEN, BREACHED)


@dataclass(frozen=True, slots=True)
class ObligationInfo:
    """An obligation row as plain data for the clocks."""

    id: int
    due_at: datetime
    status: str
    drill: bool


def sync_obligations(session: Session, *, rules: ReportingRules, incident: IncidentRow, now: datetime) -> list[int]:
    """Bring the incident's obligation rows in line with the rules at *now*; return the ids of rows changed.

    Open and overdue obligations get a row (keyed by incident, kind and due time); rows of obligations since met
    are marked met, and rows whose due time moved (a cadence restarted, a grade rose) are superseded. The clock
    jobs re-read these rows, so a job for a superseded or met row does nothing.
    """
    audit = incident_audit(session, rules=rules, incident=incident, at=now)
    wanted: dict[str, tuple[str, str, datetime, str, str]] = {}
    met: dict[str, datetime | None] = {}
    for ob in audit.obligations:
        key = f"incident-{incident.id}-{ob.kind.value}-{ob.due_at.isoformat()}"
        if ob.status in (ObligationStatus.OPEN, ObligationStatus.OVERDUE):
            wanted[key] = (ob.kind.value, OBLIGATION_LABELS[ob.kind], ob.due_at, ob.rule, ob.source)
        else:
            met[key] = ob.met_at
    changed: list[int] = []
    existing = {row.key: row for row in session.scalars(
        select(ObligationRow).where(ObligationRow.incident_id == incident.id, ObligationRow.subject == "report"))}
    for key, row in existing.items():
        if row.status not in WAITING or key in wanted:
            continue
        row.status = MET if key in met else SUPERSEDED
        row.met_at = met.get(key)
        row.updated_at = now
        changed.append(row.id)
    for key, (kind, label, due_at, rule, source) in wanted.items():
        if key in existing:
            continue
        row = ObligationRow(key=key, subject="report", office_id=incident.office_id, incident_id=incident.id, kind=kind,
                            label=label, due_at=due_at,
                            rule=rule, source=source, status=OPEN, created_at=now, updated_at=now, drill=incident.drill)
        session.add(row)
        session.flush()
        changed.append(row.id)
    changed += _sync_signoffs(session, incident=incident, now=now)
    session.flush()
    return changed


def _sync_signoffs(session: Session, *, incident: IncidentRow, now: datetime) -> list[int]:
    """A draft waiting for its signer is an obligation too: due when the report it drafts is due."""
    changed: list[int] = []
    drafts = session.scalars(select(DraftRow).where(DraftRow.incident_id == incident.id)).all()
    rows = {row.draft_id: row for row in session.scalars(
        select(ObligationRow).where(ObligationRow.incident_id == incident.id, ObligationRow.subject == "signoff"))}
    for draft in drafts:
        row = rows.get(draft.id)
        if draft.status != "awaiting_signoff":
            if row is not None and row.status in WAITING:
                row.status, row.met_at, row.updated_at = MET, draft.signed_at, now
                changed.append(row.id)
            continue
        if row is not None or draft.due_at is None:
            continue
        row = ObligationRow(key=f"signoff-{draft.id}", subject="signoff", office_id=incident.office_id,
                            incident_id=incident.id, draft_id=draft.id, kind="signoff",
                            label=SIGNOFF_LABEL.format(report=REPORT_KIND_LABELS[ReportKind(draft.kind)]),
                            due_at=draft.due_at, rule="signoff", source=SIGNOFF_SOURCE, status=OPEN, created_at=now,
                            updated_at=now, drill=incident.drill)
        session.add(row)
        session.flush()
        changed.append(row.id)
    return changed


def _recipient(session: Session, *, office_id: int | None, who: str, at: datetime) -> str:
    """Return who a step goes to at that moment: the roster's duty officer or leader, or a role holder."""
    office = session.get(Office, office_id) if office_id is not None else None
    if office is None:
        return who  # no office on record for this obligation: name the role, the message still goes out
    if who in ("duty_officer", "leader_on_duty"):
        shift = shift_at(session, office=office, at=at)
        if shift is not None:
            name = shift.duty_officer if who == "duty_officer" else shift.leader_on_duty
            return f"{name}（{shift.phone}）"
        who = "duty_officer" if who == "duty_officer" else "deputy"  # no roster for that moment: the plan's role
    contact = session.scalar(select(ContactRow).where(ContactRow.office_id == office_id, ContactRow.role == who))
    return f"{contact.name}（{contact.title}，{contact.phone}）" if contact else who


def fire_step(session: Session, *, obligation_id: int, step: ClockStep, now: datetime) -> str:
    """Fire one step if its obligation still waits: record it once, queue the message, flag a breach.

    Returns what happened: 'fired', or why nothing did ('met', 'superseded', 'already fired', 'not due',
    'deadline moved').
    """
    row = session.get(ObligationRow, obligation_id, with_for_update=True)
    firing = _check_step(session, row, step, now, fired=None, recipients={})
    if isinstance(firing, str):
        return firing
    outbox_ids = enqueue_many(session, messages=firing.messages(), now=now)
    try:
        with session.begin_nested():
            _record_firing(session, firing, outbox_ids[-1] if outbox_ids else None, now)
    except IntegrityError:
        return "already fired"  # another clock process got there first; the unique step row decides
    return "fired"


SUBJECT_MESSAGES = {
    "rectification": RECTIFICATION_CLOCK_MESSAGES,
    "warning_ack": WARNING_ACK_CLOCK_MESSAGES,
    "support_request": SUPPORT_CLOCK_MESSAGES,
    "plan_review": PLAN_REVIEW_CLOCK_MESSAGES,
}
"""The clocks' wording for obligations other than reports (a 整改 deadline, a 预警信息通知's 签收, a 请示's answer)."""

FIRE_BATCH = 100
"""At most this many steps are fired in one transaction (bounds how long the clocks hold SQLite's write lock)."""


def fire_steps(session: Session, *, steps: Sequence[tuple[int, ClockStep]], now: datetime) -> list[str]:
    """Fire several due steps in the caller's transaction, in order; return each one's outcome as `fire_step` does.

    The same checks and writes as `fire_step` one after the other, but the obligation rows (locked FOR UPDATE, as
    `fire_step` locks its row) and their fired steps are read in one query each, whom a step goes to is looked up
    once per office and role, the messages are queued with one lookup and one flush, and the rest is written at
    the commit, not one flush and savepoint per step. A step another clock process recorded in the meantime
    meets the unique (obligation, step) row and the flush or commit raises IntegrityError: the caller then rolls
    back and fires each step alone with `fire_step`, which settles that race step by step ('already fired').
    """
    ids = sorted({obligation_id for obligation_id, _step in steps})
    rows: dict[int, ObligationRow] = {}
    fired: dict[int, set[str]] = {obligation_id: set() for obligation_id in ids}
    for start in range(0, len(ids), FIRE_BATCH):
        chunk = ids[start:start + FIRE_BATCH]
        rows.update((row.id, row) for row in session.scalars(
            select(ObligationRow).where(ObligationRow.id.in_(chunk)).with_for_update()))
        for obligation_id, done in session.execute(select(ClockEventRow.obligation_id, ClockEventRow.step)
                                                   .where(ClockEventRow.obligation_id.in_(chunk))).tuples():
            fired[obligation_id].add(done)
    recipients: dict[tuple[int | None, str], str] = {}
    checked = [_check_step(session, rows.get(obligation_id), step, now, fired=fired[obligation_id],
                           recipients=recipients) for obligation_id, step in steps]
    firings = [firing for firing in checked if not isinstance(firing, str)]
    outbox_ids = iter(enqueue_many(session, messages=[m for firing in firings for m in firing.messages()], now=now))
    for firing in firings:
        last = None
        for _message in firing.step.channels:
            last = next(outbox_ids)
        _record_firing(session, firing, last, now)
    return [firing if isinstance(firing, str) else "fired" for firing in checked]


@dataclass(frozen=True, slots=True)
class _Firing:
    """A step that passed its checks: whom it goes to and what it says."""

    row: ObligationRow
    step: ClockStep
    recipient: str
    title: str
    text: str

    def messages(self) -> list[NewMessage]:
        """The step's outbox messages, one per channel."""
        row = self.row
        return [NewMessage(key=f"clock-{row.id}-{self.step.step}-{channel}", topic="notice", channel=channel,
                           subject=self.text, drill=row.drill,
                           body={"text": self.text, "obligation": row.kind, "due_at": isoformat_local(row.due_at),
                                 "step": self.step.step, "to": self.recipient})
                for channel in self.step.channels]


def _check_step(session: Session, row: ObligationRow | None, step: ClockStep, now: datetime, *,
                fired: set[str] | None, recipients: dict[tuple[int | None, str], str]) -> _Firing | str:
    """Decide whether *step* of the (locked) *row* fires at *now*; *fired* is its steps already recorded, or None
    to query them. Returns the firing, or why nothing happens."""
    if row is None or row.status not in WAITING:
        return row.status if row is not None else "gone"
    if step.due_at != row.due_at:
        return "deadline moved"  # armed for an earlier deadline; the clocks arm the moved one's steps anew
    if step.kind == "reminder" and now >= row.due_at:
        return "no longer useful"
    if step.kind != "reminder" and now < row.due_at:
        return "not due"
    if fired is None:
        if session.scalar(select(ClockEventRow.id).where(ClockEventRow.obligation_id == row.id,
                                                         ClockEventRow.step == step.step)):
            return "already fired"
    elif step.step in fired:
        return "already fired"
    else:
        fired.add(step.step)
    incident = session.get(IncidentRow, row.incident_id) if row.incident_id else None
    office_id = row.office_id if row.office_id is not None else (incident.office_id if incident else None)
    recipient = recipients.get((office_id, step.who))
    if recipient is None:  # one lookup per office and role for one moment (*now*) in one transaction
        recipient = recipients[(office_id, step.who)] = _recipient(session, office_id=office_id, who=step.who, at=now)
    title = incident.title if incident else row.label
    messages = SUBJECT_MESSAGES.get(row.subject, CLOCK_MESSAGES)
    text = messages[step.kind].format(label=row.label, title=title, due=format_local(row.due_at),
                                     recipient=recipient, rule=row.rule)
    return _Firing(row, step, recipient, title, text)


def _record_firing(session: Session, firing: _Firing, outbox_id: int | None, now: datetime) -> None:
    """Record the step once (the unique row), and for a breach mark the row and store the live 迟报 finding."""
    row, step = firing.row, firing.step
    session.add(ClockEventRow(obligation_id=row.id, step=step.step, scheduled_for=step.at, fired_at=now,
                              recipient=firing.recipient, outbox_id=outbox_id, note=firing.text))
    if row.subject == "rectification" and step.kind != "reminder":
        _record_on_hazard(session, row, step, firing.recipient, now)
    if step.kind == "breach":
        # updated_at is left alone: it tells the clocks' watchers what to re-arm (new, moved, met, superseded
        # rows), and a breach is the clocks' own step, whose later steps are armed already. Bumping it made every
        # watcher re-read each breached row for its overlap window: 1,000 rows a second at 333 breaches a second.
        row.status, row.breached_at = BREACHED, now
        if row.subject == "report":
            session.add(LiveFindingRow(
                obligation_id=row.id, incident_id=row.incident_id, type=FindingType.LATE.value, obligation=row.kind,
                due_at=row.due_at, recorded_at=now, rule=row.rule,
                evidence=CLOCK_MESSAGES["evidence"].format(label=row.label, due=format_local(row.due_at),
                                                           at=format_local(now), title=firing.title,
                                                           finding=FINDING_LABELS[FindingType.LATE])))


def _record_on_hazard(session: Session, row: ObligationRow, step: ClockStep, recipient: str, now: datetime) -> None:
    """A rectification deadline's breach or escalation is also a step of its hazard's history (逾期升级督办)."""
    from emergency.services.hazards import record_escalation  # hazards build on this module: imported when used

    record_escalation(session, obligation=row, step=step.step, recipient=recipient, at=now, actor=CLOCKS_ACTOR)


_INFO = (ObligationRow.id, ObligationRow.due_at, ObligationRow.status, ObligationRow.drill)
"""The columns of `ObligationInfo`: selected as plain rows, not whole ORM objects (the watcher reads every second)."""


def waiting_obligations(session: Session) -> list[ObligationInfo]:
    """Return every obligation whose clock still runs (open, or breached and escalating)."""
    return [ObligationInfo(*r) for r in session.execute(select(*_INFO).where(ObligationRow.status.in_(WAITING)))]


def fired_steps(session: Session, *, obligation_id: int) -> set[str]:
    """Return the steps already fired for an obligation."""
    return set(session.scalars(select(ClockEventRow.step).where(ClockEventRow.obligation_id == obligation_id)))


def fired_steps_of(session: Session, *, obligation_ids: Sequence[int]) -> dict[int, set[str]]:
    """Return the fired steps of the given obligations, one query per 500 ids (the watcher's re-reads)."""
    found: dict[int, set[str]] = {}
    ids = sorted(set(obligation_ids))
    for start in range(0, len(ids), 500):
        rows = session.execute(select(ClockEventRow.obligation_id, ClockEventRow.step)
                               .where(ClockEventRow.obligation_id.in_(ids[start:start + 500])))
        for obligation_id, step in rows.tuples():
            found.setdefault(obligation_id, set()).add(step)
    return found


def fired_steps_of_waiting(session: Session) -> dict[int, set[str]]:
    """Return the fired steps of every obligation whose clock still runs, in one query (start-up of 100,000)."""
    found: dict[int, set[str]] = {}
    rows = session.execute(select(ClockEventRow.obligation_id, ClockEventRow.step)
                           .join(ObligationRow, ObligationRow.id == ClockEventRow.obligation_id)
                           .where(ObligationRow.status.in_(WAITING)))
    for obligation_id, step in rows.tuples():
        found.setdefault(obligation_id, set()).add(step)
    return found


def changed_since(session: Session, *, since: datetime) -> list[ObligationInfo]:
    """Return obligations created or changed after *since* (how other processes' new obligations reach the clocks)."""
    return [ObligationInfo(*r) for r in session.execute(select(*_INFO).where(ObligationRow.updated_at > since))]


@dataclass(frozen=True, slots=True)
class StatusRow:
    """One line of `emergency status`."""

    obligation_id: int
    incident: str
    title: str
    label: str
    due_at: datetime
    status: str
    reminded: tuple[str, ...]


def status_rows(session: Session) -> list[StatusRow]:
    """Return every real obligation whose clock runs, soonest first, with whom its steps reached (drills apart)."""
    rows = session.execute(
        select(ObligationRow, IncidentRow.ref, IncidentRow.title)
        .join(IncidentRow, IncidentRow.id == ObligationRow.incident_id, isouter=True)
        .where(ObligationRow.status.in_(WAITING), ObligationRow.drill.is_(False))
        .order_by(ObligationRow.due_at)).tuples().all()
    events: dict[int, list[str]] = {}
    for event in session.scalars(select(ClockEventRow).where(
            ClockEventRow.obligation_id.in_([r[0].id for r in rows])).order_by(ClockEventRow.fired_at)):
        events.setdefault(event.obligation_id, []).append(f"{event.step} {format_local(event.fired_at)} → {event.recipient}")
    return [StatusRow(row.id, ref or "", title or "", row.label, row.due_at, row.status, tuple(events.get(row.id, ())))
            for row, ref, title in rows]


HANDOVER_WINDOW = timedelta(hours=1)
"""A handover missed while the clocks were down is still sent if its shift began less than this long ago."""


def send_handover(session: Session, *, office: Office, now: datetime, channels: Sequence[str]) -> int | None:
    """At a shift change, send the outgoing shift's handover listing every open obligation; once per shift."""
    from emergency.services.roster import handover

    shift = shift_at(session, office=office, at=now)
    if shift is None or now - shift.starts_at > HANDOVER_WINDOW:
        return None
    previous = session.scalar(select(DutyShiftRow.id).where(DutyShiftRow.office_id == office.id,
                                                            DutyShiftRow.ends_at == shift.starts_at))
    if previous is None:
        return None  # the first shift on record: nobody hands over
    items = [f"{r.incident} {r.title} {r.label}，时限{format_local(r.due_at)}"
             + ("（已超时）" if r.due_at < now else "") for r in status_rows(session)]
    text = handover(session, office=office, at=shift.starts_at, open_items=items)
    outbox_id = None
    for channel in channels:
        outbox_id = enqueue(session, key=f"handover-{shift.id}-{channel}", topic="notice", channel=channel,
                            subject=text.splitlines()[0], body={"text": text}, attachment=None, now=now)
    return outbox_id
