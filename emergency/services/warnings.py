"""Warnings (预警): import upstream CAP 1.2 messages into warning chains; issue, update and lift the office's own
warnings; export them as CAP 1.2. Services take the caller's session and never commit.

Import keeps every message it reads (cap_messages), de-duplicated by (identifier, sender, sent) as CAP 1.2 §3.2.1
says the three identify a message; what a message does is decided in emergency.domain.warnings.decide.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urljoin, urlparse

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from emergency.cap import (
    CapError,
    OutgoingArea,
    OutgoingInfo,
    OutgoingMessage,
    ParsedCap,
    ParsedFeed,
    cap_time,
    read_document,
    write_cap,
)
from emergency.db.models import CapMessageRow, Office, WarningEventRow, WarningRow
from emergency.domain.enums import (
    AreaMatch,
    CapMsgType,
    CapStatus,
    WarningAction,
    WarningLevel,
    WarningOrigin,
    WarningStatus,
)
from emergency.domain.warnings import (
    LOCAL,
    CapInfo,
    CapMessage,
    ChainWarning,
    Classification,
    Decision,
    choose_info,
    classify,
    decide,
    gbt_identifier,
    level_change,
    match_area,
    parse_references,
    severity_for,
)
from emergency.errors import ConflictError, EmergencyError, InputError, NotFoundError
from emergency.labels import OWN_WARNING_HEADLINE, WARNING_LEVEL_LABELS
from emergency.plans.warnings import OfficeArea, Publisher, WarningPlan

log = logging.getLogger(__name__)

_ONE_SECOND = timedelta(seconds=1)

REOPENABLE_CAUSES = frozenset({"outside", "expired"})
"""A warning lifted for these causes reopens when a later Update of its chain concerns the office again."""

Fetch = Callable[[str], bytes]
"""Fetch a URL's bytes (the adapter's requests session); raises EmergencyError when it cannot."""


@dataclass
class ImportOutcome:
    """What importing one message did, as `emergency warning import --json` prints it."""

    file: str
    identifier: str | None = None
    sender: str | None = None
    sent: str | None = None
    status: str | None = None
    msg_type: str | None = None
    references: list[str] = field(default_factory=list)
    event: str | None = None
    language: str | None = None
    warning_type: str | None = None
    colour_level: str | None = None
    level_basis: str | None = None
    severity: str | None = None
    urgency: str | None = None
    certainty: str | None = None
    area_match: str | None = None
    area_detail: str | None = None
    action: str | None = None
    reason: str | None = None
    warning_id: int | None = None
    message_id: int | None = None
    error: str | None = None
    @property
    def ok(self) -> bool:
        """Return whether the message was read and acted on (an ignored message is ok)."""
        return self.error is None

    def as_json(self) -> dict[str, Any]:
        """Return the outcome as a JSON object."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class ImportContext:
    """What every import needs from plans/: the warning plan and the office's area."""

    plan: WarningPlan
    area: OfficeArea
    own_senders: frozenset[str] = frozenset()
    """The office's own CAP senders: its exported messages, read back, are recorded and ignored."""


# --- import -------------------------------------------------------------------------------------------------------


