"""The office's supplies spreadsheets: receipts (入库/库存台账) imported as movements into their batches, and stocktake
sheets (盘点表) read into counts. Every bad row is reported by row number and heading as written in the file; with a
bad row nothing is stored (receipts: unless skip_bad).

Read exactly as the duty roster and the hazard-source register are (CSV in UTF-8 or GBK, XLSX with merged cells and
title rows), with the headings of plans/supplies.yaml.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emergency.clock import to_local
from emergency.db.models import Office, SupplyBatchRow, SupplyItemRow, SupplyMovementRow, SupplyStoreRow
from emergency.domain.enums import SupplyMovementKind
from emergency.domain.supplies import (
    ZERO,
    check_quantity,
    end_of_month,
    expiry_from_shelf_life,
    format_quantity,
    parse_quantity,
)
from emergency.errors import InputError
from emergency.plans.roster import normalise_heading
from emergency.plans.supplies import (
    COLUMN_FIELDS,
    IMPORT_REQUIRED,
    STOCKTAKE_REQUIRED,
    PlanNeed,
    SuppliesCatalogue,
    parse_shelf_life,
)
from emergency.services.roster import Header, Row, RowProblem, _read_tables, _text, find_header, parse_roster_date
from emergency.services.supplies import (
    BATCH_MAX,
    CODE_MAX,
    NAME_MAX,
    SUPPLIER_MAX,
    UNIT_MAX,
    Count,
    ItemInfo,
    Registry,
    StocktakeResult,
    SuppliesFileError,
    batch_label,
    check_by,
    default_batch_no,
    expiry_text,
    load_registry,
    local_start,
    record_stocktake,
    stored_item,
    sync_catalogue,
)

HEADER_SEARCH_ROWS = 10
"""The heading row is looked for in the first rows, below any title rows (正阳街道应急物资储备台账（2026年11月）)."""

_CODE = re.compile(r"^\S{1,64}$")
_MONTH_ONLY = re.compile(r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*月?$")


# --- cells ---------------------------------------------------------------------------------------------------------


def _limited(limit: int, *, required: bool) -> Callable[[object], str]:
    def parse(value: object) -> str:
        text = re.sub(r"\s+", " ", _text(value))
        if required and not text:
            raise ValueError("empty")
        if len(text) > limit:
            raise ValueError(f"longer than {limit} characters")
        return text

    return parse


def _day(value: object) -> date | None:
    """Parse a date cell (2026-03-01, 2026/3/1, 2026年3月1日, an Excel date); None when empty."""
    if _text(value) == "":
        return None
    try:
        return parse_roster_date(value)
    except ValueError as exc:
        raise ValueError(str(exc).replace("roster date", "date")) from None


def _expiry(value: object) -> date | None:
    """Parse 有效期至: a date, or a month (2027-06, 2027年6月) meaning its last day; None when empty."""
    match = _MONTH_ONLY.match(_text(value)) if isinstance(value, str) else None
    if match is not None:
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12 or not 2000 <= year <= 2099:
            raise ValueError(f"{_text(value)!r} is not a month of the calendar")
        # 标注到月的有效期至 runs to the end of that month (《药品说明书和标签管理规定》第二十三条).
        return end_of_month(year, month)
    return _day(value)


def _quantity_cell(value: object) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a quantity")
    if isinstance(value, int | float | Decimal):
        return check_quantity(Decimal(str(value)))
    return parse_quantity(_text(value))


def _count_cell(value: object) -> Decimal:
    text = _text(value)
    if text in ("0", "0.0", "0.000"):
        return ZERO
    return _quantity_cell(value)


def _spec_unit(text: str) -> tuple[str, str]:
    """Split 规格/单位 ('50kg/袋' → ('50kg', '袋'); '条' → ('', '条'))."""
    spec, sep, unit = text.replace("／", "/").rpartition("/")
    return (spec.strip(), unit.strip()) if sep else ("", text.strip())


# --- reading a supplies spreadsheet ---------------------------------------------------------------------------------


def _find_header(catalogue: SuppliesCatalogue, rows: list[Row], required: tuple[str, ...]) -> Header | None:
    header = find_header(rows, catalogue.columns.headings, COLUMN_FIELDS, required=required, min_found=3)
    if header is None or "code" in header.columns or "name" in header.columns:
        return header
    headings = catalogue.columns.headings
    missing = RowProblem(header.row, None, f"no column {headings('code')[0]} or {headings('name')[0]} (code or name)")
    return replace(header, problems=(*header.problems, missing))


def _table(catalogue: SuppliesCatalogue, path: Path, required: tuple[str, ...]) -> tuple[list[Row], Header]:
    tables = _read_tables(path)
    found = [(rows, header) for rows in tables if (header := _find_header(catalogue, rows, required)) is not None]
    if not found:
        wanted = ", ".join(catalogue.columns.headings(f)[0] for f in (*required, "code"))
        raise InputError(str(path), None, f"no heading row with the columns {wanted} in its first "
                                          f"{HEADER_SEARCH_ROWS} rows")
    rows, header = found[0]
    if header.problems:
        raise SuppliesFileError(str(path), header.problems, skippable=False)
    return rows, header


class _RowReader:
    """Reads the cells of one row by field, collecting a problem per bad cell (by heading as written)."""

    def __init__(self, header: Header, number: int, cells: list[object]) -> None:
        self.header, self.number, self.cells = header, number, cells
        self.problems: list[RowProblem] = []

    def raw(self, name: str) -> object:
        column = self.header.columns.get(name)
        return self.cells[column[0]] if column is not None and column[0] < len(self.cells) else None

    def heading(self, name: str) -> str:
        column = self.header.columns.get(name)
        return column[1] if column is not None else name

    def has(self, name: str) -> bool:
        return name in self.header.columns

    def get(self, name: str, parse: Callable[[object], Any]) -> Any:
        try:
            return parse(self.raw(name))
        except ValueError as exc:
            self.problems.append(RowProblem(self.number, self.heading(name), str(exc)))
            return None

    def problem(self, name: str | None, why: str) -> None:
        self.problems.append(RowProblem(self.number, self.heading(name) if name else None, why))


def _resolve_item(reader: _RowReader, registry: Registry) -> tuple[ItemInfo | None, str, str]:
    """Return the row's known item (or None for a new one), and the code and name it gives."""
    code = reader.get("code", _limited(CODE_MAX, required=False)) or ""
    name = reader.get("name", _limited(NAME_MAX, required=False)) or ""
    if code:
        known = registry.item_by_code(code)
        named = registry.item(name) if name else None
        if known is not None and named is not None and named.code != known.code:
            reader.problem("name", f"{name!r} is item {named.code} ({named.name}), not {known.code} ({known.name})")
        if known is None and not _CODE.match(code):
            reader.problem("code", f"{code!r} is not an item code")
        return known, code, name
    if not name:
        reader.problem("code" if reader.has("code") else "name", "empty: give the item's code or name")
        return None, "", ""
    known = registry.item(name)
    if known is None:
        reader.problem("name", f"{name!r} is not an item of plans/supplies.yaml or the stock: give its "
                               f"{reader.heading('code')} to add it as a new item")
    return known, known.code if known else "", name


