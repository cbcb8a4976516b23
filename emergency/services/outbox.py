"""The outbox: every document and notice for district officials is a row, delivered at least once and stored once.

How nothing is lost and nothing arrives twice, even if the process is killed between send and mark:

1. `enqueue` inserts the row in the caller's transaction, the one that creates the document or notice. If that
   transaction commits, the message exists and will be delivered; if it rolls back, neither exists. Nothing is
   sent from inside a transaction.
2. `deliver` claims a due row in one short transaction (a conditional UPDATE moves `next_attempt_at` forward by a
   lease, so a second worker leaves it alone), sends with no transaction open, then records the outcome in a
   second short transaction.
3. If the process dies after the receiver got the message but before the mark commits, the row is still
   `queued`; when the lease runs out it is sent again, with the same idempotency key. So delivery is
   at-least-once. The district webhook (and `emergency.receiver`) stores each key once and answers a repeat with
   `{"acknowledged": true, "duplicate": true}`; the drop folder publishes `<key>.json` at most once. At-least-once
   sending plus receiver-side deduplication on the key means the district keeps exactly one copy.
4. Honest limit: WeCom and DingTalk group robots accept no idempotency key. A crash between send and mark, or a
   timeout after the robot accepted the post, posts that message to the group twice. Route reports to the webhook
   and the drop folder; robots suit notices, where a repeated line in a chat is tolerable.
5. A drill message (演练, `drill` set) is only ever sent on a drill channel. One queued for a real channel is
   diverted when it is claimed: the row takes the drill route's channel and keeps the one it was kept from in
   `diverted_from`. Only the reports of a drill run with `--deliver-to-real` (incidents.deliver_to_real) reach
   their real channel. Without a drill route (the default guard) such a message fails instead of going out.
6. A retryable failure keeps the row `queued` with the reason and backs off 30 s, 1, 2, 4 … min, capped at 1 h;
   after `max_attempts` (or at once for a permanent failure such as HTTP 400) the row is `failed` with the
   reason. `requeue` puts a failed row back once the cause is fixed. A repeated send whose mark was lost only
   adds an attempt; a late success after a failure still records the delivery.

Services take the session from the caller and never commit; `deliver` and `deliver_due` are task bodies and open
their own short transactions from the session factory they are given.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from emergency.adapters.channels import Channel, DeliveryError, OutgoingMessage, Receipt
from emergency.adapters.http import redact
from emergency.db.models import IncidentRow, OutboxRow, ReportRow
from emergency.delivery_config import DeliveryConfig, DrillGuard
from emergency.errors import ConflictError, InputError, NotFoundError

logger = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 8
DEFAULT_LEASE = timedelta(minutes=2)
"""How long a claimed row is left alone: longer than one send can take (3 tries of 3.05 s connect + 10 s read)."""

KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,128}")  # printable ASCII: it travels in an HTTP header and a file name


class OutboxStatus(StrEnum):
    """Where one delivery stands."""

    QUEUED = "queued"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"


DELIVERED = frozenset({OutboxStatus.SENT, OutboxStatus.ACKNOWLEDGED})


def retry_delay(attempts: int) -> timedelta:
    """Return the wait after *attempts* failed tries: 30 s, 1 min, 2 min, 4 min … never more than 1 h."""
    if attempts < 1:
        raise ValueError("attempts starts at 1")
    delay: timedelta = FIRST_RETRY * 2 ** min(attempts - 1, 20)
    return min(delay, MAX_RETRY)


def _check(record: str, field: str, value: str, limit: int) -> None:
    if not value or len(value) > limit:
        raise InputError(record, field, f"must have 1 to {limit} characters")


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to queue: its idempotency key, where it goes and what it says."""

    key: str
    topic: str
    channel: str
    subject: str
    body: dict[str, Any]
    attachment: Path | str | None = None
    report_id: int | None = None
    drill: bool = False