def import_document(session: Session, *, office: Office, data: bytes, source: str, now: datetime,
                    context: ImportContext, fetch: Fetch | None = None, isolate: bool = True) -> list[ImportOutcome]:
    """Import a CAP message, or every message of a feed (following entry links through *fetch*).

    isolate=True (the default): each message in its own savepoint; one that fails unexpectedly is reported and
    leaves nothing behind, and the others go on. isolate=False: no savepoints, and any unexpected failure is raised
    for the caller to roll back and import the batch again isolated (fast when, as usual, nothing fails). Invalid
    documents are reported either way, never raised.
    """
    try:
        document = read_document(data)
    except CapError as exc:
        return [_error(source, exc.why, exc.identity)]
    if isinstance(document, ParsedCap):
        return [_import_guarded(session, office=office, parsed=document, data=data, source=source, now=now,
                                context=context, isolate=isolate)]
    outcomes: list[ImportOutcome] = []
    for n, entry in enumerate(document.entries, start=1):
        where = f"{source}#{n}"
        if entry.embedded is not None:
            payload, origin = entry.embedded, where
        elif entry.href is None:
            outcomes.append(_error(where, f"{document.kind} entry {entry.title!r} has no link to a CAP message"))
            continue
        else:
            target = resolve_link(source, entry.href)
            if fetch is None or target is None:
                why = "fetching is off" if fetch is None else "links from a feed must be http(s) or relative"
                outcomes.append(_error(where, f"entry links to {entry.href}: {why}"))
                continue
            origin = target
            try:
                payload = fetch(origin)
            except EmergencyError as exc:
                outcomes.append(_error(origin, str(exc)))
                continue
        try:
            inner = read_document(payload)
        except CapError as exc:
            outcomes.append(_error(origin, exc.why, exc.identity))
            continue
        if isinstance(inner, ParsedFeed):
            outcomes.append(_error(origin, f"a {inner.kind} feed inside a feed entry is not followed"))
            continue
        outcomes.append(_import_guarded(session, office=office, parsed=inner, data=payload, source=origin, now=now,
                                        context=context, isolate=isolate))
    return outcomes  # an empty feed is the usual state of a warning feed (no warning in force): no outcome, no error


def resolve_link(base: str, href: str) -> str | None:
    """Return an entry link made absolute against its feed; None for schemes a feed may not send us to (file: …)."""
    target = urljoin(base, href.strip()) if urlparse(base).scheme in ("http", "https") else href.strip()
    scheme = urlparse(target).scheme
    if scheme in ("http", "https"):
        return target
    if urlparse(base).scheme in ("http", "https") or scheme:
        return None  # a remote feed never points us at a local file, and no other scheme is fetched
    from pathlib import Path

    return str((Path(base).parent / target).resolve())


def _error(source: str, why: str, identity: dict[str, str] | None = None) -> ImportOutcome:
    identity = identity or {}
    return ImportOutcome(file=source, identifier=identity.get("identifier"), sender=identity.get("sender"),
                         sent=identity.get("sent"), status=identity.get("status"), msg_type=identity.get("msg_type"),
                         error=why)


def _import_guarded(session: Session, *, office: Office, parsed: ParsedCap, data: bytes, source: str,
                    now: datetime, context: ImportContext, isolate: bool) -> ImportOutcome:
    if not isolate:
        return import_message(session, office=office, parsed=parsed, data=data, source=source, now=now,
                              context=context)
    try:
        with session.begin_nested():
            return import_message(session, office=office, parsed=parsed, data=data, source=source, now=now,
                                  context=context)
    except IntegrityError:
        outcome = _describe(source, parsed.message, None, None, None)
        outcome.action, outcome.reason = WarningAction.IGNORED.value, "duplicate: imported by another process just now"
        return outcome
    except Exception as exc:  # one message's unexpected failure is reported for it; the others go on
        log.exception("importing %s failed", source)
        outcome = _describe(source, parsed.message, None, None, None)
        outcome.error = f"unexpected error ({type(exc).__name__}): {exc}"
        return outcome


