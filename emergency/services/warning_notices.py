"""Pass-down of warnings (预警信息通知) to communities and grids, their acknowledgement (签收), and the 转发到位率.

Every real warning, and a drill warning (marked 演练, on the drill route only, never to real recipients), becomes
for each step that changes what recipients must do one notice per community and grid it concerns: a .docx and a
short robot message, both through the outbox with idempotency keys per (warning step, recipient). Each notice's
acknowledgement deadline is an obligation row (subject "warning_ack", incident None) that the deadline clocks chase
with the escalation ladder; acknowledging meets it, and a later notice of the same warning to the same recipient
supersedes it. Services take the caller's session and never commit.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from emergency.clock import isoformat_local, to_local
from emergency.config import Settings
from emergency.db.models import (
    ClockEventRow,
    CommunityRow,
    ContactRow,
    GridRow,
    MonitoringPointRow,
    ObligationRow,
    Office,
    OutboxRow,
    WarningEventRow,
    WarningNoticeRow,
    WarningRow,
)
from emergency.delivery_config import DeliveryConfig, load_delivery
from emergency.domain.enums import AckChannel, RecipientKind, WarningAction, WarningLevel, WarningStatus
from emergency.domain.warning_notices import (
    NOTIFIED_ACTIONS,
    Rates,
    Recipient,
    ack_deadline,
    ack_link,
    ack_signature,
    due_recipients,
    notice_event,
    notice_key,
    rates,
    recipients_for,
    signature_ok,
)
from emergency.errors import ConflictError, EmergencyError, InputError, NotFoundError
from emergency.labels import WARNING_ACK_LABEL, WARNING_NOTICE_NUMBER, WARNING_NOTICE_SUBJECT
from emergency.plans.schema import Street
from emergency.plans.warning_notices import WarningNoticePlan, load_warning_notice_plan
from emergency.plans.warnings import WarningPlan
from emergency.reporting.documents import render_document
from emergency.reporting.warning_notices import WarningFacts, notice_title, robot_text, warning_notice_context
from emergency.services.clocks import MET, OPEN, SUPERSEDED, WAITING
from emergency.services.organisation import load_street_into, shift_at
from emergency.services.outbox import enqueue_routed
from emergency.services.warnings import get_warning

log = logging.getLogger(__name__)

SUBJECT = "warning_ack"
"""The obligations table's subject of a notice's acknowledgement deadline."""

TEMPLATE = "warning_notice.docx"
TOPIC_NOTICE = "warning_notice"
TOPIC_MESSAGE = "warning_message"
TOPIC_DRILL = "warning_drill"
"""Routes of plans/delivery.yaml: the .docx, the robot message, and both for a drill."""

NAME_MAX = 64


class AckRefused(EmergencyError):
    """An acknowledgement link whose notice, token or signature does not check: nothing is recorded."""


@dataclass(frozen=True, slots=True)
class AckLinks:
    """Where acknowledgement links point and the secret that signs them."""

    base_url: str
    secret: str


@dataclass(frozen=True, slots=True)
class PassDownSetup:
    """What passing down needs: the plans, the routes, where documents go, and the link signing (None: no links)."""

    plan: WarningNoticePlan
    warning_plan: WarningPlan
    delivery: DeliveryConfig
    out_dir: Path
    templates_dir: Path
    links: AckLinks | None = None


@dataclass(frozen=True, slots=True)
class NoticeSummary:
    """One notice passed down: plain data for commands and flows."""

    id: int
    warning_id: int
    event_id: int
    action: str
    recipient_kind: str
    recipient_name: str
    document_number: str
    docx_path: str
    outbox_ids: tuple[int, ...]
    ack_due: datetime
    ack_url: str | None


def setup_from_settings(settings: Settings, warning_plan: WarningPlan) -> PassDownSetup:
    """Return what passing down needs, from the settings: plans, routes, folders, and the link secret if set."""
    secret = settings.ack_secret.get_secret_value().strip() if settings.ack_secret is not None else ""
    return PassDownSetup(plan=load_warning_notice_plan(settings.plans_dir), warning_plan=warning_plan,
                         delivery=load_delivery(settings.plans_dir), out_dir=settings.output_dir,
                         templates_dir=settings.templates_dir,
                         links=AckLinks(settings.ack_base_url, secret) if secret else None)


def pass_down_all(session: Session, *, office: Office, street: Street, setup: PassDownSetup,
                  now: datetime) -> list[NoticeSummary]:
    """Bring the street's communities and grids up to date from plans/street.yaml, then pass down every warning
    with a step not yet passed down (the commands after a change, and the pass-down flow)."""
    load_street_into(session, office=office, street=street)
    return pass_down_pending(session, office=office, setup=setup, now=now)


# --------------------------------------------------------------------------------------------------------------
# Whom a warning concerns
# --------------------------------------------------------------------------------------------------------------


def street_recipients(session: Session, *, office: Office) -> list[Recipient]:
    """Return every community of the office followed by its grids (with their 网格长), in code order."""
    found: list[Recipient] = []
    communities = session.scalars(select(CommunityRow).where(CommunityRow.office_id == office.id)
                                  .order_by(CommunityRow.code)).all()
    grids: dict[int, list[GridRow]] = {}
    for grid in session.scalars(select(GridRow).where(GridRow.community_id.in_([c.id for c in communities]))
                                .order_by(GridRow.code)):
        grids.setdefault(grid.community_id, []).append(grid)
    for community in communities:
        found.append(Recipient(RecipientKind.COMMUNITY, community.id, community.id, community.code, community.name))
        found.extend(Recipient(RecipientKind.GRID, g.id, community.id, g.code, g.name, g.leader_name, g.leader_phone)
                     for g in grids.get(community.id, []))
    return found


def concerned(session: Session, *, office: Office, warning: WarningRow) -> tuple[Recipient, ...]:
    """Return whom *warning* concerns: its monitoring point's community and grids, else the whole street.

    An upstream warning reaches the office only when its area matched the street's (or its sender is one whose
    messages always concern it), and the office's own warnings cover the street: both go to every community and grid.
    """
    everyone = street_recipients(session, office=office)
    if warning.monitoring_point_id is None:
        return tuple(everyone)
    point = session.get(MonitoringPointRow, warning.monitoring_point_id)
    if point is None or point.community_id is None:
        return tuple(everyone)
    return recipients_for(everyone, community_id=point.community_id, grid_id=point.grid_id)


# --------------------------------------------------------------------------------------------------------------
# Passing down
# --------------------------------------------------------------------------------------------------------------


def pass_down(session: Session, *, office: Office, warning_id: int, setup: PassDownSetup,
              now: datetime) -> list[NoticeSummary]:
    """Pass the warning's latest step down to each community and grid concerned not yet told of it; idempotent.

    A warning that is not real (a CAP Test/Exercise/System/Draft never makes one) and not a drill is never passed
    down. A step that ends the warning goes only to those told of it before.
    """
    warning = get_warning(session, office=office, warning_id=warning_id)
    if not (warning.real or warning.drill):
        return []
    steps = [(e.id, WarningAction(e.action)) for e in warning.events if e.action in _ACTION_VALUES]
    event = notice_event(steps)
    if event is None:
        return []
    earlier = session.scalars(select(WarningNoticeRow).where(WarningNoticeRow.warning_id == warning.id)
                              .order_by(WarningNoticeRow.id)).all()
    told: dict[str, int] = {}
    for notice in earlier:
        key = _recipient_key(notice)
        told[key] = max(told.get(key, 0), notice.event_id or 0)
    recipients = due_recipients(event, concerned(session, office=office, warning=warning), told)
    if not recipients:
        return []
    event_row = session.get(WarningEventRow, event[0])
    assert event_row is not None
    facts = _facts(warning, event_row, setup.warning_plan, office)
    number = _document_number(session, office=office, event_id=event_row.id, earlier=earlier, now=now)
    contact, contact_phone = _contact(session, office)
    duty_phone = _duty_phone(session, office, now)
    level = WarningLevel(warning.level) if warning.level else None
    checklist = setup.warning_plan.checklist(warning.warning_type, level) if level is not None else ()
    created = []
    try:  # a savepoint: another process passing the same step down at once wins on the notices' unique keys
        with session.begin_nested():
            for recipient in recipients:
                created.append(_notice(session, office=office, warning=warning, event=event_row, facts=facts,
                                       recipient=recipient, number=number, checklist=checklist, setup=setup, now=now,
                                       contact=(contact, contact_phone), duty_phone=duty_phone))
                _supersede(session, [n for n in earlier if _recipient_key(n) == recipient.key], now)
    except IntegrityError:
        raise ConflictError(f"warning {warning.id} was passed down by another process just now") from None
    return created


def pass_down_pending(session: Session, *, office: Office, setup: PassDownSetup, now: datetime) -> list[NoticeSummary]:
    """Pass down every warning of the office with a step not yet passed down (what a command or flow calls after
    importing, issuing, updating or lifting warnings, or to catch up after a failure)."""
    last_notice = (select(func.max(WarningNoticeRow.event_id)).where(WarningNoticeRow.warning_id == WarningRow.id)
                   .scalar_subquery())
    newer_step = exists().where(WarningEventRow.warning_id == WarningRow.id,
                                WarningEventRow.action.in_(_ACTION_VALUES),
                                WarningEventRow.id > func.coalesce(last_notice, 0))
    told_before = exists().where(WarningNoticeRow.warning_id == WarningRow.id)
    ids = session.scalars(select(WarningRow.id).where(
        WarningRow.office_id == office.id, or_(WarningRow.real.is_(True), WarningRow.drill.is_(True)), newer_step,
        or_(WarningRow.status == WarningStatus.ACTIVE.value, told_before)).order_by(WarningRow.id)).all()
    created: list[NoticeSummary] = []
    for warning_id in ids:
        try:
            created += pass_down(session, office=office, warning_id=warning_id, setup=setup, now=now)
        except ConflictError as exc:  # the other process has sent it: nothing is missing
            log.info("%s", exc)
    return created


_ACTION_VALUES = sorted(action.value for action in NOTIFIED_ACTIONS)


def _recipient_key(notice: WarningNoticeRow) -> str:
    if notice.recipient_kind == RecipientKind.GRID.value:
        return f"{RecipientKind.GRID.value}:{notice.grid_id}"
    return f"{RecipientKind.COMMUNITY.value}:{notice.community_id}"


def _facts(warning: WarningRow, event: WarningEventRow, plan: WarningPlan, office: Office) -> WarningFacts:
    """Return what the notice says: the warning as it stands after *event* (its latest step to pass down)."""
    level = WarningLevel(warning.level) if warning.level else None
    previous = next((e.level for e in reversed(warning.events) if e.id < event.id and e.level), None)
    try:
        kind = plan.levels.type(warning.warning_type)
        type_name = kind.name_zh if kind.key != "other" or not warning.event else warning.event
    except KeyError:
        type_name = warning.event or warning.warning_type
    grade = ""
    if level is not None:
        name = plan.levels.levels.names[level]
        grade = f"{name.grade}，{name.grade_desc}"
    return WarningFacts(
        action=WarningAction(event.action), at=event.at, type_name=type_name, level=level, grade=grade,
        previous_level=WarningLevel(previous) if previous else None, sender=warning.sender_name or office.name,
        headline=warning.headline or warning.event, area=warning.area_desc, onset=warning.onset,
        expires=warning.expires, description=warning.description, instruction=warning.instruction,
        drill=warning.drill)


def _document_number(session: Session, *, office: Office, event_id: int, earlier: Sequence[WarningNoticeRow],
                     now: datetime) -> str:
    """Return the 发文字号 of the step: the one its earlier copies carry, else the next of the office's year."""
    for notice in earlier:
        if notice.event_id == event_id and notice.outbox_id is not None:
            row = session.get(OutboxRow, notice.outbox_id)
            if row is not None and row.body.get("document_number"):
                return str(row.body["document_number"])
    year = to_local(now).year
    start = to_local(now).replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    steps = session.scalar(select(func.count(func.distinct(WarningNoticeRow.event_id)))
                           .join(WarningRow, WarningRow.id == WarningNoticeRow.warning_id)
                           .where(WarningRow.office_id == office.id, WarningNoticeRow.created_at >= start)) or 0
    return WARNING_NOTICE_NUMBER.format(year=year, number=steps + 1)