def enqueue(session: Session, *, key: str, topic: str, channel: str, subject: str, body: dict[str, Any],
            attachment: Path | str | None, now: datetime, report_id: int | None = None, drill: bool = False) -> int:
    """Add a message to the outbox in the caller's transaction; a key already there returns that row unchanged."""
    message = NewMessage(key=key, topic=topic, channel=channel, subject=subject, body=body, attachment=attachment,
                         report_id=report_id, drill=drill)
    return enqueue_many(session, messages=[message], now=now)[0]


KEYS_PER_QUERY = 500
"""Idempotency keys looked up per SELECT … IN (well under SQLite's and PostgreSQL's bound-parameter limits)."""


def enqueue_many(session: Session, *, messages: Sequence[NewMessage], now: datetime) -> list[int]:
    """Add several messages in the caller's transaction with one lookup and one flush; return their ids in order.

    A key already in the outbox, or repeated in *messages*, returns that row unchanged, as `enqueue` does. Every
    message is checked before anything is added, so a bad one adds none.
    """
    rows = [_new_row(message, now) for message in messages]
    keys = sorted({message.key for message in messages})
    ids: dict[str, int] = {}
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start:start + KEYS_PER_QUERY]
        ids.update(session.execute(select(OutboxRow.idempotency_key, OutboxRow.id)
                                   .where(OutboxRow.idempotency_key.in_(chunk))).tuples().all())
    added: dict[str, OutboxRow] = {}
    for row in rows:
        if row.idempotency_key not in ids and row.idempotency_key not in added:
            added[row.idempotency_key] = row
    session.add_all(added.values())
    session.flush()
    ids.update((key, row.id) for key, row in added.items())
    return [ids[message.key] for message in messages]


def _new_row(message: NewMessage, now: datetime) -> OutboxRow:
    """Check one message and build its (not yet added) row."""
    record = f"outbox message {message.key}"
    if not KEY_PATTERN.fullmatch(message.key):
        raise InputError(record, "key", "must be 1 to 128 printable ASCII characters without spaces")
    _check(record, "topic", message.topic, 32)
    _check(record, "channel", message.channel, 64)
    try:
        json.dumps(message.body, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(record, "body", f"is not JSON: {exc}") from None
    stored_attachment = None
    if message.attachment is not None:
        path = Path(message.attachment).resolve()
        if not path.is_file():
            raise InputError(record, "attachment", f"{path} is not a file")
        stored_attachment = str(path)
    return OutboxRow(idempotency_key=message.key, topic=message.topic, channel=message.channel,
                     subject=message.subject, body=message.body, attachment=stored_attachment,
                     status=OutboxStatus.QUEUED.value, attempts=0, last_error=None, next_attempt_at=now,
                     created_at=now, report_id=message.report_id, drill=message.drill)


def enqueue_routed(session: Session, *, config: DeliveryConfig, key: str, topic: str, subject: str,
                   body: dict[str, Any], attachment: Path | str | None, now: datetime, report_id: int | None = None,
                   drill: bool = False) -> list[int]:
    """Enqueue one row per channel of *topic*'s route, keyed `{key}@{channel}`; return their ids."""
    return [enqueue(session, key=f"{key}@{channel}", topic=topic, channel=channel, subject=subject, body=body,
                    attachment=attachment, now=now, report_id=report_id, drill=drill)
            for channel in config.route(topic)]


def due_messages(session: Session, *, now: datetime, limit: int, drills_only: bool = False) -> list[int]:
    """Return the ids of queued messages due at *now*, oldest due first (only drill messages if *drills_only*)."""
    query = (select(OutboxRow.id)
             .where(OutboxRow.status == OutboxStatus.QUEUED.value, OutboxRow.next_attempt_at <= now)
             .order_by(OutboxRow.next_attempt_at, OutboxRow.id).limit(limit))
    if drills_only:
        query = query.where(OutboxRow.drill.is_(True))
    return list(session.scalars(query))


def _row(session: Session, outbox_id: int) -> OutboxRow:
    row = session.get(OutboxRow, outbox_id, populate_existing=True)
    if row is None:
        raise NotFoundError(f"outbox message {outbox_id} does not exist")
    return row


def message_of(row: OutboxRow) -> OutgoingMessage:
    """Return the message a row holds, as channels take it."""
    return OutgoingMessage(key=row.idempotency_key, topic=row.topic, subject=row.subject, body=dict(row.body),
                           attachment=Path(row.attachment) if row.attachment else None, drill=row.drill)


def claim(session: Session, *, outbox_id: int, now: datetime, lease: timedelta = DEFAULT_LEASE) -> bool:
    """Take a due queued row for one send: push its next attempt past the lease; False if it is not ours to send."""
    result = session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == outbox_id, OutboxRow.status == OutboxStatus.QUEUED.value,
               OutboxRow.next_attempt_at <= now)
        .values(next_attempt_at=now + lease)
        .execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0) == 1)