def import_message(session: Session, *, office: Office, parsed: ParsedCap, data: bytes, source: str, now: datetime,
                   context: ImportContext) -> ImportOutcome:
    """Record one valid CAP 1.2 message and apply what it does to the office's warnings."""
    message = parsed.message
    for name, value in (("identifier", message.identifier), ("sender", message.sender)):
        if len(value) > 255:  # CAP sets no limit; the table keeps 255 (no real identifier comes close)
            outcome = _describe(source, message, None, None, None)
            outcome.error = f"{name} longer than 255 characters is not stored"
            return outcome
    levels = context.plan.levels
    info = choose_info(message.infos, levels.languages.prefer)
    classification = classify(info, levels)
    area = match_area(info.areas if info else (), context.area, levels)
    outcome = _describe(source, message, info, classification, area.match)
    outcome.area_detail = area.detail
    existing = session.execute(_FIND_MESSAGE, {"office_id": office.id, "identifier": message.identifier,
                                               "sender": message.sender, "sent": message.sent}).first()
    if existing is not None:
        outcome.action = WarningAction.IGNORED.value
        outcome.reason = (f"duplicate of the message imported from {existing.source} (action then: {existing.action})"
                          + ("" if existing.sha256 == _sha(data) else "; this copy's bytes differ"))
        outcome.message_id, outcome.warning_id = existing.id, existing.warning_id
        return outcome
    if message.sender in context.own_senders:
        decision = Decision(WarningAction.IGNORED, f"the office's own message (sender {message.sender}): its warning "
                            "is already kept here", cause="own")
    else:
        referenced = _chain_warnings(session, office_id=office.id, message=message)
        decision = decide(message=message, info=info, area=area,
                          concerns_without_area=message.sender in context.area.upstream_senders,
                          referenced=referenced, now=now)
    # the message row goes in through Core (most messages are recorded and ignored: no ORM object needed); a row
    # another process stored meanwhile raises IntegrityError: reported as a duplicate (isolated), or the caller
    # imports the batch again isolated
    message_id: int = session.execute(_INSERT_MESSAGE, {
        "office_id": office.id, "identifier": message.identifier, "sender": message.sender, "sent": message.sent,
        "sent_text": message.sent_text, "status": message.status.value, "msg_type": message.msg_type.value,
        "scope": message.scope, "references": [r.text for r in message.references], "source": source[:4000],
        "sha256": _sha(data), "raw_xml": parsed.text, "language": info.language[:35] if info else None,
        "event": info.event if info else None, "sender_name": info.sender_name if info else None,
        "severity": info.severity if info else None, "urgency": info.urgency if info else None,
        "certainty": info.certainty if info else None, "onset": _onset(info),
        "expires": info.expires if info else None, "headline": info.headline if info else None,
        "description": info.description if info else None, "instruction": info.instruction if info else None,
        "area_desc": _area_desc(info) if info else None, "warning_type": classification.warning_type,
        "level": classification.level.value if classification.level else None, "area_match": area.match.value,
        "area_match_detail": area.detail, "action": decision.action.value, "reason": decision.reason,
        "warning_id": decision.warning_id, "received_at": now}).scalar_one()
    warning = _apply(session, office=office, decision=decision, message=message, info=info,
                     classification=classification, message_id=message_id, now=now)
    outcome.action, outcome.reason = decision.action.value, decision.reason
    outcome.warning_id = warning.id if warning else decision.warning_id
    outcome.message_id = message_id
    return outcome


_MESSAGES = cast(Table, CapMessageRow.__table__)
_FIND_MESSAGE = select(_MESSAGES.c.id, _MESSAGES.c.source, _MESSAGES.c.action, _MESSAGES.c.sha256,
                       _MESSAGES.c.warning_id).where(
    _MESSAGES.c.office_id == bindparam("office_id"), _MESSAGES.c.identifier == bindparam("identifier"),
    _MESSAGES.c.sender == bindparam("sender"), _MESSAGES.c.sent == bindparam("sent"))
_INSERT_MESSAGE = insert(_MESSAGES).returning(_MESSAGES.c.id)
_LINK_MESSAGE = update(_MESSAGES).where(_MESSAGES.c.id == bindparam("message_id")).values(
    warning_id=bindparam("warning_id"))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _onset(info: CapInfo | None) -> datetime | None:
    return (info.onset or info.effective) if info else None


def _area_desc(info: CapInfo) -> str:
    return "; ".join(a.area_desc for a in info.areas if a.area_desc)[:4000]