def _contact(session: Session, office: Office) -> tuple[str, str]:
    """Return the office's emergency office (应急管理办公室) contact named on notices."""
    row = session.scalar(select(ContactRow).where(ContactRow.office_id == office.id,
                                                  ContactRow.role == "emergency_office"))
    return (f"{row.name}（{row.title}）", row.phone) if row is not None else (office.name, "")


def _duty_phone(session: Session, office: Office, now: datetime) -> str:
    """Return the duty room's phone now: the roster's shift, else the duty officer's, else the emergency office's."""
    shift = shift_at(session, office=office, at=now)
    if shift is not None and shift.phone:
        return shift.phone
    for role in ("duty_officer", "emergency_office"):
        row = session.scalar(select(ContactRow).where(ContactRow.office_id == office.id, ContactRow.role == role))
        if row is not None and row.phone:
            return row.phone
    return ""


def _notice(session: Session, *, office: Office, warning: WarningRow, event: WarningEventRow, facts: WarningFacts,
            recipient: Recipient, number: str, checklist: Sequence[Any], setup: PassDownSetup, now: datetime,
            contact: tuple[str, str], duty_phone: str) -> NoticeSummary:
    """Store one notice, write its .docx, queue it and its robot message, and start its acknowledgement clock."""
    key = notice_key(warning.id, event.id, recipient)
    notice = WarningNoticeRow(
        key=key, warning_id=warning.id, event_id=event.id, recipient_kind=recipient.kind.value,
        community_id=recipient.community_id, grid_id=recipient.grid_id, recipient_name=recipient.name[:100],
        outbox_id=None, docx_path=None, created_at=now, sent_at=None, ack_token=secrets.token_urlsafe(32),
        acknowledged_at=None, acknowledged_by=None, ack_channel=None)
    session.add(notice)
    session.flush()
    due, rule, deadline = ack_deadline(now, facts.level, facts.action, setup.plan.ack_deadlines)
    link = None
    if setup.links is not None:
        link = ack_link(setup.links.base_url, notice.id, notice.ack_token,
                        ack_signature(setup.links.secret, notice.id, notice.ack_token))
    context = warning_notice_context(
        office=office.name, facts=facts, recipient=recipient.name, document_number=number, checklist=checklist,
        plan_name=setup.warning_plan.actions.name_zh, ack_due=due, ack_url=link, duty_phone=duty_phone,
        contact=contact[0], contact_phone=contact[1], issued_at=now)
    path = render_document(TEMPLATE, context, setup.out_dir / "warnings" /
                           f"warning-{warning.id}-event-{event.id}-{recipient.kind.value}-{recipient.id}.docx",
                           setup.templates_dir)
    notice.docx_path = str(path)
    title = notice_title(facts)
    subject = WARNING_NOTICE_SUBJECT.format(recipient=recipient.name, title=title)
    body = {"type": "warning_notice", "warning": warning.id, "step": event.action, "document_number": number,
            "title": title, "to": recipient.name, "recipient": recipient.code, "contact": recipient.contact,
            "phone": recipient.phone, "ack_due": isoformat_local(due), "ack_url": link}
    text = robot_text(facts, recipient=recipient.name, ack_due=due, ack_url=link)
    drill = warning.drill
    outbox = enqueue_routed(session, config=setup.delivery, key=f"{key}:notice",
                            topic=TOPIC_DRILL if drill else TOPIC_NOTICE, subject=subject, body=body,
                            attachment=path, now=now, drill=drill)
    outbox += enqueue_routed(session, config=setup.delivery, key=f"{key}:message",
                             topic=TOPIC_DRILL if drill else TOPIC_MESSAGE, subject=subject,
                             body={"text": text, "to": recipient.name}, attachment=None, now=now, drill=drill)
    notice.outbox_id = outbox[0] if outbox else None
    session.add(ObligationRow(
        key=obligation_key(notice.id), subject=SUBJECT, office_id=office.id, incident_id=None, kind=SUBJECT,
        label=WARNING_ACK_LABEL.format(warning=warning.id, recipient=recipient.name)[:64], due_at=due, rule=rule,
        source=deadline.source, status=OPEN, created_at=now, updated_at=now, drill=drill))
    session.flush()
    return NoticeSummary(notice.id, warning.id, event.id, event.action, recipient.kind.value, recipient.name, number,
                         str(path), tuple(outbox), due, link)


