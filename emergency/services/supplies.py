"""Emergency supplies (应急物资储备): stores and items from plans/supplies.yaml, receipts imported from the office's
spreadsheet, movements (in, out, issued to an incident, returned, written off), stocktakes, and the weekly check of
shortfalls against the plans' minimums and of batches near or past their expiry date.

Every change of stock is a movement row with who and when; a batch's book quantity is the sum of its movements
(drill movements excepted: a drill never touches real stock). Services take the session from the caller and never
commit; every check is made before anything is written, so a refused movement or a bad file stores nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from emergency.clock import CN_TZ, to_local
from emergency.db.models import (
    IncidentRow,
    Office,
    PlanVersionRow,
    StocktakeRow,
    SupplyBatchRow,
    SupplyItemRow,
    SupplyMovementRow,
    SupplyStoreRow,
)
from emergency.domain.enums import SupplyMovementKind
from emergency.domain.supplies import (
    ZERO,
    BatchLevel,
    ExpiryState,
    Figure,
    ShortStock,
    Take,
    available_from,
    check_quantity,
    choose_batches,
    expiry_state,
    fefo_order,
    format_quantity,
    is_expired,
    minimum_of,
    shortfall,
    stocktake_difference,
)
from emergency.errors import InputError, NotFoundError, RulesError
from emergency.labels import (
    SUPPLIES_NOTICE_EXPIRED,
    SUPPLIES_NOTICE_EXPIRED_LINE,
    SUPPLIES_NOTICE_MORE,
    SUPPLIES_NOTICE_NEAR,
    SUPPLIES_NOTICE_NEAR_LINE,
    SUPPLIES_NOTICE_SHORT,
    SUPPLIES_NOTICE_SHORT_LINE,
    SUPPLIES_NOTICE_STORE_LINE,
    SUPPLIES_NOTICE_TITLE,
    SUPPLY_MINIMUM_SOURCES,
    SUPPLY_NO_BATCH,
    SUPPLY_NO_BATCH_EXPIRING,
)
from emergency.plans.loader import DEFAULT_PLANS_DIR, read_yaml
from emergency.plans.roster import normalise_heading
from emergency.plans.supplies import (
    SUPPLIES_FILE,
    PlanNeed,
    SuppliesCatalogue,
    load_supplies_catalogue,
    plan_needs_from,
)
from emergency.services.incidents import check_not_future, find_incident
from emergency.services.outbox import enqueue
from emergency.services.roster import RowProblem

MAX_REPORTED = 20
"""At most this many problems are named in one error (all of them stay on SuppliesFileError.problems)."""

CODE_MAX, NAME_MAX, UNIT_MAX, BATCH_MAX, BY_MAX, SUPPLIER_MAX = 64, 200, 16, 64, 64, 200
NOTICE_LINES = 30
"""At most this many lines per section of the weekly notice; the rest are counted (`supplies check` lists all)."""


KIND_WORDS: dict[str, SupplyMovementKind] = {
    "in": SupplyMovementKind.IN, "out": SupplyMovementKind.OUT, "issue": SupplyMovementKind.ISSUED,
    "return": SupplyMovementKind.RETURNED, "write-off": SupplyMovementKind.WRITTEN_OFF,
    "issued": SupplyMovementKind.ISSUED, "returned": SupplyMovementKind.RETURNED,
    "written_off": SupplyMovementKind.WRITTEN_OFF, "write_off": SupplyMovementKind.WRITTEN_OFF,
}
"""The words `supplies move --kind` takes for each kind of movement a person records."""


class SuppliesFileError(InputError):
    """A supplies spreadsheet with problems: every one is kept, the first MAX_REPORTED are named in the message."""

    def __init__(self, path: str, problems: Sequence[RowProblem], *, skippable: bool) -> None:
        self.problems = tuple(problems)
        named = "; ".join(str(p) for p in self.problems[:MAX_REPORTED])
        if len(self.problems) > MAX_REPORTED:
            named += f"; … and {len(self.problems) - MAX_REPORTED} more"
        count = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        hint = " (use --skip-bad to import the good rows)" if skippable else ""
        super().__init__(path, None, f"{count}, nothing stored{hint}: {named}")


def expiry_text(day: date | None) -> str:
    """Return a batch's expiry in words, for messages."""
    return f"有效期至 {day.isoformat()}" if day is not None else "no expiry date"


def local_start(day: date) -> datetime:
    """Return the start of *day* in Asia/Shanghai as an aware UTC time."""
    return datetime.combine(day, time(0), tzinfo=CN_TZ).astimezone(UTC)


def default_batch_no(expires_on: date | None) -> str:
    """Return the batch number of stock received without one: one per expiry date ('' when it never expires)."""
    return "" if expires_on is None else f"exp-{expires_on:%Y%m%d}"


def batch_label(batch_no: str) -> str:
    """Return a batch number for people: the stored number, or 无批号 (with its expiry) for stock received without."""
    if batch_no.startswith("exp-") and len(batch_no) == 12 and batch_no[4:].isdigit():
        return SUPPLY_NO_BATCH_EXPIRING.format(expires=f"{batch_no[4:8]}-{batch_no[8:10]}-{batch_no[10:]}")
    return batch_no or SUPPLY_NO_BATCH


def find_batch(rows: Sequence[SupplyBatchRow], text: str) -> SupplyBatchRow | None:
    """Return the batch named by its number, or as people see it (无批号, 无批号（有效期至2027-06-30）)."""
    wanted = text.strip()
    return next((r for r in rows if r.batch_no == wanted), None) or next(
        (r for r in rows if batch_label(r.batch_no) == wanted), None)


# --- the registry: stores and items from the catalogue, the database and the plans ------------------------------


@dataclass(frozen=True, slots=True)
class ItemInfo:
    """An item as the commands name it: stored row (if any), code, name, unit, category."""

    code: str
    name: str
    unit: str
    category: str
    spec: str
    aliases: tuple[str, ...] = ()
    row_id: int | None = None