def _describe(source: str, message: CapMessage, info: CapInfo | None, classification: Classification | None,
              area: AreaMatch | None) -> ImportOutcome:
    return ImportOutcome(
        file=source, identifier=message.identifier, sender=message.sender, sent=message.sent_text,
        status=message.status.value, msg_type=message.msg_type.value,
        references=[r.identifier for r in message.references], event=info.event if info else None,
        language=info.language if info else None,
        warning_type=classification.warning_type if classification else None,
        colour_level=classification.level.value if classification and classification.level else None,
        level_basis=classification.basis if classification else None,
        severity=info.severity if info else None, urgency=info.urgency if info else None,
        certainty=info.certainty if info else None, area_match=area.value if area else None)


def _chain_warnings(session: Session, *, office_id: int, message: CapMessage) -> list[ChainWarning]:
    """Resolve the message's references to the warnings of the earlier messages they name."""
    if not message.references:
        return []
    rows = session.execute(select(_MESSAGES.c.identifier, _MESSAGES.c.sender, _MESSAGES.c.sent,
                                  _MESSAGES.c.warning_id).where(
        _MESSAGES.c.office_id == office_id, _MESSAGES.c.warning_id.is_not(None),
        _MESSAGES.c.identifier.in_({r.identifier for r in message.references}))).all()
    exact = {(r.sender, r.identifier, r.sent) for r in message.references if r.sent is not None}
    loose = {(r.sender, r.identifier) for r in message.references if r.sent is None}  # sent unreadable: match the pair
    warning_ids = {warning_id for identifier, sender, sent, warning_id in rows
                   if (sender, identifier, sent) in exact or (sender, identifier) in loose}
    if not warning_ids:
        return []
    warnings = session.execute(select(WarningRow.id, WarningRow.status, WarningRow.issued_at)
                               .where(WarningRow.id.in_(warning_ids))).all()
    causes: dict[int, Any] = {}
    for warning_id, detail in session.execute(select(WarningEventRow.warning_id, WarningEventRow.detail)
                                              .where(WarningEventRow.warning_id.in_(warning_ids))
                                              .order_by(WarningEventRow.id)):
        causes[warning_id] = (detail or {}).get("cause")  # the last event of each warning wins
    return [ChainWarning(warning_id, WarningStatus(status), issued_at,
                         reopenable=status == WarningStatus.LIFTED and causes.get(warning_id) in REOPENABLE_CAUSES)
            for warning_id, status, issued_at in warnings]


def _apply(session: Session, *, office: Office, decision: Decision, message: CapMessage, info: CapInfo | None,
           classification: Classification, message_id: int, now: datetime) -> WarningRow | None:
    level = classification.level.value if classification.level else None
    detail: dict[str, Any] = {"cause": decision.cause, "message": f"{message.sender},{message.identifier},"
                              f"{message.sent_text}"}
    if decision.action is WarningAction.ISSUED:
        assert info is not None
        warning = WarningRow(office_id=office.id, origin=WarningOrigin.UPSTREAM.value, status=WarningStatus.ACTIVE.value,
                             real=True, drill=False, root_message_id=message_id, issued_at=now, lift_reason=None,
                             lifted_at=None)
        _fill_from_info(warning, message, info, classification, message_id, now)
        session.add(warning)
        session.flush()
        session.execute(_LINK_MESSAGE, {"message_id": message_id, "warning_id": warning.id})
        _link_chain(session, office_id=office.id, message=message, warning_id=warning.id)
        _event(session, warning, WarningAction.ISSUED, now=now, level=level, message_id=message_id,
               actor=message.sender, reason=decision.reason, detail=detail)
        return warning
    target = session.get(WarningRow, decision.warning_id) if decision.warning_id is not None else None
    if target is None:
        return None
    warning = target
    _link_chain(session, office_id=office.id, message=message, warning_id=warning.id)
    if decision.action is WarningAction.UPDATED:
        assert info is not None
        old = WarningLevel(warning.level) if warning.level else None
        _fill_from_info(warning, message, info, classification, message_id, now)
        warning.status, warning.lifted_at, warning.lift_reason = WarningStatus.ACTIVE.value, None, None
        _event(session, warning, level_change(old, classification.level), now=now, level=level, message_id=message_id,
               actor=message.sender, reason=decision.reason, detail=detail)
    elif decision.action is WarningAction.LIFTED:
        _lift(warning, reason=decision.reason, now=now, status=WarningStatus.LIFTED)
        warning.current_message_id = message_id
        _event(session, warning, WarningAction.LIFTED, now=now, level=warning.level, message_id=message_id,
               actor=message.sender, reason=decision.reason, detail=detail)
    for other_id in decision.superseded:
        other = session.get(WarningRow, other_id)
        if other is not None and other.status == WarningStatus.ACTIVE.value:
            why = f"superseded by warning {warning.id} ({message.identifier})"
            _lift(other, reason=why, now=now, status=WarningStatus.LIFTED)
            _event(session, other, WarningAction.LIFTED, now=now, level=other.level, message_id=message_id,
                   actor=message.sender, reason=why, detail={**detail, "cause": "superseded"})
    return warning