def obligation_key(notice_id: int) -> str:
    """Return the key of a notice's acknowledgement obligation."""
    return f"warning-notice-{notice_id}-ack"


def _supersede(session: Session, notices: Sequence[WarningNoticeRow], now: datetime) -> None:
    """A new notice replaces the recipient's earlier ones: their acknowledgement clocks stop."""
    if not notices:
        return
    for row in session.scalars(select(ObligationRow).where(
            ObligationRow.key.in_([obligation_key(n.id) for n in notices]), ObligationRow.status.in_(WAITING))):
        row.status, row.updated_at = SUPERSEDED, now


# --------------------------------------------------------------------------------------------------------------
# Acknowledgement
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AckResult:
    """What an acknowledgement recorded, or found already recorded (duplicate)."""

    notice_id: int
    warning_id: int
    step: str
    recipient_name: str
    acknowledged_at: datetime
    acknowledged_by: str
    channel: str
    duplicate: bool


def _clean_name(record: str, by: str) -> str:
    name = re.sub(r"\s+", " ", by).strip()
    if not name:
        raise InputError(record, "by", "is empty: say who acknowledges")
    if len(name) > NAME_MAX:
        raise InputError(record, "by", f"longer than {NAME_MAX} characters")
    return name


def _record_ack(session: Session, notice: WarningNoticeRow, *, by: str, now: datetime,
                channel: AckChannel) -> AckResult:
    """Record the acknowledgement once and meet its obligation; a repeat changes nothing."""
    event = session.get(WarningEventRow, notice.event_id) if notice.event_id else None
    step = event.action if event is not None else ""
    if notice.acknowledged_at is not None:
        return AckResult(notice.id, notice.warning_id, step, notice.recipient_name, notice.acknowledged_at,
                         notice.acknowledged_by or "", notice.ack_channel or "", duplicate=True)
    notice.acknowledged_at, notice.acknowledged_by, notice.ack_channel = now, by, channel.value
    obligation = session.scalar(select(ObligationRow).where(ObligationRow.key == obligation_key(notice.id)))
    if obligation is not None and obligation.status in WAITING:
        obligation.status, obligation.met_at, obligation.updated_at = MET, now, now
    session.flush()
    return AckResult(notice.id, notice.warning_id, step, notice.recipient_name, now, by, channel.value,
                     duplicate=False)


