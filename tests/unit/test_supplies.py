"""Supplies, pure part: book stock from movements, FEFO batch choice, stocktake adjustments, expiry and minimums."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emergency.clock import CN_TZ
from emergency.domain.enums import SupplyMovementKind
from emergency.domain.supplies import (
    ZERO,
    BatchLevel,
    ExpiryState,
    Figure,
    ShortStock,
    add_months,
    apply_movement,
    available_from,
    book_levels,
    check_quantity,
    choose_batches,
    expiry_from_shelf_life,
    expiry_state,
    format_quantity,
    minimum_of,
    parse_quantity,
    shortfall,
    signed_quantity,
    stocktake_difference,
    usable_quantity,
)
from emergency.plans.supplies import load_supplies_catalogue, parse_shelf_life

DAY = date(2026, 11, 23)
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=CN_TZ)


def batch(ident: int, quantity: str, expires: date | None, received: date = date(2026, 1, 1)) -> BatchLevel:
    """Return a batch level."""
    return BatchLevel(ident, f"B{ident}", Decimal(quantity), expires, received)


def test_signed_quantities_carry_the_direction() -> None:
    """In and returned add; out, issued and written off take away; a stocktake is signed by its count."""
    q = Decimal(5)
    assert [signed_quantity(k, q) for k in (SupplyMovementKind.IN, SupplyMovementKind.RETURNED)] == [q, q]
    assert {signed_quantity(k, q) for k in (SupplyMovementKind.OUT, SupplyMovementKind.ISSUED,
                                            SupplyMovementKind.WRITTEN_OFF)} == {-q}
    with pytest.raises(ValueError, match="stocktake"):
        signed_quantity(SupplyMovementKind.STOCKTAKE_ADJUST, q)


@pytest.mark.parametrize(("text", "expected"), [("2000", "2000"), ("2,000", "2000"), ("1.5", "1.5"),
                                                ("0.250", "0.25"), (" 12 ", "12")])
def test_quantities_are_read_as_offices_write_them(text: str, expected: str) -> None:
    """Thousands separators and trailing zeros are accepted; the quantity prints without them."""
    assert format_quantity(parse_quantity(text)) == expected


@pytest.mark.parametrize(("text", "why"), [("", "empty"), ("abc", "not a number"), ("0", "not a positive"),
                                           ("-3", "not a positive"), ("1.0001", "three decimal"),
                                           ("NaN", "not a number")])
def test_bad_quantities_are_refused_with_the_reason(text: str, why: str) -> None:
    """Zero, negative, unreadable or too precise quantities are refused."""
    with pytest.raises(ValueError, match=why):
        parse_quantity(text)


def test_fefo_takes_the_batch_expiring_first_and_never_an_expired_one() -> None:
    """An issue takes the earliest expiry first, then batches without expiry; an expired batch is skipped."""
    batches = [batch(1, "10", None), batch(2, "5", date(2027, 6, 30)), batch(3, "4", date(2026, 12, 31)),
               batch(4, "7", date(2026, 11, 1))]
    takes = choose_batches(batches, Decimal(12), on=DAY, include_expired=False)
    assert [(t.batch_id, t.quantity) for t in takes] == [(3, Decimal(4)), (2, Decimal(5)), (1, Decimal(3))]


def test_a_write_off_takes_the_expired_batch_first() -> None:
    """Writing off without naming a batch takes what has expired before anything else."""
    batches = [batch(1, "10", None), batch(4, "7", date(2026, 11, 1))]
    takes = choose_batches(batches, Decimal(7), on=DAY, include_expired=True)
    assert [(t.batch_id, t.quantity) for t in takes] == [(4, Decimal(7))]


def test_an_issue_beyond_usable_stock_says_what_is_there_and_what_has_expired() -> None:
    """Asking for more than the usable stock raises ShortStock with the usable and the expired quantity."""
    batches = [batch(1, "3", None), batch(4, "7", date(2026, 11, 1))]
    with pytest.raises(ShortStock) as raised:
        choose_batches(batches, Decimal(5), on=DAY, include_expired=False)
    assert (raised.value.available, raised.value.expired) == (Decimal(3), Decimal(7))
    assert "5 asked but only 3 in stock (and 7 expired" in str(raised.value)


def test_stock_is_usable_on_its_expiry_day_and_expired_the_day_after() -> None:
    """有效期至 is the last day of use: near on that day, expired the next."""
    expires = date(2026, 12, 1)
    assert expiry_state(expires, expires, 90) is ExpiryState.NEAR
    assert expiry_state(expires, expires + timedelta(days=1), 90) is ExpiryState.EXPIRED
    assert expiry_state(expires, expires - timedelta(days=90), 90) is ExpiryState.NEAR
    assert expiry_state(expires, expires - timedelta(days=91), 90) is ExpiryState.OK
    assert expiry_state(None, DAY, 90) is ExpiryState.NONE
    assert usable_quantity([batch(1, "2", expires), batch(2, "3", date(2026, 1, 1))], DAY) == Decimal(2)


def test_shelf_life_gives_the_day_before_the_same_date() -> None:
    """Produced 2026-01-10 with 24 months: 有效期至 2028-01-09 (the day before the same date)."""
    assert expiry_from_shelf_life(date(2026, 1, 10), months=24) == date(2028, 1, 9)
    assert expiry_from_shelf_life(date(2026, 3, 1), days=180) == date(2026, 8, 27)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert parse_shelf_life("10年") == (120, 0) and parse_shelf_life("18个月") == (18, 0)
    assert parse_shelf_life("180天") == (0, 180)
    with pytest.raises(ValueError, match="shelf life"):
        parse_shelf_life("很久")


def test_the_minimum_is_the_largest_figure_not_the_sum() -> None:
    """Plans draw on one stock: 40 and 60 make a minimum of 60, set by the plan asking 60."""
    minimum = minimum_of([Figure(Decimal(40), "general"), Figure(Decimal(60), "fire"), Figure(Decimal(10), "cat")])
    assert minimum is not None and minimum.quantity == Decimal(60) and minimum.set_by == ("fire",)
    assert minimum_of([]) is None
    assert shortfall(Decimal(45), Decimal(60)) == Decimal(15)
    assert shortfall(Decimal(70), Decimal(60)) == ZERO and shortfall(Decimal(0), None) == ZERO


def test_available_from_protects_later_movements() -> None:
    """An issue recorded for an earlier time cannot take what a later issue already took."""
    history = [(T0, Decimal(10)), (T0 + timedelta(hours=2), Decimal(-8))]
    assert available_from(history, T0 + timedelta(hours=1)) == Decimal(2)
    assert available_from(history, T0 + timedelta(hours=3)) == Decimal(2)
    assert available_from(history, T0 - timedelta(hours=1)) == ZERO


def test_the_shipped_catalogue_loads() -> None:
    """plans/supplies.yaml validates; its stores and items are found by alias."""
    catalogue = load_supplies_catalogue()
    assert catalogue.item("沙袋") is not None and catalogue.item("沙袋").code == "sandbag"  # type: ignore[union-attr]
    assert catalogue.store("万福社区") is not None
    assert catalogue.near_expiry.days == 90 and "地方做法" in catalogue.near_expiry.source


def test_the_catalogue_counts_every_plan_item_in_the_plan_s_unit() -> None:
    """An item the plans list and the catalogue has is counted in one unit, or its need could not be compared."""
    from emergency.plans.loader import DEFAULT_PLANS_DIR, read_yaml
    from emergency.plans.supplies import plan_needs_from

    catalogue = load_supplies_catalogue()
    for path in sorted((DEFAULT_PLANS_DIR / "emergency").glob("*.yaml")):
        for need in plan_needs_from(read_yaml(path), where=str(path), approved=False):
            item = catalogue.item(need.item)
            assert item is None or (item.code, item.unit) == (need.item, need.unit), (path.name, need.item)


# --- invariants -------------------------------------------------------------------------------------------------------

KINDS = st.sampled_from([SupplyMovementKind.IN, SupplyMovementKind.RETURNED, SupplyMovementKind.OUT,
                         SupplyMovementKind.ISSUED, SupplyMovementKind.WRITTEN_OFF])
QUANTITIES = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(500), places=3)
REQUESTS = st.lists(st.tuples(st.integers(0, 3), KINDS, QUANTITIES), max_size=40)


@given(REQUESTS)
def test_stock_never_goes_negative_and_equals_the_sum_of_accepted_movements(
        requests: list[tuple[int, SupplyMovementKind, Decimal]]) -> None:
    """Whatever is asked, refused movements change nothing, stock stays >= 0, and book = sum of movements."""
    levels: dict[int, Decimal] = {}
    accepted: list[tuple[int, Decimal]] = []
    for key, kind, quantity in requests:
        signed = signed_quantity(kind, quantity)
        try:
            levels = apply_movement(levels, key, signed)
        except ShortStock:
            continue
        accepted.append((key, signed))
        assert all(level >= 0 for level in levels.values())
    assert book_levels(accepted) == {k: v for k, v in levels.items() if k in {a for a, _ in accepted}}


BATCHES = st.lists(st.tuples(QUANTITIES, st.one_of(st.none(), st.dates(date(2026, 1, 1), date(2028, 12, 31)))),
                   min_size=1, max_size=6)


@given(BATCHES, QUANTITIES, st.booleans())
def test_fefo_takes_exactly_what_was_asked_from_earliest_expiry_without_overdrawing(
        specs: list[tuple[Decimal, date | None]], quantity: Decimal, include_expired: bool) -> None:
    """The takes add up to the quantity, none exceeds its batch, and no later batch is used while an earlier has stock."""
    batches = [BatchLevel(n, f"B{n}", q, e, date(2026, 1, 1)) for n, (q, e) in enumerate(specs)]
    try:
        takes = choose_batches(batches, quantity, on=DAY, include_expired=include_expired)
    except ShortStock as short:
        assert short.available < quantity
        return
    assert sum(t.quantity for t in takes) == quantity
    by_id = {b.batch_id: b for b in batches}
    assert all(0 < t.quantity <= by_id[t.batch_id].quantity for t in takes)
    assert include_expired or all(not (by_id[t.batch_id].expires_on or date.max) < DAY for t in takes)
    # Every batch but the last taken is emptied: a later-expiring batch is touched only when the earlier ones are out.
    assert all(t.quantity == by_id[t.batch_id].quantity for t in takes[:-1])
    expiries = [by_id[t.batch_id].expires_on or date.max for t in takes]
    assert expiries == sorted(expiries)


@given(st.decimals(min_value=Decimal(0), max_value=Decimal(10000), places=3),
       st.decimals(min_value=Decimal(0), max_value=Decimal(10000), places=3))
def test_a_stocktake_adjustment_makes_the_book_equal_the_count(book: Decimal, counted: Decimal) -> None:
    """book + (counted - book) = counted, and the adjusted level is never negative."""
    difference = stocktake_difference(book, counted)
    after = apply_movement({"b": book}, "b", difference)
    assert after["b"] == counted >= 0


def _levels_stay_non_negative(history: list[tuple[datetime, Decimal]]) -> bool:
    level = ZERO
    for _t, q in history:  # in time order; at equal times in the order recorded
        level += q
        if level < 0:
            return False
    return True


@given(st.lists(st.tuples(st.integers(0, 48), st.decimals(min_value=Decimal(-50), max_value=Decimal(50), places=0)),
                max_size=12), st.integers(0, 48))
def test_available_from_is_the_most_that_keeps_every_level_non_negative(moves: list[tuple[int, Decimal]],
                                                                        hour: int) -> None:
    """Taking available_from at a time keeps the level >= 0 then and after; a unit more would not."""
    history: list[tuple[datetime, Decimal]] = []
    for h, q in sorted(moves, key=lambda m: m[0]):  # keep only a valid history: never below zero
        candidate = sorted([*history, (T0 + timedelta(hours=h), q)], key=lambda m: m[0])
        if _levels_stay_non_negative(candidate):
            history = candidate
    at = T0 + timedelta(hours=hour)
    room = available_from(history, at)
    assert room >= 0
    assert _levels_stay_non_negative(sorted([*history, (at, -room)], key=lambda m: m[0]))
    assert not _levels_stay_non_negative(sorted([*history, (at, -room - Decimal("0.001"))], key=lambda m: m[0]))


def test_check_quantity_rounds_to_three_places_only_when_exact() -> None:
    """1.500 is 1.5; 1.5005 is refused."""
    assert check_quantity(Decimal("1.500")) == Decimal("1.5")
    with pytest.raises(ValueError):
        check_quantity(Decimal("1.5005"))