def _link_chain(session: Session, *, office_id: int, message: CapMessage, warning_id: int) -> None:
    """Link the chain's earlier messages that belong to no warning yet (ignored before the chain concerned the
    office) to *warning_id*, following their own references, so a later Update or Cancel naming any of them finds it.
    """
    frontier = list(message.references)
    for _depth in range(100):
        if not frontier:
            return
        wanted = {(r.sender, r.identifier, r.sent) for r in frontier if r.sent is not None}
        loose = {(r.sender, r.identifier) for r in frontier if r.sent is None}
        rows = session.execute(select(_MESSAGES.c.id, _MESSAGES.c.sender, _MESSAGES.c.identifier, _MESSAGES.c.sent,
                                      _MESSAGES.c.references).where(
            _MESSAGES.c.office_id == office_id, _MESSAGES.c.warning_id.is_(None),
            _MESSAGES.c.identifier.in_({r.identifier for r in frontier}))).all()
        frontier = []
        for row in rows:
            if (row.sender, row.identifier, row.sent) in wanted or (row.sender, row.identifier) in loose:
                session.execute(_LINK_MESSAGE, {"message_id": row.id, "warning_id": warning_id})
                frontier.extend(parse_references(" ".join(row.references)))


def _fill_from_info(warning: WarningRow, message: CapMessage, info: CapInfo, classification: Classification,
                    message_id: int, now: datetime) -> None:
    warning.warning_type = classification.warning_type
    warning.event = info.event
    warning.level = classification.level.value if classification.level else None
    warning.sender, warning.sender_name = message.sender, info.sender_name or ""
    warning.severity, warning.urgency, warning.certainty = info.severity, info.urgency, info.certainty
    warning.headline, warning.description = info.headline or info.event, info.description or ""
    warning.instruction, warning.area_desc = info.instruction or "", _area_desc(info)
    warning.onset, warning.expires = _onset(info), info.expires
    warning.current_message_id, warning.updated_at = message_id, now


def _lift(warning: WarningRow, *, reason: str, now: datetime, status: WarningStatus) -> None:
    warning.status, warning.lifted_at, warning.lift_reason, warning.updated_at = status.value, now, reason, now


def _event(session: Session, warning: WarningRow, action: WarningAction, *, now: datetime, level: str | None,
           actor: str, reason: str, detail: dict[str, Any], message_id: int | None = None,
           identifier: str | None = None) -> WarningEventRow:
    event = WarningEventRow(warning_id=warning.id, at=now, action=action.value, level=level, identifier=identifier,
                            sent=now if identifier else None, message_id=message_id, actor=actor[:64],
                            reason=reason, detail=detail)
    session.add(event)
    session.flush()
    return event


# --- the office's own warnings ------------------------------------------------------------------------------------