def acknowledge(session: Session, *, office: Office, warning_id: int, recipient: str, by: str,
                now: datetime) -> AckResult:
    """Record that *recipient* (a community or grid: code, name, or the grid's 网格长) acknowledged the latest notice
    of the warning it was sent, as told by phone or in person; a repeat is answered with the first record."""
    record = f"warning {warning_id}"
    get_warning(session, office=office, warning_id=warning_id)
    name = _clean_name(record, by)
    notices = session.scalars(select(WarningNoticeRow).where(WarningNoticeRow.warning_id == warning_id)
                              .order_by(WarningNoticeRow.id)).all()
    if not notices:
        raise NotFoundError(f"{record} was not passed down to anyone (see `emergency warning show {warning_id}`)")
    latest: dict[str, WarningNoticeRow] = {}
    for notice in notices:
        latest[_recipient_key(notice)] = notice
    names = _recipient_names(session, list(latest.values()))
    wanted = recipient.strip().casefold()
    matches = [notice for notice in latest.values() if wanted in names[notice.id]]
    if not matches:
        known = "; ".join(sorted({f"{sorted(names[n.id])[0]} {n.recipient_name}" for n in latest.values()}))
        raise InputError(record, "recipient", f"{recipient!r} is none of those it was passed down to ({known})")
    if len(matches) > 1:
        which = ", ".join(n.recipient_name for n in matches)
        raise InputError(record, "recipient", f"{recipient!r} names {len(matches)} recipients ({which}): give the code")
    return _record_ack(session, matches[0], by=name, now=now, channel=AckChannel.CLI)


