"""Emergency supplies (应急物资储备): book stock from movements, which batches an issue takes, and what is short or
about to expire.

Book stock is the sum of a batch's movements (+ in and returned, - out, issued and written off, ± a stocktake's
adjustment); no movement may take a batch below zero. Issues take the batch that expires first (FEFO, first
expired first out), so that stock is used before it spoils; an expired batch is never issued, only written off.
An item's minimum is the largest figure any source sets (the plans draw on one stock, so needs are not added up).
"""

from __future__ import annotations

import calendar
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from emergency.domain.enums import SupplyMovementKind

QUANTUM = Decimal("0.001")
"""Quantities are kept to three decimal places (Numeric(18, 3)): 1.5 吨, 0.25 箱 are possible, 0.0001 is not."""

MAX_QUANTITY = Decimal("999999999999999")
ZERO = Decimal(0)

INCOMING: frozenset[SupplyMovementKind] = frozenset({SupplyMovementKind.IN, SupplyMovementKind.RETURNED})
OUTGOING: frozenset[SupplyMovementKind] = frozenset({SupplyMovementKind.OUT, SupplyMovementKind.ISSUED,
                                                     SupplyMovementKind.WRITTEN_OFF})

K = TypeVar("K", bound=Hashable)


class ShortStock(ValueError):
    """More was asked of stock than it holds; carries the figures so the caller can name the item and store."""

    def __init__(self, asked: Decimal, available: Decimal, expired: Decimal = ZERO) -> None:
        self.asked = asked
        self.available = available
        self.expired = expired
        extra = f" (and {format_quantity(expired)} expired, to be written off)" if expired > 0 else ""
        super().__init__(f"{format_quantity(asked)} asked but only {format_quantity(available)} in stock{extra}")


class ExpiryState(StrEnum):
    """Where a batch stands against its expiry date (有效期至) on a given day."""

    NONE = "none"
    OK = "ok"
    NEAR = "near"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class BatchLevel:
    """One batch of one item in one store: its book quantity and dates."""

    batch_id: int
    batch_no: str
    quantity: Decimal
    expires_on: date | None
    received_on: date


@dataclass(frozen=True, slots=True)
class Take:
    """How much of one batch an outgoing movement takes."""

    batch_id: int
    batch_no: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure for an item's minimum stock and where it comes from (a plan, the catalogue, the office)."""

    quantity: Decimal
    source: str


@dataclass(frozen=True, slots=True)
class Minimum:
    """An item's minimum stock: the largest figure, the sources setting it, and every figure considered."""

    quantity: Decimal
    set_by: tuple[str, ...]
    figures: tuple[Figure, ...]


# --- quantities --------------------------------------------------------------------------------------------------


def parse_quantity(text: str) -> Decimal:
    """Return a positive quantity written as 2000, 2,000, 1.5 or 2000.000; raise ValueError otherwise."""
    cleaned = text.strip().replace(",", "").replace("，", "")
    if not cleaned:
        raise ValueError("empty")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{text.strip()!r} is not a number") from None
    return check_quantity(value)


def check_quantity(value: Decimal) -> Decimal:
    """Return *value* as a quantity: positive, finite, at most three decimal places; raise ValueError otherwise."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a number")
    if value <= 0:
        raise ValueError(f"{format_quantity(value)} is not a positive quantity")
    if value != value.quantize(QUANTUM):
        raise ValueError(f"{value} has more than three decimal places")
    if value > MAX_QUANTITY:
        raise ValueError(f"{format_quantity(value)} is too large")
    return value.quantize(QUANTUM)


def format_quantity(value: Decimal) -> str:
    """Return a quantity as people write it: 2000, 1.5, 0.25 (no trailing zeros, no exponent)."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def signed_quantity(kind: SupplyMovementKind, quantity: Decimal) -> Decimal:
    """Return the movement's signed quantity: + for in and returned, - for out, issued and written off."""
    if kind is SupplyMovementKind.STOCKTAKE_ADJUST:
        raise ValueError("a stocktake adjustment is signed by the count (stocktake_difference)")
    quantity = check_quantity(quantity)
    return quantity if kind in INCOMING else -quantity


# --- book stock --------------------------------------------------------------------------------------------------


def book_levels(movements: Iterable[tuple[K, Decimal]]) -> dict[K, Decimal]:
    """Return the book quantity of each key (a batch, an item) as the sum of its signed movements."""
    levels: dict[K, Decimal] = {}
    for key, quantity in movements:
        levels[key] = levels.get(key, ZERO) + quantity
    return levels


def apply_movement(levels: Mapping[K, Decimal], key: K, quantity: Decimal) -> dict[K, Decimal]:
    """Return the levels after a signed movement of *key*; raise ShortStock if it would go below zero."""
    current = levels.get(key, ZERO)
    after = current + quantity
    if after < 0:
        raise ShortStock(-quantity, current)
    return {**levels, key: after}