@dataclass
class Registry:
    """The office's stores and items, found by code, name or alias (spaces and letter case ignored)."""

    stores: dict[str, SupplyStoreRow]
    store_names: dict[str, str]
    items: dict[str, ItemInfo]
    item_names: dict[str, str]
    item_codes: dict[str, str] = field(default_factory=dict)

    def store(self, text: str) -> SupplyStoreRow | None:
        """Return the store named by its code, name or an alias."""
        code = self.store_names.get(normalise_heading(text))
        return self.stores.get(code) if code is not None else None

    def item_by_code(self, text: str) -> ItemInfo | None:
        """Return the item with this code."""
        code = self.item_codes.get(normalise_heading(text))
        return self.items.get(code) if code is not None else None

    def item(self, text: str) -> ItemInfo | None:
        """Return the item named by its code, name or an alias."""
        found = self.item_by_code(text)
        if found is not None:
            return found
        code = self.item_names.get(normalise_heading(text))
        return self.items.get(code) if code is not None else None

    def add_item(self, info: ItemInfo) -> None:
        """Make an item findable by its code, name and aliases (the first to claim a name keeps it)."""
        self.items[info.code] = info
        self.item_codes.setdefault(normalise_heading(info.code), info.code)
        for name in (info.name, *info.aliases):
            self.item_names.setdefault(normalise_heading(name), info.code)

    def store_list(self) -> str:
        """Return the stores for a message: 'ZY-CK01 正阳街道应急物资储备库、…'."""
        return "、".join(f"{s.code} {s.name}" for s in self.stores.values()) or "none"


def sync_catalogue(session: Session, *, office: Office, catalogue: SuppliesCatalogue, now: datetime,
                   plans_dir: Path | None = None) -> None:
    """Store the catalogue's stores and items; running it again updates names, never duplicates."""
    where = str((plans_dir or DEFAULT_PLANS_DIR) / SUPPLIES_FILE)
    stores = {s.code: s for s in session.scalars(select(SupplyStoreRow).where(SupplyStoreRow.office_id == office.id))}
    for store in catalogue.stores:
        row = stores.get(store.code)
        if row is None:
            session.add(SupplyStoreRow(office_id=office.id, code=store.code, name=store.name, location=store.location,
                                       keeper=store.keeper, phone=store.phone, active=True, created_at=now))
        else:
            row.name, row.location, row.keeper, row.phone = store.name, store.location, store.keeper, store.phone
    items = {i.code: i for i in session.scalars(select(SupplyItemRow).where(SupplyItemRow.office_id == office.id))}
    for item in catalogue.items:
        item_row = items.get(item.code)
        if item_row is None:
            session.add(SupplyItemRow(office_id=office.id, code=item.code, name=item.name, unit=item.unit,
                                      category=item.category, spec=item.spec, created_at=now))
            continue
        if item_row.unit != item.unit:
            held = session.scalar(select(func.count()).select_from(SupplyBatchRow).where(
                SupplyBatchRow.item_id == item_row.id, SupplyBatchRow.quantity != 0))
            if held:
                raise RulesError(where, f"items[{item.code}].unit",
                                 f"{item.unit!r}, but stock of this item is kept in {item_row.unit!r}: a unit cannot "
                                 "change while stock is held (write it off and receive it again in the new unit)")
        item_row.name, item_row.unit, item_row.category, item_row.spec = item.name, item.unit, item.category, item.spec
    session.flush()


def load_registry(session: Session, office_id: int, catalogue: SuppliesCatalogue,
                  needs: Sequence[PlanNeed] = ()) -> Registry:
    """Return the office's stores (stored) and items (the catalogue's, the stored, and those only a plan names)."""
    stores = {s.code: s for s in session.scalars(
        select(SupplyStoreRow).where(SupplyStoreRow.office_id == office_id).order_by(SupplyStoreRow.code))}
    store_names: dict[str, str] = {}
    by_code = {s.code: s for s in catalogue.stores}
    for code in stores:
        spec = by_code.get(code)
        for name in (code, stores[code].name, *(spec.aliases if spec else ())):
            store_names.setdefault(normalise_heading(name), code)
    registry = Registry(stores, store_names, {}, {})
    rows = {i.code: i for i in session.scalars(select(SupplyItemRow).where(SupplyItemRow.office_id == office_id))}
    for item in catalogue.items:
        row = rows.get(item.code)
        registry.add_item(ItemInfo(item.code, item.name, item.unit, item.category, item.spec, item.aliases,
                                   row.id if row else None))
    for row in rows.values():
        if row.code not in registry.items:
            registry.add_item(ItemInfo(row.code, row.name, row.unit, row.category, row.spec, (), row.id))
    for need in needs:
        if need.item not in registry.items:
            registry.add_item(ItemInfo(need.item, need.name, need.unit, "other", ""))
    return registry


def stored_item(session: Session, office_id: int, info: ItemInfo, now: datetime) -> SupplyItemRow:
    """Return the stored row of an item, storing it first if it is known only from the catalogue or a plan."""
    row = session.scalar(select(SupplyItemRow).where(SupplyItemRow.office_id == office_id,
                                                     SupplyItemRow.code == info.code))
    if row is None:
        row = SupplyItemRow(office_id=office_id, code=info.code, name=info.name, unit=info.unit,
                            category=info.category, spec=info.spec, created_at=now)
        session.add(row)
        session.flush()
    return row