def _recipient_names(session: Session, notices: Sequence[WarningNoticeRow]) -> dict[int, set[str]]:
    """Return, per notice, the words that name its recipient: code, name and (a grid) its 网格长."""
    names: dict[int, set[str]] = {}
    for notice in notices:
        words = {notice.recipient_name}
        if notice.recipient_kind == RecipientKind.GRID.value and notice.grid_id is not None:
            grid = session.get(GridRow, notice.grid_id)
            if grid is not None:
                words |= {grid.code, grid.name, grid.leader_name}
        elif notice.community_id is not None:
            community = session.get(CommunityRow, notice.community_id)
            if community is not None:
                words |= {community.code, community.name}
        names[notice.id] = {w.strip().casefold() for w in words if w and w.strip()}
    return names


def _checked_notice(session: Session, *, notice_id: int, token: str, signature: str, secret: str,
                    lock: bool) -> WarningNoticeRow:
    """Return the notice a link names if its token and signature check; else AckRefused (the same for every cause)."""
    notice = session.get(WarningNoticeRow, notice_id, with_for_update=lock) if notice_id > 0 else None
    token_ok = notice is not None and hmac.compare_digest(notice.ack_token.encode(), token.encode("utf-8", "replace"))
    if notice is None or not token_ok or not signature_ok(secret, notice_id, token, signature):
        raise AckRefused("this acknowledgement link is not valid")
    return notice