def _resolve_store(reader: _RowReader, registry: Registry) -> SupplyStoreRow | None:
    text = reader.get("store", _limited(NAME_MAX, required=True))
    if not text:
        return None
    store = registry.store(text)
    if store is None:
        reader.problem("store", f"{text!r} is not a store of plans/supplies.yaml ({registry.store_list()})")
    return store


@dataclass(frozen=True, slots=True)
class _Receipt:
    """One valid row of a receipts spreadsheet."""

    row: int
    store: SupplyStoreRow
    item: ItemInfo
    new_item: bool
    quantity: Decimal
    batch_no: str
    expires_on: date | None
    produced_on: date | None
    received_on: date
    supplier: str

    @property
    def batch_key(self) -> tuple[str, str, str]:
        return self.store.code, self.item.code, self.batch_no


def _parse_receipt(reader: _RowReader, registry: Registry, catalogue: SuppliesCatalogue,
                   today: date) -> _Receipt | None:
    store = _resolve_store(reader, registry)
    known, code, name = _resolve_item(reader, registry)
    spec_unit = reader.get("spec_unit", _limited(NAME_MAX, required=False)) or ""
    spec_from, unit_from = _spec_unit(spec_unit) if spec_unit else ("", "")
    unit = reader.get("unit", _limited(NAME_MAX, required=False)) or unit_from
    unit_column = "unit" if reader.has("unit") or not reader.has("spec_unit") else "spec_unit"
    spec = reader.get("spec", _limited(1000, required=False)) or spec_from
    if known is not None and unit and normalise_heading(unit) != normalise_heading(known.unit):
        reader.problem(unit_column, f"{unit!r}, but {known.code} ({known.name}) is counted in {known.unit!r}")
    if known is None and code:
        if not name:
            reader.problem("name", f"empty: {code} is a new item and needs a name")
        if not unit:
            reader.problem(unit_column, f"empty: {code} is a new item and needs a unit")
        elif len(unit) > UNIT_MAX:
            reader.problem(unit_column, f"longer than {UNIT_MAX} characters")
    quantity = reader.get("quantity", _quantity_cell)
    batch = reader.get("batch", _limited(BATCH_MAX, required=False)) or ""
    produced = reader.get("produced_on", _day)
    shelf = reader.get("shelf_life", _limited(32, required=False)) or ""
    expires = reader.get("expires_on", _expiry)
    received = reader.get("received_on", _day) or today
    supplier = reader.get("supplier", _limited(SUPPLIER_MAX, required=False)) or ""
    if received > today:
        reader.problem("received_on", f"{received.isoformat()} is in the future (today {today.isoformat()})")
    if produced is not None and produced > received:
        reader.problem("produced_on", f"{produced.isoformat()} is after the receipt ({received.isoformat()})")
    if produced is not None and expires is not None and expires < produced:
        reader.problem("expires_on", f"{expires.isoformat()} is before the production date ({produced.isoformat()})")
    if expires is None and produced is not None:
        months_days: tuple[int, int] | None = None
        if shelf:
            try:
                months_days = parse_shelf_life(shelf)
            except ValueError as exc:
                reader.problem("shelf_life", str(exc))
        elif known is not None and (spec_item := catalogue.item(known.code)) is not None and spec_item.shelf_life:
            months_days = spec_item.shelf_life.months_days()
        if months_days is not None:
            expires = expiry_from_shelf_life(produced, months=months_days[0], days=months_days[1])
    elif shelf and produced is None and expires is None:
        reader.problem("produced_on", f"empty: {reader.heading('shelf_life')} {shelf} counts from the production date")
    if reader.problems or store is None or quantity is None:
        return None
    item = known or ItemInfo(code, name, unit, "other", spec)
    return _Receipt(row=reader.number, store=store, item=item, new_item=known is None, quantity=quantity,
                    batch_no=batch or default_batch_no(expires), expires_on=expires, produced_on=produced,
                    received_on=received, supplier=supplier)