# --- movements -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MovementResult:
    """What one recorded movement did: from or into which batches, and the item's book stock in the store after."""

    kind: str
    item: str
    item_name: str
    unit: str
    store: str
    store_name: str
    quantity: Decimal
    batches: tuple[tuple[str, Decimal], ...]
    incident: str | None
    drill: bool
    store_stock: Decimal
    movement_ids: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON data (quantities as text)."""
        return {"kind": self.kind, "item": self.item, "item_name": self.item_name, "unit": self.unit,
                "store": self.store, "store_name": self.store_name, "quantity": format_quantity(self.quantity),
                "batches": [{"batch": b, "quantity": format_quantity(q)} for b, q in self.batches],
                "incident": self.incident, "drill": self.drill, "store_stock": format_quantity(self.store_stock),
                "movements": list(self.movement_ids)}


def check_by(by: str, record: str) -> str:
    """Return who recorded something, spaces tidied; refuse an empty or too long name."""
    text = re.sub(r"\s+", " ", by).strip()
    if not text or len(text) > BY_MAX:
        raise InputError(record, "by", f"must name who, in 1 to {BY_MAX} characters")
    return text


def _history(session: Session, batch_ids: Iterable[int]) -> dict[int, list[tuple[datetime, Decimal]]]:
    """Return each batch's real (not drill) signed movements with their times."""
    ids = list(batch_ids)
    history: dict[int, list[tuple[datetime, Decimal]]] = {i: [] for i in ids}
    if ids:
        for batch_id, at, quantity in session.execute(
                select(SupplyMovementRow.batch_id, SupplyMovementRow.at, SupplyMovementRow.quantity)
                .where(SupplyMovementRow.batch_id.in_(ids), SupplyMovementRow.drill.is_(False))).tuples():
            if batch_id is not None:
                history[batch_id].append((at, quantity))
    return history


def _batches(session: Session, store_id: int, item_id: int) -> list[SupplyBatchRow]:
    # Locked on PostgreSQL until the unit of work ends: two people issuing the last 100 bags at once get one each.
    return list(session.scalars(select(SupplyBatchRow).where(SupplyBatchRow.store_id == store_id,
                                                             SupplyBatchRow.item_id == item_id)
                                .order_by(SupplyBatchRow.id).with_for_update()))


def record_movement(session: Session, *, office: Office, catalogue: SuppliesCatalogue, kind: SupplyMovementKind,
                    item: str, store: str, quantity: Decimal, by: str, at: datetime, now: datetime,
                    batch: str | None = None, incident: str | None = None, expires_on: date | None = None,
                    supplier: str = "", note: str = "", needs: Sequence[PlanNeed] = (), key: str | None = None,
                    support_request_id: int | None = None) -> MovementResult:
    """Record a movement of stock (in, out, issued to an incident, returned, written off), refusing it if it would
    take any batch below zero; an outgoing movement without a batch takes the batch expiring first (FEFO).

    A movement of a drill incident is recorded (marked drill) but leaves real stock as it is. *key* makes the call
    idempotent: a movement with that key already stored is returned, nothing new is recorded.
    """
    if kind is SupplyMovementKind.STOCKTAKE_ADJUST:
        raise InputError("command line", "kind", "a stocktake adjustment is recorded by `supplies stocktake`")
    word = next(w for w, k in KIND_WORDS.items() if k is kind)  # the command line's word: issue, write-off …
    record = f"{word} of {item} at {store}"
    by = check_by(by, record)
    try:
        quantity = check_quantity(quantity)
    except ValueError as exc:
        raise InputError(record, "quantity", str(exc)) from None
    check_not_future(record, "at", at, now)
    if len(note) > 2000:
        raise InputError(record, "note", "longer than 2000 characters")
    if batch is not None and (not batch.strip() or len(batch.strip()) > BATCH_MAX):
        raise InputError(record, "batch", f"must have 1 to {BATCH_MAX} characters")
    sync_catalogue(session, office=office, catalogue=catalogue, now=now)
    registry = load_registry(session, office.id, catalogue, needs)
    info = registry.item(item)
    if info is None:
        raise InputError(record, "item", f"{item!r} is not an item of plans/supplies.yaml, the plans or the stock")
    store_row = registry.store(store)
    if store_row is None:
        raise InputError(record, "store", f"{store!r} is not a store ({registry.store_list()})")
    record = f"{word} of {info.code} ({info.name}) at {store_row.code}"
    if key is not None:
        done = session.scalars(select(SupplyMovementRow).where(
            (SupplyMovementRow.key == key) | SupplyMovementRow.key.startswith(f"{key}#")).order_by(SupplyMovementRow.id)).all()
        if done:
            return _result(session, kind, info, store_row, done, incident)
    incident_row = _incident_for(session, office, kind, incident, record)
    drill = bool(incident_row.drill) if incident_row is not None else False
    item_row = stored_item(session, office.id, info, now)
    rows = _batches(session, store_row.id, item_row.id)
    unit = info.unit
    if kind is SupplyMovementKind.IN:
        targets = [(_receiving_batch(session, rows, store_row, item_row, batch, expires_on, supplier, at, now, record),
                    quantity)]
    elif kind is SupplyMovementKind.RETURNED:
        targets = _return_targets(session, rows, incident_row, batch, quantity, unit, record)
    else:
        targets = _outgoing_targets(session, rows, kind, batch, quantity, unit, at, record)
    moved: list[SupplyMovementRow] = []
    for index, (target, amount) in enumerate(targets):
        signed = amount if kind in (SupplyMovementKind.IN, SupplyMovementKind.RETURNED) else -amount
        if not drill:
            target.quantity += signed
            target.updated_at = now
        movement = SupplyMovementRow(
            key=None if key is None else (key if len(targets) == 1 else f"{key}#{index + 1}"),
            store_id=store_row.id, item_id=item_row.id, batch_id=target.id, kind=kind.value, quantity=signed, at=at,
            by=by, incident_id=incident_row.id if incident_row else None, support_request_id=support_request_id,
            drill=drill, note=note, created_at=now)
        session.add(movement)
        moved.append(movement)
    session.flush()
    return _result(session, kind, info, store_row, moved, incident_row.ref if incident_row else None)