def available_from(history: Iterable[tuple[datetime, Decimal]], at: datetime) -> Decimal:
    """Return the most that may leave a batch at *at*: its level then, and at every later movement, stays >= 0.

    *history* is the batch's signed movements with their times; a movement recorded for an earlier time (a receipt
    entered late, an issue written up afterwards) must not leave the batch below zero at any later moment.
    """
    ordered = sorted(history, key=lambda m: m[0])
    level = sum((q for t, q in ordered if t <= at), ZERO)
    lowest = level
    for t, q in ordered:
        if t > at:
            level += q
            lowest = min(lowest, level)
    return max(lowest, ZERO)


def stocktake_difference(book: Decimal, counted: Decimal) -> Decimal:
    """Return the adjustment that makes the book equal the count (盘盈 +, 盘亏 -); a count is never negative."""
    if not counted.is_finite() or counted < 0:
        raise ValueError(f"a count of {counted} is not possible")
    if counted != counted.quantize(QUANTUM):
        raise ValueError(f"{counted} has more than three decimal places")
    return counted - book


# --- expiry ------------------------------------------------------------------------------------------------------


def is_expired(expires_on: date | None, on: date) -> bool:
    """Return whether stock expiring on *expires_on* is expired on *on* (it is usable up to and on that day)."""
    return expires_on is not None and expires_on < on


def expiry_state(expires_on: date | None, on: date, window_days: int) -> ExpiryState:
    """Return whether a batch is expired, expires within *window_days* of *on* (near), fine, or never expires."""
    if expires_on is None:
        return ExpiryState.NONE
    if expires_on < on:
        return ExpiryState.EXPIRED
    if (expires_on - on).days <= window_days:
        return ExpiryState.NEAR
    return ExpiryState.OK


def end_of_month(year: int, month: int) -> date:
    """Return the last day of a month: an expiry written to the month (有效期至2027年06月) runs to its end."""
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    """Return the same day *months* later, the last day of the month where that day does not exist."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def expiry_from_shelf_life(produced_on: date, *, months: int = 0, days: int = 0) -> date:
    """Return the last day of use of stock produced on *produced_on* with a shelf life (保质期) of months or days.

    Written to the day, an expiry is the day before the same date after the shelf life (《药品说明书和标签管理规定》
    国家食品药品监督管理局令第24号 第二十三条: 有效期若标注到日，应当为起算日期对应年月日的前一天).
    """
    if months < 0 or days < 0 or (months == 0 and days == 0):
        raise ValueError("a shelf life is a positive number of months or days")
    return add_months(produced_on, months) + timedelta(days=days) - timedelta(days=1)


# --- which batches an outgoing movement takes -------------------------------------------------------------------


def fefo_order(batches: Iterable[BatchLevel]) -> list[BatchLevel]:
    """Return batches first-expired-first-out: earliest expiry first, those that never expire last, then oldest."""
    return sorted(batches, key=lambda b: (b.expires_on is None, b.expires_on or date.max, b.received_on,
                                          b.batch_no, b.batch_id))


def choose_batches(batches: Sequence[BatchLevel], quantity: Decimal, *, on: date,
                   include_expired: bool) -> tuple[Take, ...]:
    """Return what to take from which batch for *quantity*, FEFO; expired batches only when *include_expired*.

    A write-off (include_expired) takes expired batches first; an issue never takes them. Raises ShortStock when
    the batches hold less than asked.
    """
    quantity = check_quantity(quantity)
    usable = [b for b in fefo_order(batches) if b.quantity > 0 and (include_expired or not is_expired(b.expires_on, on))]
    expired = sum((b.quantity for b in batches if b.quantity > 0 and is_expired(b.expires_on, on)), ZERO)
    available = sum((b.quantity for b in usable), ZERO)
    if available < quantity:
        raise ShortStock(quantity, available, ZERO if include_expired else expired)
    takes: list[Take] = []
    left = quantity
    for batch in usable:
        if left == 0:
            break
        taken = min(batch.quantity, left)
        takes.append(Take(batch.batch_id, batch.batch_no, taken))
        left -= taken
    return tuple(takes)


# --- minimum stock and what is short ---------------------------------------------------------------------------


def minimum_of(figures: Iterable[Figure]) -> Minimum | None:
    """Return the item's minimum: the largest figure (one stock serves every plan, so needs are not summed)."""
    given = tuple(figures)
    if not given:
        return None
    top = max(f.quantity for f in given)
    return Minimum(top, tuple(dict.fromkeys(f.source for f in given if f.quantity == top)), given)


def shortfall(on_hand: Decimal, minimum: Decimal | None) -> Decimal:
    """Return how much is missing to reach the minimum (0 when there is no minimum or enough)."""
    if minimum is None or on_hand >= minimum:
        return ZERO
    return minimum - on_hand


def usable_quantity(batches: Iterable[BatchLevel], on: date) -> Decimal:
    """Return the stock that counts towards a minimum on *on*: every batch not expired."""
    return sum((b.quantity for b in batches if b.quantity > 0 and not is_expired(b.expires_on, on)), ZERO)