def issue_warning(session: Session, *, office: Office, plan: WarningPlan, publisher: Publisher, area: OfficeArea,
                  warning_type: str, level: WarningLevel, now: datetime, actor: str,
                  origin: WarningOrigin = WarningOrigin.OWN, headline: str | None = None, description: str | None = None,
                  instruction: str | None = None, area_desc: str | None = None, onset: datetime | None = None,
                  expires: datetime | None = None, monitoring_point_id: int | None = None, drill: bool = False,
                  reason: str = "") -> WarningRow:
    """Issue a warning of the office's own (by hand, or from a monitoring point): a new chain with a GB/T identifier.

    The monitoring flow calls this with origin=MONITORING and the point's id; the CLI with origin=OWN.
    """
    if origin is WarningOrigin.UPSTREAM:
        raise InputError("warning", "origin", "upstream warnings come only from imported CAP messages")
    kind = _check_type(plan, warning_type, level)
    if expires is not None and expires <= now:
        raise InputError("warning", "expires", f"{expires.astimezone(LOCAL).isoformat()} is not in the future")
    colour = WARNING_LEVEL_LABELS[level]
    warning = WarningRow(
        office_id=office.id, origin=origin.value, warning_type=warning_type, event=kind.name_zh, level=level.value,
        status=WarningStatus.ACTIVE.value, real=not drill, drill=drill, sender=publisher.cap_sender,
        sender_name=publisher.sender_name, severity=severity_for(level, plan.levels), urgency="Expected",
        certainty="Observed" if origin is WarningOrigin.MONITORING else "Likely",
        headline=headline or OWN_WARNING_HEADLINE.format(sender=publisher.sender_name, type=kind.name_zh, colour=colour),
        description=description if description is not None else _standard(kind, level),
        instruction=instruction if instruction is not None else _checklist_text(plan, warning_type, level),
        area_desc=area_desc or area.description, onset=onset or now, expires=expires,
        monitoring_point_id=monitoring_point_id, issued_at=now, updated_at=now)
    session.add(warning)
    session.flush()
    identifier = next_identifier(session, publisher=publisher, now=now)
    warning.identifier = identifier
    _event(session, warning, WarningAction.ISSUED, now=now, level=level.value, actor=actor, identifier=identifier,
           reason=reason or "issued by the office", detail={"cause": "own", "snapshot": _snapshot(warning)})
    return warning


def update_warning(session: Session, *, office: Office, warning_id: int, plan: WarningPlan, publisher: Publisher, now: datetime,
                   actor: str, level: WarningLevel | None = None, headline: str | None = None,
                   description: str | None = None, instruction: str | None = None, expires: datetime | None = None,
                   reason: str = "") -> WarningRow:
    """Change an active own/monitoring warning (raise, lower, reword, extend): a new version with a new identifier."""
    warning = _own_active(session, office, warning_id)
    old = WarningLevel(warning.level) if warning.level else None
    changes: dict[str, Any] = {}
    if level is not None and level != old:
        kind = _check_type(plan, warning.warning_type, level)
        changes["level"] = level.value
        changes["severity"] = severity_for(level, plan.levels)
        if headline is None and warning.headline == OWN_WARNING_HEADLINE.format(
                sender=warning.sender_name, type=kind.name_zh, colour=WARNING_LEVEL_LABELS[old] if old else ""):
            changes["headline"] = OWN_WARNING_HEADLINE.format(sender=warning.sender_name, type=kind.name_zh,
                                                              colour=WARNING_LEVEL_LABELS[level])
        if description is None and old is not None and warning.description == _standard(kind, old):
            changes["description"] = _standard(kind, level)
        if instruction is None and old is not None and warning.instruction == _checklist_text(
                plan, warning.warning_type, old):
            changes["instruction"] = _checklist_text(plan, warning.warning_type, level)
    for name, value in (("headline", headline), ("description", description), ("instruction", instruction)):
        if value is not None and value != getattr(warning, name):
            changes[name] = value
    if expires is not None:
        if expires <= now:
            raise InputError(f"warning {warning_id}", "expires", "is not in the future")
        if expires != warning.expires:
            changes["expires"] = expires
    if not changes:
        raise InputError(f"warning {warning_id}", None, "nothing to change")
    for name, value in changes.items():
        setattr(warning, name, value)
    warning.updated_at = now
    identifier = next_identifier(session, publisher=publisher, now=now)
    warning.identifier = identifier
    new = WarningLevel(warning.level) if warning.level else None
    _event(session, warning, level_change(old, new), now=now, level=warning.level, actor=actor, identifier=identifier,
           reason=reason or "updated by the office",
           detail={"cause": "own", "changed": sorted(changes), "snapshot": _snapshot(warning)})
    return warning