def _result(session: Session, kind: SupplyMovementKind, info: ItemInfo, store: SupplyStoreRow,
            moved: Sequence[SupplyMovementRow], incident: str | None) -> MovementResult:
    numbers = dict(session.execute(select(SupplyBatchRow.id, SupplyBatchRow.batch_no).where(
        SupplyBatchRow.id.in_([m.batch_id for m in moved if m.batch_id is not None]))).tuples().all())
    stock = session.scalar(select(func.coalesce(func.sum(SupplyBatchRow.quantity), 0)).join(
        SupplyItemRow, SupplyItemRow.id == SupplyBatchRow.item_id).where(
        SupplyBatchRow.store_id == store.id, SupplyItemRow.code == info.code))
    return MovementResult(kind=kind.value, item=info.code, item_name=info.name, unit=info.unit, store=store.code,
                          store_name=store.name, quantity=sum((abs(m.quantity) for m in moved), ZERO),
                          batches=tuple((batch_label(numbers.get(m.batch_id or 0, "")), abs(m.quantity))
                                        for m in moved),
                          incident=incident, drill=any(m.drill for m in moved), store_stock=Decimal(stock or 0),
                          movement_ids=tuple(m.id for m in moved))


def _incident_for(session: Session, office: Office, kind: SupplyMovementKind, incident: str | None,
                  record: str) -> IncidentRow | None:
    if kind is SupplyMovementKind.ISSUED and incident is None:
        raise InputError(record, "incident", "an issue (调拨使用) names the incident the supplies go to")
    if incident is not None and kind not in (SupplyMovementKind.ISSUED, SupplyMovementKind.RETURNED):
        raise InputError(record, "incident", "only an issue or a return names an incident")
    if incident is None:
        return None
    try:
        return find_incident(session, office=office, ident=incident)
    except NotFoundError as exc:
        raise InputError(record, "incident", str(exc)) from None