def _receipt_key(store_id: int, item_id: int, receipt: _Receipt) -> str:
    """Return the idempotency key of a receipt: the same row imported again is recognised, not received twice."""
    return (f"supplies-import:{store_id}:{item_id}:{receipt.batch_no}:{receipt.received_on:%Y%m%d}:"
            f"{format_quantity(receipt.quantity)}")


@dataclass(frozen=True, slots=True)
class SuppliesImport:
    """What one import stored, and the rows it skipped (only with skip_bad)."""

    path: str
    rows: int
    received: int
    unchanged: int
    new_items: tuple[str, ...]
    new_batches: int
    skipped: tuple[RowProblem, ...]


def import_supplies(session: Session, *, office: Office, catalogue: SuppliesCatalogue, path: Path, by: str,
                    now: datetime, skip_bad: bool = False, needs: Sequence[PlanNeed] = (),
                    plans_dir: Path | None = None) -> SuppliesImport:
    """Check every row of a receipts spreadsheet (CSV or XLSX) and record each as a receipt (入库) into its batch.

    A row imported before (same store, item, batch, date and quantity) is recognised and not received again. With a
    bad row and without *skip_bad* nothing is stored.
    """
    by = check_by(by, str(path))
    sync_catalogue(session, office=office, catalogue=catalogue, now=now, plans_dir=plans_dir)
    registry = load_registry(session, office.id, catalogue, needs)
    rows, header = _table(catalogue, path, IMPORT_REQUIRED)
    today = to_local(now).date()
    receipts: list[_Receipt] = []
    problems: list[RowProblem] = []
    for number, cells in rows[header.index + 1:]:
        if all(_text(c) == "" for c in cells):
            continue
        reader = _RowReader(header, number, cells)
        receipt = _parse_receipt(reader, registry, catalogue, today)
        problems += reader.problems
        if receipt is not None:
            receipts.append(receipt)
    receipts, cross = _cross_check_receipts(session, receipts, header)
    problems += cross
    problems.sort(key=lambda p: p.row or 0)
    if problems and not skip_bad:
        raise SuppliesFileError(str(path), problems, skippable=True)
    if not receipts:
        if problems:
            raise SuppliesFileError(str(path), problems, skippable=True)
        raise InputError(str(path), None, f"has a heading row (row {header.row}) but no supplies below it")
    return _store_receipts(session, office=office, path=path, by=by, now=now, receipts=receipts,
                           skipped=tuple(problems))