def lift_warning(session: Session, *, office: Office, warning_id: int, publisher: Publisher, now: datetime, actor: str,
                 reason: str = "", cancelled: bool = False) -> WarningRow:
    """Lift (解除) an active warning, or cancel it (撤销) as issued in error; own warnings get a Cancel identifier.

    An upstream warning may be lifted locally too (the office stands down); an Update of its chain then does not
    reopen it.
    """
    warning = get_warning(session, office=office, warning_id=warning_id)
    if warning.status != WarningStatus.ACTIVE.value:
        raise ConflictError(f"warning {warning_id} is already {warning.status}")
    status = WarningStatus.CANCELLED if cancelled else WarningStatus.LIFTED
    why = reason or ("cancelled by the office" if cancelled else "lifted by the office")
    _lift(warning, reason=why, now=now, status=status)
    identifier = None
    if warning.origin != WarningOrigin.UPSTREAM.value:
        identifier = next_identifier(session, publisher=publisher, now=now)
        warning.identifier = identifier
    _event(session, warning, WarningAction.CANCELLED if cancelled else WarningAction.LIFTED, now=now,
           level=warning.level, actor=actor, identifier=identifier, reason=why,
           detail={"cause": "manual", "snapshot": _snapshot(warning)})
    return warning


def next_identifier(session: Session, *, publisher: Publisher, now: datetime) -> str:
    """Return the next free GB/T 35965.1 identifier of the office at *now* (N counts 0-9 within one second)."""
    at = now
    for _ in range(60):
        stem = gbt_identifier(publisher.unit, at, 0)[:-1]
        used = session.scalar(select(func.count()).select_from(WarningEventRow)
                              .where(WarningEventRow.identifier.like(f"{stem}%"))) or 0
        if used < 10:
            return gbt_identifier(publisher.unit, at, used)
        at = at.replace(microsecond=0) + _ONE_SECOND  # ten in one second: the next second's sequence starts at 0
    raise ConflictError("no free warning identifier within a minute")


def _own_active(session: Session, office: Office, warning_id: int) -> WarningRow:
    warning = get_warning(session, office=office, warning_id=warning_id)
    if warning.origin == WarningOrigin.UPSTREAM.value:
        raise InputError(f"warning {warning_id}", None, "an upstream warning changes only by its sender's messages")
    if warning.status != WarningStatus.ACTIVE.value:
        raise ConflictError(f"warning {warning_id} is {warning.status}")
    return warning


def _check_type(plan: WarningPlan, warning_type: str, level: WarningLevel) -> Any:
    try:
        kind = plan.levels.type(warning_type)
    except KeyError:
        known = ", ".join(t.key for t in plan.levels.types)
        raise InputError("warning", "type", f"{warning_type!r} is not a warning type ({known})") from None
    if kind.signals and kind.signal(level) is None:
        defined = ", ".join(s.level.value for s in kind.signals)
        raise InputError("warning", "level", f"{kind.name_zh} has no {level.value} signal (中国气象局令第16号: "
                         f"{defined})")
    return kind


def _standard(kind: Any, level: WarningLevel) -> str:
    signal = kind.signal(level)
    return str(signal.standard) if signal is not None else ""