def _receiving_batch(session: Session, rows: list[SupplyBatchRow], store: SupplyStoreRow, item: SupplyItemRow,
                     batch: str | None, expires_on: date | None, supplier: str, at: datetime, now: datetime,
                     record: str) -> SupplyBatchRow:
    batch_no = batch.strip() if batch else default_batch_no(expires_on)
    found = next((r for r in rows if r.batch_no == batch_no), None)
    if found is not None:
        if expires_on is not None and found.expires_on != expires_on:
            raise InputError(record, "expires_on", f"batch {batch_label(batch_no)} is stored with "
                                                   f"{expiry_text(found.expires_on)}")
        return found
    if len(supplier) > SUPPLIER_MAX:
        raise InputError(record, "supplier", f"longer than {SUPPLIER_MAX} characters")
    row = SupplyBatchRow(store_id=store.id, item_id=item.id, batch_no=batch_no, quantity=ZERO, expires_on=expires_on,
                         received_on=to_local(at).date(), supplier=supplier, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    rows.append(row)
    return row


def _levels(session: Session, rows: Sequence[SupplyBatchRow], at: datetime) -> dict[int, BatchLevel]:
    history = _history(session, (r.id for r in rows))
    return {r.id: BatchLevel(r.id, r.batch_no, available_from(history[r.id], at), r.expires_on, r.received_on)
            for r in rows}


def _outgoing_targets(session: Session, rows: list[SupplyBatchRow], kind: SupplyMovementKind, batch: str | None,
                      quantity: Decimal, unit: str, at: datetime,
                      record: str) -> list[tuple[SupplyBatchRow, Decimal]]:
    day = to_local(at).date()
    levels = _levels(session, rows, at)
    by_id = {r.id: r for r in rows}
    if batch is not None:
        row = find_batch(rows, batch)
        if row is None:
            known = "、".join(batch_label(r.batch_no) for r in rows if r.quantity > 0) or "none in stock"
            raise InputError(record, "batch", f"no batch {batch.strip()!r} in this store (batches: {known})")
        if kind is SupplyMovementKind.ISSUED and is_expired(row.expires_on, day):
            raise InputError(record, "batch", f"batch {batch_label(row.batch_no)} expired on "
                                              f"{row.expires_on}: expired stock is written off, never issued")
        available = levels[row.id].quantity
        if available < quantity:
            raise InputError(record, "quantity", f"{format_quantity(quantity)} {unit} asked but batch "
                                                 f"{batch_label(row.batch_no)} holds only {format_quantity(available)} "
                                                 f"{unit}")
        return [(row, quantity)]
    try:
        takes: tuple[Take, ...] = choose_batches(list(levels.values()), quantity, on=day,
                                                 include_expired=kind is SupplyMovementKind.WRITTEN_OFF)
    except ShortStock as short:
        expired = (f" ({format_quantity(short.expired)} {unit} more are expired: write them off)"
                   if short.expired > 0 else "")
        raise InputError(record, "quantity", f"{format_quantity(quantity)} {unit} asked but only "
                                             f"{format_quantity(short.available)} {unit} in stock{expired}") from None
    return [(by_id[t.batch_id], t.quantity) for t in takes]


def _return_targets(session: Session, rows: list[SupplyBatchRow], incident: IncidentRow | None, batch: str | None,
                    quantity: Decimal, unit: str, record: str) -> list[tuple[SupplyBatchRow, Decimal]]:
    if incident is None:
        if batch is not None:
            row = find_batch(rows, batch)
            if row is None:
                raise InputError(record, "batch", f"no batch {batch.strip()!r} of this item in this store")
            return [(row, quantity)]
        if len(rows) == 1:
            return [(rows[0], quantity)]
        if not rows:
            raise InputError(record, "item", "none of it was ever kept in this store: record a receipt (--kind in)")
        raise InputError(record, "batch", f"the item has {len(rows)} batches in this store: name the batch, or the "
                                          "incident the supplies come back from")
    # What comes back from an incident goes back to the batches it was issued from, never more than was issued.
    out = dict(session.execute(
        select(SupplyMovementRow.batch_id, func.sum(SupplyMovementRow.quantity))
        .where(SupplyMovementRow.incident_id == incident.id,
               SupplyMovementRow.batch_id.in_([r.id for r in rows]),
               SupplyMovementRow.kind.in_([SupplyMovementKind.ISSUED.value, SupplyMovementKind.RETURNED.value]))
        .group_by(SupplyMovementRow.batch_id)).tuples().all())
    open_rows = [(r, -Decimal(out[r.id])) for r in rows if out.get(r.id) is not None and -Decimal(out[r.id]) > 0]
    if batch is not None:
        named = find_batch([r for r, _ in open_rows], batch)
        open_rows = [(r, q) for r, q in open_rows if named is not None and r.id == named.id]
    total = sum((q for _, q in open_rows), ZERO)
    if total < quantity:
        raise InputError(record, "quantity", f"{format_quantity(quantity)} {unit} returned but only "
                                             f"{format_quantity(total)} {unit} were issued to incident {incident.ref} "
                                             "from this store and not yet returned")
    order = {b.batch_id: n for n, b in enumerate(fefo_order(
        BatchLevel(r.id, r.batch_no, q, r.expires_on, r.received_on) for r, q in open_rows))}
    targets: list[tuple[SupplyBatchRow, Decimal]] = []
    left = quantity
    for row, open_quantity in sorted(open_rows, key=lambda pair: order[pair[0].id]):
        if left == 0:
            break
        amount = min(open_quantity, left)
        targets.append((row, amount))
        left -= amount
    return targets


# --- stocktakes -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Count:
    """One line of a stocktake: what was counted of an item (in one batch, or the item's only batch)."""

    item: str
    counted: Decimal
    batch: str | None = None
    expires_on: date | None = None
    row: int | None = None


@dataclass(frozen=True, slots=True)
class StocktakeResult:
    """One stocktake of one store: its lines (book, counted, difference) and the adjustments recorded."""

    stocktake_id: int
    store: str
    store_name: str
    lines: tuple[dict[str, str], ...]
    adjustments: int

    def as_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON data."""
        return {"stocktake": self.stocktake_id, "store": self.store, "store_name": self.store_name,
                "lines": list(self.lines), "adjustments": self.adjustments}


def record_stocktake(session: Session, *, office: Office, catalogue: SuppliesCatalogue, store: str,
                     counts: Sequence[Count], by: str, at: datetime, now: datetime, note: str = "",
                     needs: Sequence[PlanNeed] = (), source: str = "command line") -> StocktakeResult:
    """Record a stocktake (盘点) of one store: each count against the book, and an adjustment movement wherever they
    differ, so that the book equals the count. Items and batches not counted are left as they are.
    """
    record = f"stocktake of {store}"
    by = check_by(by, record)
    check_not_future(record, "at", at, now)
    if not counts:
        raise InputError(record, None, "nothing counted")
    sync_catalogue(session, office=office, catalogue=catalogue, now=now)
    registry = load_registry(session, office.id, catalogue, needs)
    store_row = registry.store(store)
    if store_row is None:
        raise InputError(record, "store", f"{store!r} is not a store ({registry.store_list()})")
    planned, problems = _plan_counts(session, registry, store_row, counts, at, now)
    if problems:
        raise SuppliesFileError(source, problems, skippable=False)
    stocktake = StocktakeRow(store_id=store_row.id, at=at, by=by, lines=[], note=note, created_at=now)
    session.add(stocktake)
    session.flush()
    lines: list[dict[str, str]] = []
    adjustments = 0
    for info, item_row, batch_row, counted in planned:
        if batch_row.id is None:
            session.add(batch_row)
            session.flush()
        book = batch_row.quantity
        difference = stocktake_difference(book, counted)
        if difference != 0:
            session.add(SupplyMovementRow(store_id=store_row.id, item_id=item_row.id, batch_id=batch_row.id,
                                          kind=SupplyMovementKind.STOCKTAKE_ADJUST.value, quantity=difference, at=at,
                                          by=by, stocktake_id=stocktake.id, drill=False, note=note, created_at=now))
            batch_row.quantity = counted
            batch_row.updated_at = now
            adjustments += 1
        lines.append({"item": info.code, "name": info.name, "unit": info.unit, "batch": batch_label(batch_row.batch_no),
                      "book": format_quantity(book), "counted": format_quantity(counted),
                      "difference": format_quantity(difference)})
    stocktake.lines = lines
    session.flush()
    return StocktakeResult(stocktake.id, store_row.code, store_row.name, tuple(lines), adjustments)


def _plan_counts(session: Session, registry: Registry, store: SupplyStoreRow, counts: Sequence[Count], at: datetime,
                 now: datetime) -> tuple[list[tuple[ItemInfo, SupplyItemRow, SupplyBatchRow, Decimal]], list[RowProblem]]:
    problems: list[RowProblem] = []
    planned: list[tuple[ItemInfo, SupplyItemRow, SupplyBatchRow, Decimal]] = []
    seen: dict[tuple[str, str], int | None] = {}
    latest = {batch_id: at for batch_id, at in session.execute(
        select(SupplyMovementRow.batch_id, func.max(SupplyMovementRow.at))
        .where(SupplyMovementRow.store_id == store.id, SupplyMovementRow.drill.is_(False))
        .group_by(SupplyMovementRow.batch_id)).tuples() if batch_id is not None}

    def problem(count: Count, name: str | None, why: str) -> None:
        problems.append(RowProblem(count.row, name, why))

    for count in counts:
        info = registry.item(count.item)
        if info is None:
            problem(count, "item", f"{count.item!r} is not an item of plans/supplies.yaml, the plans or the stock")
            continue
        if count.counted < 0 or count.counted != count.counted.quantize(Decimal("0.001")):
            problem(count, "counted", f"{count.counted} is not a count")
            continue
        item_row = stored_item(session, store.office_id, info, now)
        rows = list(session.scalars(select(SupplyBatchRow).where(SupplyBatchRow.store_id == store.id,
                                                                 SupplyBatchRow.item_id == item_row.id)
                                    .order_by(SupplyBatchRow.id).with_for_update()))
        target: SupplyBatchRow | None
        if count.batch is not None:
            wanted = count.batch.strip()
            target = find_batch(rows, wanted)
            if target is not None and count.expires_on is not None and target.expires_on != count.expires_on:
                problem(count, "expires_on", f"batch {wanted} of {info.code} is stored with "
                                             f"{expiry_text(target.expires_on)}")
                continue
            if target is None and len(wanted) > BATCH_MAX:
                problem(count, "batch", f"longer than {BATCH_MAX} characters")
                continue
            no_number = wanted == SUPPLY_NO_BATCH
            batch_no = target.batch_no if target else default_batch_no(count.expires_on) if no_number else wanted
        else:
            held = [r for r in rows if r.quantity != 0]
            if len(held) > 1:
                problem(count, "batch", f"{info.code} ({info.name}) has {len(held)} batches in {store.code} "
                                        f"({'、'.join(batch_label(r.batch_no) for r in held)}): count each batch")
                continue
            batch_no = held[0].batch_no if held else default_batch_no(count.expires_on)
            target = held[0] if held else next((r for r in rows if r.batch_no == batch_no), None)
        if (info.code, batch_no) in seen:
            where = seen[(info.code, batch_no)]
            problem(count, "batch", f"{info.code} batch {batch_label(batch_no)} is counted twice"
                                    + (f" (first in row {where})" if where is not None else ""))
            continue
        seen[(info.code, batch_no)] = count.row
        if target is not None and target.id in latest and latest[target.id] > at:
            problem(count, None, f"{info.code} batch {batch_label(batch_no)} moved at "
                                 f"{to_local(latest[target.id]):%Y-%m-%d %H:%M}, after the count: a stocktake counts "
                                 "the book as it stands")
            continue
        if target is None:
            if count.counted == 0:
                continue  # nothing on the book and nothing found: no line to record
            target = SupplyBatchRow(store_id=store.id, item_id=item_row.id, batch_no=batch_no, quantity=ZERO,
                                    expires_on=count.expires_on, received_on=to_local(at).date(), supplier="",
                                    created_at=now, updated_at=now)
        planned.append((info, item_row, target, count.counted))
    return planned, problems


# --- stock ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchInfo:
    """A batch as people read it: where, what, how much, and its dates."""

    store: str
    store_name: str
    item: str
    item_name: str
    unit: str
    category: str
    batch: str
    quantity: Decimal
    expires_on: date | None
    received_on: date
    state: ExpiryState
    days_left: int | None

    def as_dict(self) -> dict[str, Any]:
        """Return the batch as plain JSON data."""
        return {"store": self.store, "store_name": self.store_name, "item": self.item, "item_name": self.item_name,
                "unit": self.unit, "category": self.category, "batch": self.batch,
                "quantity": format_quantity(self.quantity),
                "expires_on": self.expires_on.isoformat() if self.expires_on else None,
                "received_on": self.received_on.isoformat(), "state": self.state.value, "days_left": self.days_left}


def stock_levels(session: Session, *, office_id: int, as_of: datetime, window_days: int, store: str | None = None,
                 include_empty: bool = False) -> list[BatchInfo]:
    """Return the office's batches as they stood at *as_of* (sum of real movements up to then), by store and item."""
    day = to_local(as_of).date()
    sums = (select(SupplyMovementRow.batch_id.label("batch_id"), func.sum(SupplyMovementRow.quantity).label("level"))
            .where(SupplyMovementRow.drill.is_(False), SupplyMovementRow.at <= as_of)
            .group_by(SupplyMovementRow.batch_id).subquery())
    query = (select(SupplyStoreRow, SupplyItemRow, SupplyBatchRow, sums.c.level)
             .join(SupplyBatchRow, SupplyBatchRow.store_id == SupplyStoreRow.id)
             .join(SupplyItemRow, SupplyItemRow.id == SupplyBatchRow.item_id)
             .outerjoin(sums, sums.c.batch_id == SupplyBatchRow.id)
             .where(SupplyStoreRow.office_id == office_id)
             .order_by(SupplyStoreRow.code, SupplyItemRow.category, SupplyItemRow.code, SupplyBatchRow.expires_on,
                       SupplyBatchRow.batch_no))
    if store is not None:
        query = query.where((SupplyStoreRow.code == store) | (SupplyStoreRow.name == store))
    found: list[BatchInfo] = []
    for s, i, b, level in session.execute(query).tuples():
        quantity = Decimal(level or 0)
        if quantity == 0 and not include_empty:
            continue
        state = expiry_state(b.expires_on, day, window_days)
        found.append(BatchInfo(store=s.code, store_name=s.name, item=i.code, item_name=i.name, unit=i.unit,
                               category=i.category, batch=batch_label(b.batch_no), quantity=quantity,
                               expires_on=b.expires_on, received_on=b.received_on, state=state,
                               days_left=(b.expires_on - day).days if b.expires_on else None))
    return found


# --- what the plans in force need ------------------------------------------------------------------------------------


def plan_needs(session: Session, *, office_id: int, as_of: datetime, plans_dir: Path | None = None
               ) -> tuple[PlanNeed, ...]:
    """Return what each plan in force at *as_of* needs on hand: the approved version in force, else the plan file."""
    # plan_versions: effective from its local date until superseded_at (emergency plan approve, issue 8 step 2).
    day = to_local(as_of).date()
    versions = session.scalars(select(PlanVersionRow).where(
        PlanVersionRow.office_id == office_id, PlanVersionRow.effective_from <= day,
        (PlanVersionRow.superseded_at.is_(None)) | (PlanVersionRow.superseded_at > as_of))
        .order_by(PlanVersionRow.slug, PlanVersionRow.effective_from.desc(), PlanVersionRow.id.desc())).all()
    in_force: dict[str, PlanVersionRow] = {}
    for version in versions:
        in_force.setdefault(version.slug, version)
    needs: list[PlanNeed] = []
    for slug, version in sorted(in_force.items()):
        needs += plan_needs_from({"id": slug, "name_zh": version.name, **version.content, "version": version.version},
                                 where=f"plan_versions #{version.id} ({slug} {version.version})", approved=True)
    folder = (plans_dir or DEFAULT_PLANS_DIR) / "emergency"
    for path in sorted(folder.glob("*.yaml")):
        data = read_yaml(path)
        if str(data.get("id")) not in in_force:
            needs += plan_needs_from(data, where=str(path), approved=False)
    return tuple(needs)


# --- the check: shortfalls and expiry ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemStatus:
    """One item across the office's stores: usable stock, expired stock, its minimum with sources, and the gap."""

    item: str
    name: str
    unit: str
    category: str
    on_hand: Decimal
    expired: Decimal
    minimum: Decimal | None
    minimum_set_by: tuple[str, ...]
    minimum_sources: tuple[str, ...]
    shortfall: Decimal

    def as_dict(self) -> dict[str, Any]:
        """Return the item as plain JSON data (quantities as text)."""
        return {"item": self.item, "name": self.name, "unit": self.unit, "category": self.category,
                "on_hand": format_quantity(self.on_hand), "expired": format_quantity(self.expired),
                "minimum": format_quantity(self.minimum) if self.minimum is not None else None,
                "minimum_set_by": list(self.minimum_set_by), "minimum_sources": list(self.minimum_sources),
                "shortfall": format_quantity(self.shortfall)}


@dataclass(frozen=True, slots=True)
class StoreShortfall:
    """An item below the minimum every store must hold on the spot (store_minimum)."""

    store: str
    store_name: str
    item: str
    name: str
    unit: str
    on_hand: Decimal
    minimum: Decimal
    source: str

    def as_dict(self) -> dict[str, Any]:
        """Return the shortfall as plain JSON data."""
        return {"store": self.store, "store_name": self.store_name, "item": self.item, "name": self.name,
                "unit": self.unit, "on_hand": format_quantity(self.on_hand), "minimum": format_quantity(self.minimum),
                "shortfall": format_quantity(self.minimum - self.on_hand), "source": self.source}


@dataclass(frozen=True, slots=True)
class SuppliesStatus:
    """The office's supplies at one moment: what is short, what expires soon, what has expired, and why."""

    as_of: datetime
    day: date
    near_expiry_days: int
    near_expiry_source: str
    items: tuple[ItemStatus, ...]
    store_shortfalls: tuple[StoreShortfall, ...]
    near_expiry: tuple[BatchInfo, ...]
    expired: tuple[BatchInfo, ...]
    plans: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def shortfalls(self) -> tuple[ItemStatus, ...]:
        """Return the items below their office-wide minimum."""
        return tuple(i for i in self.items if i.shortfall > 0)

    @property
    def flagged(self) -> bool:
        """Return whether anything needs attention (a shortfall, a batch near or past its expiry)."""
        return bool(self.shortfalls or self.store_shortfalls or self.near_expiry or self.expired)

    def as_dict(self) -> dict[str, Any]:
        """Return the status as plain JSON data: what the weekly flow returns and the readiness report reads."""
        return {"as_of": self.as_of.isoformat(), "day": self.day.isoformat(),
                "near_expiry_days": self.near_expiry_days, "near_expiry_source": self.near_expiry_source,
                "items": [i.as_dict() for i in self.items], "shortfalls": [i.as_dict() for i in self.shortfalls],
                "store_shortfalls": [s.as_dict() for s in self.store_shortfalls],
                "near_expiry": [b.as_dict() for b in self.near_expiry],
                "expired": [b.as_dict() for b in self.expired], "plans": list(self.plans),
                "problems": list(self.problems),
                "counts": {"items": len(self.items), "shortfalls": len(self.shortfalls),
                           "store_shortfalls": len(self.store_shortfalls), "near_expiry": len(self.near_expiry),
                           "expired": len(self.expired)}}


def _plan_source(need: PlanNeed, *, full: bool = True) -> str:
    """Return a plan as the source of a minimum; in full, saying when it is a file not yet approved."""
    template = SUPPLY_MINIMUM_SOURCES["plan_file" if full and not need.approved else "plan"]
    return template.format(plan=need.plan_name or need.plan, version=need.version)


def supplies_status(session: Session, *, office_id: int, as_of: datetime, plans_dir: Path | None = None,
                    catalogue: SuppliesCatalogue | None = None,
                    needs: Sequence[PlanNeed] | None = None) -> SuppliesStatus:
    """Return the office's supplies at *as_of*: each item's usable stock against its minimum (the largest of the plans
    in force, the catalogue and the office's own figure), store minimums, and batches near or past their expiry.

    Plain data for the weekly check and the readiness report (应急准备情况报告); reads, never writes.
    """
    catalogue = catalogue or load_supplies_catalogue(plans_dir)
    if needs is None:
        needs = plan_needs(session, office_id=office_id, as_of=as_of, plans_dir=plans_dir)
    window = catalogue.near_expiry.days
    day = to_local(as_of).date()
    batches = stock_levels(session, office_id=office_id, as_of=as_of, window_days=window)
    registry = load_registry(session, office_id, catalogue, needs)
    problems: list[str] = []
    figures: dict[str, list[Figure]] = defaultdict(list)
    cited: dict[tuple[str, str], str] = {}
    for need in needs:
        info = registry.items[need.item]
        if normalise_heading(need.unit) != normalise_heading(info.unit):
            problems.append(f"{_plan_source(need)} needs {format_quantity(need.quantity)} {need.unit} of {need.item}, "
                            f"but the item is counted in {info.unit}: that need is not compared")
            continue
        label = _plan_source(need, full=False)
        figures[need.item].append(Figure(need.quantity, label))
        cited[(need.item, label)] = _plan_source(need)
    for item in catalogue.items:
        if item.minimum is not None:
            label = SUPPLY_MINIMUM_SOURCES["catalogue"]
            figures[item.code].append(Figure(item.minimum.quantity, label))
            cited[(item.code, label)] = f"{label}：{item.minimum.source}"
    for row in session.scalars(select(SupplyItemRow).where(SupplyItemRow.office_id == office_id,
                                                           SupplyItemRow.min_stock.is_not(None))):
        if row.min_stock is not None and row.min_stock > 0:
            figures[row.code].append(Figure(row.min_stock, SUPPLY_MINIMUM_SOURCES["office"]))
    usable: dict[str, Decimal] = defaultdict(lambda: ZERO)
    expired: dict[str, Decimal] = defaultdict(lambda: ZERO)
    per_store: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for b in batches:
        if b.state is ExpiryState.EXPIRED:
            expired[b.item] += b.quantity
        else:
            usable[b.item] += b.quantity
            per_store[(b.store, b.item)] += b.quantity
    items: list[ItemStatus] = []
    for code in sorted(registry.items, key=lambda c: (registry.items[c].category, c)):
        info = registry.items[code]
        if code not in figures and usable[code] == 0 and expired[code] == 0 and catalogue.item(code) is None:
            continue
        minimum = minimum_of(figures.get(code, ()))
        items.append(ItemStatus(item=code, name=info.name, unit=info.unit, category=info.category,
                                on_hand=usable[code], expired=expired[code],
                                minimum=minimum.quantity if minimum else None,
                                minimum_set_by=minimum.set_by if minimum else (),
                                minimum_sources=tuple(cited.get((code, f.source), f.source) for f in minimum.figures
                                                      if f.quantity == minimum.quantity) if minimum else (),
                                shortfall=shortfall(usable[code], minimum.quantity if minimum else None)))
    store_shortfalls: list[StoreShortfall] = []
    for store in registry.stores.values():
        if not store.active:
            continue
        for item in catalogue.items:
            if item.store_minimum is None:
                continue
            held = per_store[(store.code, item.code)]
            if held < item.store_minimum.quantity:
                store_shortfalls.append(StoreShortfall(store.code, store.name, item.code, item.name, item.unit, held,
                                                       item.store_minimum.quantity, item.store_minimum.source))
    plans = tuple(dict.fromkeys(_plan_source(n) for n in needs))
    return SuppliesStatus(as_of=as_of, day=day, near_expiry_days=window, near_expiry_source=catalogue.near_expiry.source,
                          items=tuple(items), store_shortfalls=tuple(store_shortfalls),
                          near_expiry=tuple(sorted((b for b in batches if b.state is ExpiryState.NEAR),
                                                   key=lambda b: (b.expires_on or day, b.store, b.item))),
                          expired=tuple(sorted((b for b in batches if b.state is ExpiryState.EXPIRED),
                                               key=lambda b: (b.expires_on or day, b.store, b.item))),
                          plans=plans, problems=tuple(problems))


# --- the weekly notice ------------------------------------------------------------------------------------------------


def notice_text(status: SuppliesStatus, *, office_name: str) -> tuple[str, str]:
    """Return the weekly notice's subject and text: shortfalls, store shortfalls, near-expiry and expired batches."""
    title = SUPPLIES_NOTICE_TITLE.format(office=office_name, day=status.day.isoformat(),
                                         short=len(status.shortfalls) + len(status.store_shortfalls),
                                         near=len(status.near_expiry), expired=len(status.expired))
    lines = [title]

    def section(heading: str, entries: Sequence[str]) -> None:
        if not entries:
            return
        lines.append(heading)
        lines.extend(f"{n}. {text}" for n, text in enumerate(entries[:NOTICE_LINES], start=1))
        if len(entries) > NOTICE_LINES:
            lines.append(SUPPLIES_NOTICE_MORE.format(more=len(entries) - NOTICE_LINES))

    q = format_quantity
    section(SUPPLIES_NOTICE_SHORT, [
        *(SUPPLIES_NOTICE_SHORT_LINE.format(name=i.name, on_hand=q(i.on_hand), unit=i.unit,
                                            minimum=q(i.minimum or ZERO), shortfall=q(i.shortfall),
                                            sources="、".join(i.minimum_set_by)) for i in status.shortfalls),
        *(SUPPLIES_NOTICE_STORE_LINE.format(store=s.store_name, name=s.name, on_hand=q(s.on_hand), unit=s.unit,
                                            minimum=q(s.minimum)) for s in status.store_shortfalls)])
    section(SUPPLIES_NOTICE_NEAR.format(days=status.near_expiry_days), [
        SUPPLIES_NOTICE_NEAR_LINE.format(store=b.store_name, name=b.item_name, batch=b.batch, quantity=q(b.quantity),
                                         unit=b.unit, expires=b.expires_on, days=b.days_left)
        for b in status.near_expiry])
    section(SUPPLIES_NOTICE_EXPIRED, [
        SUPPLIES_NOTICE_EXPIRED_LINE.format(store=b.store_name, name=b.item_name, batch=b.batch,
                                            quantity=q(b.quantity), unit=b.unit, expires=b.expires_on)
        for b in status.expired])
    return title, "\n".join(lines)


def week_of(day: date) -> str:
    """Return the ISO week of a local day, e.g. 2026-W48: one supplies notice per office and week."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def check_supplies(session: Session, *, office: Office, as_of: datetime, channels: Sequence[str],
                   plans_dir: Path | None = None, catalogue: SuppliesCatalogue | None = None) -> dict[str, Any]:
    """Check the supplies at *as_of* and queue one notice per channel for the week when anything is flagged.

    The key names the office, the ISO week and the channel: a re-run or a retried task in the same week queues
    nothing new, whatever it finds. Returns the status as plain data, with the outbox ids queued.
    """
    catalogue = catalogue or load_supplies_catalogue(plans_dir)
    sync_catalogue(session, office=office, catalogue=catalogue, now=as_of, plans_dir=plans_dir)
    status = supplies_status(session, office_id=office.id, as_of=as_of, plans_dir=plans_dir, catalogue=catalogue)
    outbox: list[int] = []
    week = week_of(status.day)
    if status.flagged:
        subject, text = notice_text(status, office_name=office.name)
        for channel in channels:
            outbox.append(enqueue(session, key=f"supplies-notice-{office.id}-{week}-{channel}", topic="notice",
                                  channel=channel, subject=subject, attachment=None, now=as_of,
                                  body={"text": text, "week": week, "day": status.day.isoformat(),
                                        "counts": status.as_dict()["counts"]}))
    return {**status.as_dict(), "week": week, "outbox": outbox, "notices": len(outbox) // max(len(channels), 1)}


def movement_kind(word: str) -> SupplyMovementKind:
    """Return the kind of movement named on the command line (in, out, issue, return, write-off)."""
    kind = KIND_WORDS.get(word.strip().lower())
    if kind is None:
        raise InputError("command line", "kind", f"{word!r} is not one of in, out, issue, return, write-off")
    return kind