def _cross_check_receipts(session: Session, receipts: list[_Receipt],
                          header: Header) -> tuple[list[_Receipt], list[RowProblem]]:
    """Return the receipts that agree with each other and the stock, and a problem for each that does not."""
    problems: list[RowProblem] = []
    kept: list[_Receipt] = []
    first_batch: dict[tuple[str, str, str], _Receipt] = {}
    first_row: dict[tuple[str, str, str, date, Decimal], int] = {}
    new_items: dict[str, _Receipt] = {}
    stored = {(store_code, item_code, batch_no): expires for store_code, item_code, batch_no, expires in session.execute(
        select(SupplyStoreRow.code, SupplyItemRow.code, SupplyBatchRow.batch_no, SupplyBatchRow.expires_on)
        .join(SupplyStoreRow, SupplyStoreRow.id == SupplyBatchRow.store_id)
        .join(SupplyItemRow, SupplyItemRow.id == SupplyBatchRow.item_id)
        .where(SupplyStoreRow.id.in_({r.store.id for r in receipts}))).tuples()} if receipts else {}
    expiry_heading = header.columns.get("expires_on", (0, "有效期至"))[1]
    for receipt in receipts:
        identity = (*receipt.batch_key, receipt.received_on, receipt.quantity)
        if identity in first_row:
            problems.append(RowProblem(receipt.row, None, f"duplicate of row {first_row[identity]} (same store, item, "
                                                          "batch, date and quantity)"))
            continue
        earlier = first_batch.get(receipt.batch_key)
        if earlier is not None and earlier.expires_on != receipt.expires_on:
            problems.append(RowProblem(receipt.row, expiry_heading, f"batch {batch_label(receipt.batch_no)} of "
                                       f"{receipt.item.code} is given in row {earlier.row} with "
                                       f"{expiry_text(earlier.expires_on)}, here {expiry_text(receipt.expires_on)}"))
            continue
        if receipt.batch_key in stored and stored[receipt.batch_key] != receipt.expires_on:
            problems.append(RowProblem(receipt.row, expiry_heading, f"batch {batch_label(receipt.batch_no)} of "
                                       f"{receipt.item.code} at {receipt.store.code} is stored with "
                                       f"{expiry_text(stored[receipt.batch_key])}, here "
                                       f"{expiry_text(receipt.expires_on)}"))
            continue
        if receipt.new_item:
            first = new_items.setdefault(receipt.item.code, receipt)
            if (first.item.name, first.item.unit) != (receipt.item.name, receipt.item.unit):
                problems.append(RowProblem(receipt.row, None, f"new item {receipt.item.code} is "
                                           f"{first.item.name}/{first.item.unit} in row {first.row}, here "
                                           f"{receipt.item.name}/{receipt.item.unit}"))
                continue
        first_row[identity] = receipt.row
        first_batch.setdefault(receipt.batch_key, receipt)
        kept.append(receipt)
    return kept, problems