def _checklist_text(plan: WarningPlan, warning_type: str, level: WarningLevel) -> str:
    return "\n".join(f"{n}. {item.text}（{item.owner_zh}）" for n, item in
                     enumerate(plan.checklist(warning_type, level), start=1))


def _snapshot(warning: WarningRow) -> dict[str, Any]:
    return {"level": warning.level, "status": warning.status, "headline": warning.headline,
            "description": warning.description, "instruction": warning.instruction, "area_desc": warning.area_desc,
            "onset": warning.onset.isoformat() if warning.onset else None,
            "expires": warning.expires.isoformat() if warning.expires else None}


# --- reading and export -------------------------------------------------------------------------------------------


def get_warning(session: Session, *, office: Office, warning_id: int) -> WarningRow:
    """Return the office's warning *warning_id*."""
    warning = session.get(WarningRow, warning_id)
    if warning is None or warning.office_id != office.id:
        raise NotFoundError(f"warning {warning_id} does not exist")
    return warning


def list_warnings(session: Session, *, office: Office, status: WarningStatus | None = None,
                  limit: int = 200) -> Sequence[WarningRow]:
    """Return the office's warnings, newest first (optionally only those of one status)."""
    query = select(WarningRow).where(WarningRow.office_id == office.id)
    if status is not None:
        query = query.where(WarningRow.status == status.value)
    return session.scalars(query.order_by(WarningRow.issued_at.desc(), WarningRow.id.desc()).limit(limit)).all()


def export_warning(session: Session, *, office: Office, warning_id: int, plan: WarningPlan, area: OfficeArea) -> bytes:
    """Return the latest version of an own/monitoring warning as CAP 1.2: Alert, Update or Cancel (解除).

    An Update or Cancel references every earlier version ("sender,identifier,sent", CAP 1.2 §3.2.1).
    """
    warning = get_warning(session, office=office, warning_id=warning_id)
    if warning.origin == WarningOrigin.UPSTREAM.value:
        raise InputError(f"warning {warning_id}", None, "is an upstream warning: its sender publishes it (the message "
                         "as received is kept in cap_messages)")
    versions = [e for e in warning.events if e.identifier]
    if not versions:
        raise InputError(f"warning {warning_id}", None, "has no exportable version")
    last, earlier = versions[-1], versions[:-1]
    if last.action in (WarningAction.LIFTED.value, WarningAction.CANCELLED.value):
        msg_type = CapMsgType.CANCEL
    else:
        msg_type = CapMsgType.UPDATE if earlier else CapMsgType.ALERT
    kind = plan.levels.type(warning.warning_type)
    level = WarningLevel(warning.level) if warning.level else None
    colour = WARNING_LEVEL_LABELS[level] if level else ""
    assert last.sent is not None
    message = OutgoingMessage(
        identifier=last.identifier or "", sender=warning.sender, sent=last.sent,
        status=(CapStatus.EXERCISE if warning.drill else CapStatus.ACTUAL).value, msg_type=msg_type.value,
        references=tuple(f"{warning.sender},{e.identifier},{cap_time(e.sent)}" for e in earlier if e.sent),
        note=last.reason or None,
        info=OutgoingInfo(
            language="zh-CN", category=kind.cap_category, event=kind.name_zh,
            urgency="Past" if msg_type is CapMsgType.CANCEL else (warning.urgency or "Expected"),
            severity=warning.severity or "Unknown", certainty=warning.certainty or "Likely",
            sender_name=warning.sender_name, headline=warning.headline, description=warning.description,
            instruction=warning.instruction, onset=warning.onset, expires=warning.expires,
            parameters=tuple(p for p in (("预警级别", colour), ("预警类型", kind.name_zh)) if p[1]),
            area=OutgoingArea(area_desc=warning.area_desc or area.description, polygon=area.polygon,
                              geocodes=tuple(("GB/T 2260", code) for code in area.admin_codes))))
    return write_cap(message)