def acknowledge_link(session: Session, *, notice_id: int, token: str, signature: str, by: str, secret: str,
                     now: datetime) -> AckResult:
    """Record an acknowledgement through a notice's signed link; an invalid or tampered link records nothing.

    Without a name, the acknowledgement is recorded as the grid's 网格长 (a community's: the community).
    """
    notice = _checked_notice(session, notice_id=notice_id, token=token, signature=signature, secret=secret, lock=True)
    name = re.sub(r"\s+", " ", by).strip()
    if not name:
        grid = session.get(GridRow, notice.grid_id) if notice.grid_id is not None else None
        name = grid.leader_name if grid is not None else notice.recipient_name
    name = _clean_name(f"notice {notice_id}", name)
    return _record_ack(session, notice, by=name, now=now, channel=AckChannel.CALLBACK)


@dataclass(frozen=True, slots=True)
class LinkView:
    """What the acknowledgement page shows for a valid link."""

    notice_id: int
    recipient_name: str
    title: str
    headline: str
    ack_due: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    drill: bool


def view_link(session: Session, *, notice_id: int, token: str, signature: str, secret: str) -> LinkView:
    """Return what a valid link's page shows; AckRefused for an invalid one."""
    notice = _checked_notice(session, notice_id=notice_id, token=token, signature=signature, secret=secret, lock=False)
    warning = session.get(WarningRow, notice.warning_id)
    assert warning is not None
    obligation = session.scalar(select(ObligationRow).where(ObligationRow.key == obligation_key(notice.id)))
    title = ""
    if notice.outbox_id is not None:
        row = session.get(OutboxRow, notice.outbox_id)
        title = str(row.body.get("title", "")) if row is not None else ""
    return LinkView(notice.id, notice.recipient_name, title, warning.headline, obligation.due_at if obligation else None,
                    notice.acknowledged_at, notice.acknowledged_by, warning.drill)