def mark_sent(session: Session, *, outbox_id: int, receipt: Receipt, now: datetime) -> str:
    """Record a delivery: `acknowledged` if the receiver said so, else `sent`; keep the first sent time."""
    row = _row(session, outbox_id)
    row.attempts += 1
    row.sent_at = row.sent_at or now
    row.last_error = None
    if receipt.acknowledged:
        row.status = OutboxStatus.ACKNOWLEDGED.value
        row.acknowledged_at = row.acknowledged_at or now
    elif row.status != OutboxStatus.ACKNOWLEDGED:
        row.status = OutboxStatus.SENT.value
    return row.status


def mark_failure(session: Session, *, outbox_id: int, error: DeliveryError, now: datetime,
                 max_attempts: int = MAX_ATTEMPTS) -> str:
    """Record a failed try: back off and stay queued if retryable, else (or after *max_attempts*) `failed`."""
    row = _row(session, outbox_id)
    if row.status in DELIVERED:
        return row.status  # an earlier try got through; a later failure does not undo it
    row.attempts += 1
    if not error.retryable:
        row.status = OutboxStatus.FAILED.value
        row.last_error = f"permanent: {error.reason}"
    elif row.attempts >= max_attempts:
        row.status = OutboxStatus.FAILED.value
        row.last_error = f"{error.reason} (gave up after {row.attempts} attempts)"
    else:
        row.status = OutboxStatus.QUEUED.value
        row.last_error = error.reason
        row.next_attempt_at = now + retry_delay(row.attempts)
    return row.status


def requeue(session: Session, *, outbox_id: int, now: datetime) -> None:
    """Put a failed message back in the queue, due now, with a fresh count of attempts."""
    row = _row(session, outbox_id)
    if row.status != OutboxStatus.FAILED:
        raise ConflictError(f"outbox message {outbox_id} is {row.status}, not failed: nothing to requeue")
    row.status = OutboxStatus.QUEUED.value
    row.attempts = 0
    row.next_attempt_at = now


def _send(channels: Mapping[str, Channel], channel_id: str, message: OutgoingMessage) -> Receipt | DeliveryError:
    channel = channels.get(channel_id)
    if channel is None:
        return DeliveryError(True, f"channel {channel_id} is not in the delivery configuration")
    try:
        return channel.send(message)
    except DeliveryError as exc:
        return exc
    except Exception as exc:  # a channel bug or an unexpected I/O error: record it on the row and try again later
        logger.error("outbox %s via %s: unexpected %s", message.key, channel_id, type(exc).__name__)
        return DeliveryError(True, f"unexpected {type(exc).__name__}: {redact(str(exc))[:200]}")


def real_delivery_allowed(session: Session, *, row: OutboxRow) -> bool:
    """Return whether a drill message may go to its real channel: a report of a drill run with --deliver-to-real."""
    if row.report_id is None:
        return False
    allowed = session.scalar(select(IncidentRow.deliver_to_real).join(ReportRow, ReportRow.incident_id == IncidentRow.id)
                             .where(ReportRow.id == row.report_id))
    return bool(allowed)


