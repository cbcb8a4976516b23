"""Support requests (人、财、物支援请示), the pure part: items as typed, answer deadlines as typed, what may follow
what, and what arrived against what was asked for. Values in, values out."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from emergency.domain.enums import SupportStatus

NAME_MAX = 64
WHAT_MAX = 200
UNIT_MAX = 16
QUANTITY_MAX = Decimal("999999999999999")
"""Numeric(18, 3) holds 15 digits before the point."""
DUE_IN_MAX = timedelta(days=30)
"""A longer answer deadline is no deadline during an incident: a typo (2d for 2h) is refused, not kept."""

ANSWERS = frozenset({SupportStatus.ANSWERED, SupportStatus.PARTLY_ANSWERED, SupportStatus.REFUSED})
"""What the district may answer."""
ANSWERABLE = frozenset({SupportStatus.REQUESTED, SupportStatus.PARTLY_ANSWERED})
"""A request waiting for its answer, or for the rest of it after a partial one."""
FINISHED = frozenset({SupportStatus.REFUSED, SupportStatus.CLOSED})
"""Nothing more is expected of the district."""

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|min|m)", re.IGNORECASE)
_SECONDS = {"d": 86400, "h": 3600, "min": 60, "m": 60}


@dataclass(frozen=True, slots=True)
class Item:
    """One thing asked for: what, how many, in which unit (编织袋 5000 条, 抢险人员 30 人, 资金 50 万元)."""

    what: str
    quantity: Decimal
    unit: str

    def as_json(self) -> dict[str, str]:
        """Return the item as stored (the quantity as exact text)."""
        return {"what": self.what, "quantity": plain(self.quantity), "unit": self.unit}


@dataclass(frozen=True, slots=True)
class Arrival:
    """Something that arrived: what, how many (None when uncounted, e.g. a team), in which unit."""

    what: str
    quantity: Decimal | None
    unit: str


@dataclass(frozen=True, slots=True)
class ItemProgress:
    """An item asked for (or one that arrived unasked) and how much of it has arrived."""

    what: str
    unit: str
    requested: Decimal | None
    received: Decimal
    arrivals: int

    @property
    def outstanding(self) -> Decimal:
        """Return how much of the item is still to come (never below zero; nothing for an item not asked for)."""
        if self.requested is None:
            return Decimal(0)
        return max(self.requested - self.received, Decimal(0))


def plain(quantity: Decimal) -> str:
    """Return a quantity as people write it: 5000, 2.5 (no exponent, no trailing zeros)."""
    if quantity == quantity.to_integral_value():
        return str(int(quantity))
    return format(quantity.normalize(), "f")


def clean(text: str) -> str:
    """Return *text* with runs of white space made one space and the ends trimmed."""
    return re.sub(r"\s+", " ", text).strip()


def parse_quantity(text: str) -> Decimal:
    """Return a positive quantity, or raise ValueError saying why not."""
    try:
        quantity = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    if not quantity.is_finite() or quantity <= 0:
        raise ValueError(f"{text!r} is not a positive number")
    if quantity > QUANTITY_MAX:
        raise ValueError(f"{text!r} is too large")
    if quantity != quantity.quantize(Decimal("0.001")):
        raise ValueError(f"{text!r} has more than three decimals")
    return quantity


def parse_item(text: str) -> Item:
    """Read "what:quantity:unit" (编织袋:5000:条); the last two colons split, so *what* may hold one."""
    parts = text.replace("：", ":").rsplit(":", 2)
    if len(parts) != 3:
        raise ValueError(f"{text!r} is not what:quantity:unit (e.g. 编织袋:5000:条)")
    what, quantity, unit = clean(parts[0]), parts[1], clean(parts[2])
    if not what:
        raise ValueError(f"{text!r} does not say what is asked for")
    if len(what) > WHAT_MAX:
        raise ValueError(f"what is asked for is longer than {WHAT_MAX} characters")
    if not unit:
        raise ValueError(f"{text!r} has no unit (条, 人, 万元 …)")
    if len(unit) > UNIT_MAX:
        raise ValueError(f"the unit is longer than {UNIT_MAX} characters")
    return Item(what, parse_quantity(quantity), unit)


def item_of(stored: dict[str, object]) -> Item:
    """Return an item as stored (see `Item.as_json`)."""
    return Item(str(stored["what"]), Decimal(str(stored["quantity"])), str(stored["unit"]))


def parse_due_in(text: str) -> timedelta:
    """Read an answer deadline from now: 2h, 30m (or 30min), 1d, 1h30m; at most `DUE_IN_MAX`."""
    compact = text.strip()
    matches = list(_DURATION.finditer(compact))
    joined = re.sub(r"\s+", "", "".join(m.group(0) for m in matches))
    if not matches or joined != re.sub(r"\s+", "", compact):
        raise ValueError(f"{text!r} is not a duration like 2h, 30m, 1d or 1h30m")
    seconds = sum(Decimal(m.group(1)) * _SECONDS[m.group(2).lower()] for m in matches)
    if seconds <= 0:
        raise ValueError(f"{text!r} is no time at all")
    delta = timedelta(seconds=float(seconds))
    if delta > DUE_IN_MAX:
        raise ValueError(f"{text!r} is longer than {DUE_IN_MAX.days} days")
    return delta


def _key(what: str, unit: str) -> tuple[str, str]:
    return clean(what).casefold(), clean(unit).casefold()


def progress(items: Sequence[Item], arrivals: Iterable[Arrival]) -> tuple[ItemProgress, ...]:
    """Return, per item asked for, how much arrived (matched by what and unit, ignoring case and spacing); then,
    in order of first arrival, what arrived that was not asked for in that unit."""
    requested: dict[tuple[str, str], tuple[str, str, Decimal]] = {}
    for item in items:
        key = _key(item.what, item.unit)
        what, unit, quantity = requested.get(key, (item.what, item.unit, Decimal(0)))
        requested[key] = (what, unit, quantity + item.quantity)
    received: dict[tuple[str, str], tuple[str, str, Decimal, int]] = {}
    for arrival in arrivals:
        key = _key(arrival.what, arrival.unit)
        what, unit, quantity, count = received.get(key, (arrival.what, arrival.unit, Decimal(0), 0))
        received[key] = (what, unit, quantity + (arrival.quantity or 0), count + 1)
    nothing = ("", "", Decimal(0), 0)
    found = [ItemProgress(what, unit, asked, received.get(key, nothing)[2], received.get(key, nothing)[3])
             for key, (what, unit, asked) in requested.items()]
    found += [ItemProgress(what, unit, None, quantity, count)
              for key, (what, unit, quantity, count) in received.items() if key not in requested]
    return tuple(found)


def fully_received(lines: Iterable[ItemProgress]) -> bool:
    """Return whether every item asked for has arrived in full."""
    return all(line.outstanding == 0 for line in lines)


def answer_problem(current: SupportStatus, answer: SupportStatus) -> str | None:
    """Return why *answer* cannot be recorded on a request in *current* status, or None."""
    if answer not in ANSWERS:
        return f"{answer.value} is not an answer (answered, partly or refused)"
    if current not in ANSWERABLE:
        return f"the request is already {current.value}"
    return None


def status_after_arrival(current: SupportStatus, lines: Iterable[ItemProgress]) -> SupportStatus:
    """An answered request whose items have all arrived is closed (办结); otherwise nothing changes."""
    if current in (SupportStatus.ANSWERED, SupportStatus.PARTLY_ANSWERED) and fully_received(lines):
        return SupportStatus.CLOSED
    return current