# --------------------------------------------------------------------------------------------------------------
# 转发到位率
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoticeInfo:
    """One notice to one recipient: when passed down, delivered, due and acknowledged, and how its clock went."""

    id: int
    event_id: int | None
    step: str
    document_number: str
    created_at: datetime
    sent_at: datetime | None
    ack_due: datetime | None
    clock: str | None
    escalations: tuple[tuple[str, datetime, str], ...]
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    ack_channel: str | None
    docx_path: str | None
    outbox: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class RecipientReceipt:
    """A recipient and its notices, the latest one first in importance: it is what the rates count."""

    kind: str
    code: str
    name: str
    contact: str
    phone: str
    latest: NoticeInfo
    notices: tuple[NoticeInfo, ...]

    @property
    def received(self) -> bool:
        """Return whether the latest notice reached the recipient (delivered by the outbox, or acknowledged)."""
        return self.latest.sent_at is not None or self.latest.acknowledged_at is not None

    @property
    def acknowledged(self) -> bool:
        """Return whether the latest notice was acknowledged."""
        return self.latest.acknowledged_at is not None


@dataclass(frozen=True, slots=True)
class Receipts:
    """The 转发到位率 of a warning: per recipient who received its latest notice, who acknowledged, when and by whom."""

    warning_id: int
    recipients: tuple[RecipientReceipt, ...]
    rates: Rates


def warning_receipts(session: Session, *, office: Office, warning_id: int) -> Receipts:
    """Return the warning's notices per recipient and the rates; a delivery the outbox has made since is recorded on
    its notice (sent_at, the first delivery of the notice's .docx or message)."""
    get_warning(session, office=office, warning_id=warning_id)
    notices = session.scalars(select(WarningNoticeRow).where(WarningNoticeRow.warning_id == warning_id)
                              .order_by(WarningNoticeRow.id)).all()
    deliveries: dict[str, list[OutboxRow]] = {}
    for row in session.scalars(select(OutboxRow).where(
            OutboxRow.idempotency_key.like(f"warning:{warning_id}:event:%")).order_by(OutboxRow.id)):
        deliveries.setdefault(row.idempotency_key.split("@", 1)[0].rsplit(":", 1)[0], []).append(row)
    obligations = {row.key: row for row in session.scalars(select(ObligationRow).where(
        ObligationRow.key.in_([obligation_key(n.id) for n in notices])))}
    fired: dict[int, list[tuple[str, datetime, str]]] = {}
    for event in session.scalars(select(ClockEventRow).where(ClockEventRow.obligation_id.in_(
            [o.id for o in obligations.values()])).order_by(ClockEventRow.fired_at, ClockEventRow.id)):
        fired.setdefault(event.obligation_id, []).append((event.step, event.fired_at, event.recipient))
    steps = {e.id: e.action for e in session.scalars(select(WarningEventRow)
                                                      .where(WarningEventRow.warning_id == warning_id))}
    grouped: dict[str, list[NoticeInfo]] = {}
    who: dict[str, tuple[str, str, str, str, str]] = {}
    for notice in notices:
        rows = deliveries.get(notice.key, [])
        sent = [r.sent_at for r in rows if r.sent_at is not None]
        if sent and notice.sent_at is None:
            notice.sent_at = min(sent)
        obligation = obligations.get(obligation_key(notice.id))
        number = next((str(r.body.get("document_number")) for r in rows if r.body.get("document_number")), "")
        info = NoticeInfo(
            id=notice.id, event_id=notice.event_id, step=steps.get(notice.event_id or 0, ""), document_number=number,
            created_at=notice.created_at, sent_at=notice.sent_at, ack_due=obligation.due_at if obligation else None,
            clock=obligation.status if obligation else None,
            escalations=tuple(fired.get(obligation.id, ())) if obligation else (),
            acknowledged_at=notice.acknowledged_at, acknowledged_by=notice.acknowledged_by,
            ack_channel=notice.ack_channel, docx_path=notice.docx_path,
            outbox=tuple((r.channel, r.status) for r in rows))
        key = _recipient_key(notice)
        grouped.setdefault(key, []).append(info)
        who[key] = _who(session, notice)
    session.flush()
    receipts = tuple(RecipientReceipt(*who[key], latest=infos[-1], notices=tuple(infos))
                     for key, infos in sorted(grouped.items(), key=lambda item: (who[item[0]][1], who[item[0]][0])))
    return Receipts(warning_id, receipts, rates((r.received, r.acknowledged) for r in receipts))


