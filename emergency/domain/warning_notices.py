"""Pass-down of warnings (预警信息通知): who gets a notice for which step of a warning, when each must acknowledge, the
signed acknowledgement link, and the 转发到位率. Pure: values in, values out.

A notice goes out for each step that changes what recipients must do (the models' note on warning_events:
issued, updated, raised, lowered, lifted, cancelled). A recipient gets the warning's latest such step; a step that
ends a warning (lifted, cancelled) goes only to those who were told of the warning, since nobody else has anything
to stand down.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from emergency.domain.enums import RecipientKind, WarningAction, WarningLevel
from emergency.plans.warning_notices import AckDeadline, AckDeadlines

NOTIFIED_ACTIONS = frozenset({WarningAction.ISSUED, WarningAction.UPDATED, WarningAction.RAISED,
                              WarningAction.LOWERED, WarningAction.LIFTED, WarningAction.CANCELLED})
"""The steps of a warning that change what its recipients must do, each passed down in a notice."""

CLOSING_ACTIONS = frozenset({WarningAction.LIFTED, WarningAction.CANCELLED})
"""The steps that end a warning: their notice tells recipients to stand down."""

ACK_PATH = "/ack/"
"""Where the acknowledgement server takes a notice's link: /ack/{notice id}?t={token}&s={signature}."""


@dataclass(frozen=True, slots=True)
class Recipient:
    """A community (社区) or a grid (网格) a warning may be passed down to."""

    kind: RecipientKind
    id: int
    community_id: int
    code: str
    name: str
    contact: str = ""
    phone: str = ""

    @property
    def key(self) -> str:
        """Return the recipient's part of an idempotency key: `community:3` or `grid:7`."""
        return f"{self.kind.value}:{self.id}"

    @property
    def grid_id(self) -> int | None:
        """Return the grid's id, or None for a community."""
        return self.id if self.kind is RecipientKind.GRID else None


def recipients_for(everyone: Sequence[Recipient], *, community_id: int | None = None,
                   grid_id: int | None = None) -> tuple[Recipient, ...]:
    """Return whom a warning concerns: all communities and grids of the street (a street-wide warning), or one
    community with its grids, or one community and one grid (a monitoring point's warning where the point has them).
    """
    if community_id is None:
        return tuple(everyone)
    chosen = [r for r in everyone if r.community_id == community_id and (
        r.kind is RecipientKind.COMMUNITY or grid_id is None or r.id == grid_id)]
    return tuple(chosen) if chosen else tuple(everyone)  # a point whose community is gone: the whole street


def notice_event(steps: Sequence[tuple[int, WarningAction]]) -> tuple[int, WarningAction] | None:
    """Return the latest step (event id, action) that recipients must be told of, or None."""
    notified = [(event_id, action) for event_id, action in steps if action in NOTIFIED_ACTIONS]
    return max(notified, default=None)


def due_recipients(event: tuple[int, WarningAction], recipients: Sequence[Recipient],
                   told: Mapping[str, int]) -> tuple[Recipient, ...]:
    """Return the recipients who need a notice of *event*; *told* maps a recipient's key to the latest event they
    were sent a notice of. Nobody gets the same step twice; a closing step goes only to those told before."""
    event_id, action = event
    due = []
    for recipient in recipients:
        last = told.get(recipient.key)
        if last is not None and last >= event_id:
            continue
        if last is None and action in CLOSING_ACTIONS:
            continue
        due.append(recipient)
    return tuple(due)


def notice_key(warning_id: int, event_id: int, recipient: Recipient) -> str:
    """Return the idempotency key of the notice of one step to one recipient (`warning:3:event:9:grid:7`)."""
    return f"warning:{warning_id}:event:{event_id}:{recipient.key}"


def ack_deadline(passed_down_at: datetime, level: WarningLevel | None, action: WarningAction,
                 deadlines: AckDeadlines) -> tuple[datetime, str, AckDeadline]:
    """Return when a notice must be acknowledged, the rule's name and the rule (plans/warning-notices.yaml)."""
    if action in CLOSING_ACTIONS:
        name = "lifted"
    elif level is None:
        name = "no_level"
    else:
        name = level.value
    rule: AckDeadline = getattr(deadlines, name)
    return passed_down_at + timedelta(minutes=rule.minutes), f"warning_notices.ack_deadlines.{name}", rule


def ack_signature(secret: str, notice_id: int, token: str) -> str:
    """Return the hex HMAC-SHA256, keyed with the office's secret, of `{notice_id}.{token}`."""
    return hmac.new(secret.encode("utf-8"), f"{notice_id}.{token}".encode(), hashlib.sha256).hexdigest()


def signature_ok(secret: str, notice_id: int, token: str, signature: str) -> bool:
    """Return whether *signature* is the notice's (compared in constant time)."""
    if not secret:
        return False
    expected = ack_signature(secret, notice_id, token)
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))


def ack_link(base_url: str, notice_id: int, token: str, signature: str) -> str:
    """Return the notice's acknowledgement link under *base_url*."""
    return f"{base_url.rstrip('/')}{ACK_PATH}{notice_id}?t={quote(token, safe='')}&s={signature}"


@dataclass(frozen=True, slots=True)
class Rates:
    """The 转发到位率 of a warning: of its recipients, how many received the latest notice and acknowledged it."""

    total: int
    received: int
    acknowledged: int

    @property
    def received_rate(self) -> float | None:
        """Return received ÷ total, or None when nobody was to be told."""
        return self.received / self.total if self.total else None

    @property
    def acknowledged_rate(self) -> float | None:
        """Return acknowledged ÷ total, or None when nobody was to be told."""
        return self.acknowledged / self.total if self.total else None


def rates(states: Iterable[tuple[bool, bool]]) -> Rates:
    """Count (received, acknowledged) per recipient; an acknowledgement counts as receipt, however it arrived."""
    total = received = acknowledged = 0
    for got, acked in states:
        total += 1
        received += got or acked
        acknowledged += acked
    return Rates(total, received, acknowledged)