def _store_receipts(session: Session, *, office: Office, path: Path, by: str, now: datetime,
                    receipts: Sequence[_Receipt], skipped: tuple[RowProblem, ...]) -> SuppliesImport:
    item_rows: dict[str, SupplyItemRow] = {}
    new_items: list[str] = []
    for receipt in receipts:
        if receipt.item.code not in item_rows:
            stored = session.scalar(select(SupplyItemRow).where(SupplyItemRow.office_id == office.id,
                                                                SupplyItemRow.code == receipt.item.code))
            if stored is None and receipt.new_item:
                new_items.append(receipt.item.code)
            item_rows[receipt.item.code] = stored or stored_item(session, office.id, receipt.item, now)
    batches = {(b.store_id, b.item_id, b.batch_no): b for b in session.scalars(
        select(SupplyBatchRow).where(SupplyBatchRow.store_id.in_({r.store.id for r in receipts})))}
    keys = {_receipt_key(r.store.id, item_rows[r.item.code].id, r) for r in receipts}
    seen = set(session.scalars(select(SupplyMovementRow.key).where(SupplyMovementRow.key.in_(keys))))
    received = unchanged = new_batches = 0
    for receipt in receipts:
        item = item_rows[receipt.item.code]
        key = _receipt_key(receipt.store.id, item.id, receipt)
        if key in seen:
            unchanged += 1
            continue
        batch = batches.get((receipt.store.id, item.id, receipt.batch_no))
        if batch is None:
            batch = SupplyBatchRow(store_id=receipt.store.id, item_id=item.id, batch_no=receipt.batch_no,
                                   quantity=ZERO, expires_on=receipt.expires_on, received_on=receipt.received_on,
                                   supplier=receipt.supplier, created_at=now, updated_at=now)
            session.add(batch)
            session.flush()
            batches[(receipt.store.id, item.id, receipt.batch_no)] = batch
            new_batches += 1
        batch.quantity += receipt.quantity
        batch.received_on = min(batch.received_on, receipt.received_on)
        batch.supplier = batch.supplier or receipt.supplier
        batch.updated_at = now
        note = f"{path.name} row {receipt.row}"
        if receipt.produced_on is not None:
            note += f"; produced {receipt.produced_on.isoformat()}"
        session.add(SupplyMovementRow(key=key, store_id=receipt.store.id, item_id=item.id, batch_id=batch.id,
                                      kind=SupplyMovementKind.IN.value, quantity=receipt.quantity,
                                      at=min(local_start(receipt.received_on), now), by=by, drill=False, note=note,
                                      created_at=now))
        seen.add(key)
        received += 1
    session.flush()
    return SuppliesImport(path=str(path), rows=len(receipts), received=received, unchanged=unchanged,
                          new_items=tuple(new_items), new_batches=new_batches, skipped=skipped)


def read_stocktake(session: Session, *, office: Office, catalogue: SuppliesCatalogue, path: Path,
                   needs: Sequence[PlanNeed] = ()) -> dict[str, list[Count]]:
    """Read a stocktake sheet (仓库, 物资编码/物资名称, 批号, 实盘数量, 有效期至): the counts of each store, by row."""
    registry = load_registry(session, office.id, catalogue, needs)
    rows, header = _table(catalogue, path, STOCKTAKE_REQUIRED)
    counts: dict[str, list[Count]] = defaultdict(list)
    problems: list[RowProblem] = []
    for number, cells in rows[header.index + 1:]:
        if all(_text(c) == "" for c in cells):
            continue
        reader = _RowReader(header, number, cells)
        store = _resolve_store(reader, registry)
        known, code, _name = _resolve_item(reader, registry)
        if known is None and code:
            reader.problem("code", f"{code!r} is not an item of plans/supplies.yaml or the stock")
        counted = reader.get("counted", _count_cell)
        batch = reader.get("batch", _limited(BATCH_MAX, required=False)) or None
        expires = reader.get("expires_on", _expiry)
        problems += reader.problems
        if not reader.problems and store is not None and known is not None and counted is not None:
            counts[store.code].append(Count(item=known.code, counted=counted, batch=batch, expires_on=expires,
                                            row=number))
    if problems:
        raise SuppliesFileError(str(path), problems, skippable=False)
    if not counts:
        raise InputError(str(path), None, f"has a heading row (row {header.row}) but no counts below it")
    return dict(counts)


def import_stocktake(session: Session, *, office: Office, catalogue: SuppliesCatalogue, path: Path, by: str,
                     at: datetime, now: datetime, note: str = "",
                     needs: Sequence[PlanNeed] = ()) -> list[StocktakeResult]:
    """Record a stocktake sheet: one stocktake per store it covers, all of them or (with any bad row) none."""
    sync_catalogue(session, office=office, catalogue=catalogue, now=now)
    counts = read_stocktake(session, office=office, catalogue=catalogue, path=path, needs=needs)
    return [record_stocktake(session, office=office, catalogue=catalogue, store=store, counts=lines, by=by, at=at,
                             now=now, note=note or path.name, needs=needs, source=str(path))
            for store, lines in sorted(counts.items())]