def _who(session: Session, notice: WarningNoticeRow) -> tuple[str, str, str, str, str]:
    """Return (kind, code, name, contact, phone) of a notice's recipient."""
    if notice.recipient_kind == RecipientKind.GRID.value and notice.grid_id is not None:
        grid = session.get(GridRow, notice.grid_id)
        if grid is not None:
            return notice.recipient_kind, grid.code, notice.recipient_name, grid.leader_name, grid.leader_phone
    community = session.get(CommunityRow, notice.community_id) if notice.community_id is not None else None
    return notice.recipient_kind, community.code if community else "", notice.recipient_name, "", ""


def receipts_document(receipts: Receipts) -> dict[str, Any]:
    """Return the receipts as JSON (times ISO 8601 in Asia/Shanghai), as `emergency warning show --json` prints them."""

    def local(at: datetime | None) -> str | None:
        return isoformat_local(at) if at else None

    def notice(info: NoticeInfo) -> dict[str, Any]:
        return {"id": info.id, "step": info.step, "document_number": info.document_number,
                "passed_down_at": local(info.created_at), "sent_at": local(info.sent_at),
                "ack_due": local(info.ack_due), "clock": info.clock,
                "escalations": [{"step": s, "at": local(at), "to": to} for s, at, to in info.escalations],
                "acknowledged_at": local(info.acknowledged_at), "acknowledged_by": info.acknowledged_by,
                "ack_channel": info.ack_channel, "docx": info.docx_path,
                "deliveries": [{"channel": c, "status": s} for c, s in info.outbox]}

    rate = receipts.rates
    return {
        "total": rate.total, "received": rate.received, "acknowledged": rate.acknowledged,
        "received_rate": rate.received_rate, "acknowledged_rate": rate.acknowledged_rate,
        "recipients": [{"kind": r.kind, "code": r.code, "name": r.name, "contact": r.contact, "phone": r.phone,
                        "received": r.received, "sent_at": local(r.latest.sent_at),
                        "acknowledged": r.acknowledged, "acknowledged_at": local(r.latest.acknowledged_at),
                        "acknowledged_by": r.latest.acknowledged_by, "ack_channel": r.latest.ack_channel,
                        "ack_due": local(r.latest.ack_due), "latest": notice(r.latest),
                        "notices": [notice(n) for n in r.notices]} for r in receipts.recipients],
    }