def guard_drill(session: Session, *, row: OutboxRow, guard: DrillGuard) -> bool:
    """Keep a drill message off real channels: divert it to the drill channel; False if it cannot be sent at all."""
    if not row.drill or row.channel in guard.channels or real_delivery_allowed(session, row=row):
        return True
    if guard.divert_to is None:
        row.attempts += 1
        row.status = OutboxStatus.FAILED.value
        row.last_error = (f"permanent: a drill message (演练) is never sent on the real channel {row.channel}, "
                          "and the delivery configuration has no drill route to send it to instead")
        return False
    logger.info("outbox %s: drill message diverted from %s to %s", row.idempotency_key, row.channel, guard.divert_to)
    row.diverted_from = row.diverted_from or row.channel
    row.channel = guard.divert_to
    return True


def deliver(sessions: sessionmaker[Session], *, outbox_id: int, channels: Mapping[str, Channel], now: datetime,
            lease: timedelta = DEFAULT_LEASE, max_attempts: int = MAX_ATTEMPTS, guard: DrillGuard | None = None) -> str:
    """Send one message if it is due and not yet delivered, then mark it; return its status afterwards.

    A drill message goes only to a drill channel of *guard* (see the module's note 5); without a guard it fails.
    """
    with sessions.begin() as session:
        row = _row(session, outbox_id)
        if row.status != OutboxStatus.QUEUED or row.next_attempt_at > now:
            return row.status
        if not claim(session, outbox_id=outbox_id, now=now, lease=lease):
            return row.status  # another worker claimed it first
        if not guard_drill(session, row=row, guard=guard or DrillGuard()):
            return row.status
        message, channel_id = message_of(row), row.channel
    outcome = _send(channels, channel_id, message)  # no transaction is open while we wait on the network
    with sessions.begin() as session:
        if isinstance(outcome, DeliveryError):
            status = mark_failure(session, outbox_id=outbox_id, error=outcome, now=now, max_attempts=max_attempts)
            logger.warning("outbox %s via %s: %s (%s)", message.key, channel_id, status, outcome.reason)
        else:
            status = mark_sent(session, outbox_id=outbox_id, receipt=outcome, now=now)
            logger.info("outbox %s via %s: %s (%s)", message.key, channel_id, status, outcome.detail)
    return status


def deliver_due(sessions: sessionmaker[Session], *, channels: Mapping[str, Channel], now: datetime, limit: int = 100,
                lease: timedelta = DEFAULT_LEASE, max_attempts: int = MAX_ATTEMPTS, guard: DrillGuard | None = None,
                drills_only: bool = False) -> dict[str, int]:
    """Deliver up to *limit* due messages one by one; return how many are now in each status, and how many were due.

    *drills_only* sends drill messages alone (a drill replay at its own simulated time never touches real ones).
    """
    with sessions.begin() as session:
        ids = due_messages(session, now=now, limit=limit, drills_only=drills_only)
    counts = {"due": len(ids)} | {status.value: 0 for status in OutboxStatus}
    for outbox_id in ids:
        counts[deliver(sessions, outbox_id=outbox_id, channels=channels, now=now, lease=lease,
                       max_attempts=max_attempts, guard=guard)] += 1
    return counts


def list_outbox(session: Session, *, status: str | None = None) -> list[OutboxRow]:
    """Return the outbox rows, oldest first, optionally only those in *status*."""
    query = select(OutboxRow).order_by(OutboxRow.id)
    if status is not None:
        if status not in {s.value for s in OutboxStatus}:
            raise InputError("command line", "status", f"must be one of {', '.join(s.value for s in OutboxStatus)}")
        query = query.where(OutboxRow.status == status)
    return list(session.scalars(query))


def pending_count(session: Session) -> int:
    """Return how many messages are still queued (due now or later, claimed or not)."""
    query = select(func.count()).select_from(OutboxRow).where(OutboxRow.status == OutboxStatus.QUEUED.value)
    return int(session.scalar(query) or 0)
