"""`emergency supplies …`: emergency supplies (应急物资储备): import the office's spreadsheet, see the stock, record
movements and stocktakes, and check shortfalls and expiry against the plans in force."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from emergency.clock import CN_TZ, format_local
from emergency.config import load_settings
from emergency.errors import InputError

if TYPE_CHECKING:
    from emergency.services.supplies import SuppliesStatus

supplies_app = typer.Typer(help="Emergency supplies (应急物资储备): stores, stock, movements, stocktakes, checks.",
                           no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
ByOption = Annotated[str, typer.Option("--by", help="Who did it (经办人): recorded with every movement.")]
AtOption = Annotated[str | None, typer.Option("--at", help="When it happened, ISO 8601 with offset; default now.")]
AsOfOption = Annotated[str | None, typer.Option(
    "--as-of", help="As things stood then: a date (to its end, Asia/Shanghai) or a time with offset; default now.")]


def _time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    from emergency.timelines import parse_aware

    try:
        return parse_aware(value)
    except ValueError as exc:
        raise InputError("command line", option, str(exc)) from None


def _as_of(value: str | None, now: datetime) -> datetime:
    """Return --as-of: a bare date means the end of that day in Asia/Shanghai."""
    if value is None:
        return now
    try:
        day = date.fromisoformat(value)
    except ValueError:
        found = _time(value, "as-of")
        assert found is not None
        return found
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=CN_TZ) - timedelta(microseconds=1)


def _decimal(value: str, option: str) -> Any:
    from emergency.domain.supplies import parse_quantity

    try:
        return parse_quantity(value)
    except ValueError as exc:
        raise InputError("command line", option, str(exc)) from None


def _open() -> Any:
    from emergency.plans.supplies import load_supplies_catalogue
    from emergency.runtime import open_runtime

    runtime = open_runtime(load_settings())
    return runtime, load_supplies_catalogue(runtime.settings.plans_dir)


def _write_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@supplies_app.command("import")
def supplies_import(
    file: Annotated[Path, typer.Argument(help="The office's spreadsheet (.csv or .xlsx) with the columns 仓库, 物资编码 "
                                              "(or 物资名称), 规格/单位, 数量, and 批号, 生产日期, 有效期至, 入库日期.")],
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Store the good rows and list the bad ones, instead of "
                                                              "storing nothing when a row is bad.")] = False,
    by: Annotated[str | None, typer.Option("--by", help="Who imported it (default: the file's name).")] = None,
) -> None:
    """Check every row and record each as a receipt (入库) into its batch; a row imported before is not received twice."""
    from emergency.services.incidents import get_office
    from emergency.services.supplies import plan_needs
    from emergency.services.supply_sheets import import_supplies

    runtime, catalogue = _open()
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        needs = plan_needs(session, office_id=office.id, as_of=runtime.now, plans_dir=runtime.settings.plans_dir)
        summary = import_supplies(session, office=office, catalogue=catalogue, path=file, by=by or file.name[:64],
                                  now=runtime.now, skip_bad=skip_bad, needs=needs,
                                  plans_dir=runtime.settings.plans_dir)
    for problem in summary.skipped:
        err.print(f"skipped: {file}, {problem}", markup=False)
    skipped = f"; skipped {len(summary.skipped)} bad row(s)" if summary.skipped else ""
    new = f"; new items {', '.join(summary.new_items)}" if summary.new_items else ""
    out.print(f"Imported {summary.rows} rows for {office.name}: {summary.received} received, {summary.unchanged} already "
              f"imported, {summary.new_batches} new batches{new}{skipped}.", markup=False)


@supplies_app.command("stock")
def supplies_stock(
    store: Annotated[str | None, typer.Option("--store", help="Only this store (code or name).")] = None,
    as_of: AsOfOption = None,
    include_empty: Annotated[bool, typer.Option("--all", help="Include batches used up.")] = False,
    as_json: JsonOption = False,
) -> None:
    """List the stock by store, item and batch, with expiry dates; near-expiry and expired batches marked."""
    from rich.table import Table
    from rich.text import Text

    from emergency.domain.supplies import ExpiryState, format_quantity
    from emergency.services.incidents import get_office
    from emergency.services.supplies import stock_levels, sync_catalogue

    runtime, catalogue = _open()
    at = _as_of(as_of, runtime.now)
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        sync_catalogue(session, office=office, catalogue=catalogue, now=runtime.now,
                       plans_dir=runtime.settings.plans_dir)
        spec = catalogue.store(store) if store is not None else None
        batches = stock_levels(session, office_id=office.id, as_of=at, window_days=catalogue.near_expiry.days,
                               store=spec.code if spec else store, include_empty=include_empty)
    if store is not None and spec is None and not batches:
        raise InputError("command line", "store", f"{store!r} is not a store of plans/supplies.yaml")
    if as_json:
        _write_json([b.as_dict() for b in batches])
        return
    if not batches:
        out.print(f"{office.name}: no stock{' in ' + store if store else ''} at {format_local(at)}. Import the "
                  "spreadsheet with `emergency supplies import FILE`.", markup=False)
        return
    marks = {ExpiryState.NEAR: f"临期（{catalogue.near_expiry.days}天内）", ExpiryState.EXPIRED: "已过期"}
    table = Table(title=Text(f"{office.name} 应急物资库存（{format_local(at)}）"))
    for column in ("仓库", "物资编码", "物资名称", "类别", "批号", "数量", "单位", "有效期至", "状态"):
        table.add_column(column, overflow="fold", justify="right" if column == "数量" else "left")
    for b in batches:
        cells = (b.store_name, b.item, b.item_name, catalogue.category_name(b.category), b.batch,
                 format_quantity(b.quantity), b.unit, b.expires_on.isoformat() if b.expires_on else "—",
                 marks.get(b.state, ""))
        table.add_row(*(Text(cell) for cell in cells))
    out.print(table)


@supplies_app.command("move")
def supplies_move(
    kind: Annotated[str, typer.Option("--kind", help="in (入库), out (出库), issue (调拨使用, to an incident), "
                                                     "return (归还入库) or write-off (报废核销).")],
    item: Annotated[str, typer.Option("--item", help="The item's code or name (沙袋, sandbag …).")],
    store: Annotated[str, typer.Option("--store", help="The store's code or name.")],
    quantity: Annotated[str, typer.Option("--quantity", help="How much, in the item's unit.")],
    by: ByOption,
    batch: Annotated[str | None, typer.Option("--batch", help="The batch (批号); default: the batch expiring first "
                                                              "(FEFO) for out/issue/write-off.")] = None,
    incident: Annotated[str | None, typer.Option("--incident", help="The incident supplies are issued to or come "
                                                                    "back from.")] = None,
    note: Annotated[str, typer.Option("--note", help="A note (用途, 原因).")] = "",
    at: AtOption = None,
    expires_on: Annotated[str | None, typer.Option("--expires-on", help="有效期至 of a receipt (YYYY-MM-DD).")] = None,
    supplier: Annotated[str, typer.Option("--supplier", help="Who supplied a receipt.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Record a movement of stock; one that would take any batch below zero is refused and nothing is stored."""
    from emergency.domain.supplies import format_quantity
    from emergency.labels import SUPPLY_MOVEMENT_LABELS
    from emergency.services.incidents import get_office
    from emergency.services.supplies import movement_kind, plan_needs, record_movement

    movement = movement_kind(kind)
    amount = _decimal(quantity, "quantity")
    try:
        expiry = date.fromisoformat(expires_on) if expires_on is not None else None
    except ValueError:
        raise InputError("command line", "expires-on", f"{expires_on!r} is not a date (YYYY-MM-DD)") from None
    runtime, catalogue = _open()
    when = _time(at, "at") or runtime.now
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        needs = plan_needs(session, office_id=office.id, as_of=when, plans_dir=runtime.settings.plans_dir)
        result = record_movement(session, office=office, catalogue=catalogue, kind=movement, item=item, store=store,
                                 quantity=amount, by=by, at=when, now=runtime.now, batch=batch, incident=incident,
                                 expires_on=expiry, supplier=supplier, note=note, needs=needs)
    if as_json:
        _write_json(result.as_dict())
        return
    unit = result.unit
    parts = ", ".join(f"batch {b} {format_quantity(q)}" for b, q in result.batches)
    towards = f" (incident {result.incident}{', 演练 drill: real stock unchanged' if result.drill else ''})" \
        if result.incident else ""
    out.print(f"{SUPPLY_MOVEMENT_LABELS[movement]} {format_quantity(result.quantity)} {unit} {result.item} "
              f"({result.item_name}) at {result.store}{towards}: {parts}. {result.store_name} now holds "
              f"{format_quantity(result.store_stock)} {unit}.", markup=False)


@supplies_app.command("stocktake")
def supplies_stocktake(
    file: Annotated[Path | None, typer.Argument(help="A stocktake sheet (盘点表: 仓库, 物资编码, 批号, 实盘数量), "
                                                     "or give --store, --item and --counted.")] = None,
    by: ByOption = "",
    store: Annotated[str | None, typer.Option("--store", help="The store counted (without a file).")] = None,
    item: Annotated[str | None, typer.Option("--item", help="The item counted (without a file).")] = None,
    batch: Annotated[str | None, typer.Option("--batch", help="The batch counted (when the item has several).")] = None,
    counted: Annotated[str | None, typer.Option("--counted", help="What was counted (实盘数量).")] = None,
    at: AtOption = None,
    note: Annotated[str, typer.Option("--note", help="A note for the stocktake.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Record a stocktake (盘点): each count against the book; a difference becomes an adjustment with who and when."""
    from decimal import Decimal

    from emergency.services.incidents import get_office
    from emergency.services.supplies import Count, plan_needs, record_stocktake
    from emergency.services.supply_sheets import import_stocktake

    if not by.strip():
        raise InputError("command line", "by", "who counted is required (--by)")
    by_hand = (store, item, counted)
    if file is not None and any(v is not None for v in (*by_hand, batch)):
        raise InputError("command line", "file", "give a stocktake sheet or --store/--item/--counted, not both")
    if file is None and any(v is None for v in by_hand):
        missing = [name for name, v in zip(("store", "item", "counted"), by_hand, strict=True) if v is None]
        raise InputError("command line", missing[0], "give a stocktake sheet, or --store, --item and --counted")
    runtime, catalogue = _open()
    when = _time(at, "at") or runtime.now
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        needs = plan_needs(session, office_id=office.id, as_of=when, plans_dir=runtime.settings.plans_dir)
        if file is not None:
            results = import_stocktake(session, office=office, catalogue=catalogue, path=file, by=by, at=when,
                                       now=runtime.now, note=note, needs=needs)
        else:
            assert store is not None and item is not None and counted is not None
            text = counted.strip()
            count = Decimal(0) if text in ("0", "0.0") else _decimal(text, "counted")
            results = [record_stocktake(session, office=office, catalogue=catalogue, store=store,
                                        counts=[Count(item=item, counted=count, batch=batch)], by=by, at=when,
                                        now=runtime.now, note=note, needs=needs)]
    if as_json:
        _write_json([r.as_dict() for r in results])
        return
    for result in results:
        out.print(f"Stocktake #{result.stocktake_id} of {result.store_name} ({result.store}) at {format_local(when)} by "
                  f"{by.strip()}: {len(result.lines)} line(s), {result.adjustments} adjustment(s).", markup=False)
        for line in result.lines:
            diff = line["difference"]
            change = "" if diff == "0" else f" → adjusted {'+' if not diff.startswith('-') else ''}{diff}"
            out.print(f"  {line['item']} ({line['name']}) batch {line['batch']}: book {line['book']}, counted "
                      f"{line['counted']} {line['unit']}{change}", markup=False)


@supplies_app.command("check")
def supplies_check(as_of: AsOfOption = None, as_json: JsonOption = False) -> None:
    """Check shortfalls against the plans' minimum stock and batches near or past expiry (weekly: run supplies)."""
    from emergency.services.incidents import get_office
    from emergency.services.supplies import supplies_status, sync_catalogue

    runtime, catalogue = _open()
    at = _as_of(as_of, runtime.now)
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        sync_catalogue(session, office=office, catalogue=catalogue, now=runtime.now,
                       plans_dir=runtime.settings.plans_dir)
        status = supplies_status(session, office_id=office.id, as_of=at, plans_dir=runtime.settings.plans_dir,
                                 catalogue=catalogue)
    if as_json:
        _write_json(status.as_dict())
        return
    print_status(status, office.name)


def print_status(status: SuppliesStatus, office: str) -> None:
    """Print a supplies check for people: shortfalls with their sources, store shortfalls, near-expiry, expired."""
    from decimal import Decimal

    from emergency.domain.supplies import format_quantity as q

    out.print(f"{office}: supplies at {format_local(status.as_of)} — {len(status.items)} items, "
              f"{len(status.shortfalls)} short, {len(status.store_shortfalls)} short in a store, "
              f"{len(status.near_expiry)} batches expire within {status.near_expiry_days} days, "
              f"{len(status.expired)} expired.", markup=False)
    if status.shortfalls:
        out.print("Short of the minimum (库存不足):", markup=False)
        for i in status.shortfalls:
            out.print(f"  {i.item} ({i.name}): {q(i.on_hand)} {i.unit} usable, minimum {q(i.minimum or Decimal(0))} {i.unit}, "
                      f"short {q(i.shortfall)} — {'; '.join(i.minimum_sources)}", markup=False)
    if status.store_shortfalls:
        out.print("Short in a store (储备点不足):", markup=False)
        for s in status.store_shortfalls:
            out.print(f"  {s.store} {s.store_name}: {s.item} ({s.name}) {q(s.on_hand)} {s.unit}, each store holds at "
                      f"least {q(s.minimum)} — {s.source}", markup=False)
    if status.near_expiry:
        out.print(f"Expiring within {status.near_expiry_days} days (临近有效期; {status.near_expiry_source.strip()}):",
                  markup=False)
        for b in status.near_expiry:
            out.print(f"  {b.store} {b.item} ({b.item_name}) batch {b.batch}: {q(b.quantity)} {b.unit}, expires "
                      f"{b.expires_on} (in {b.days_left} days)", markup=False)
    if status.expired:
        out.print("Expired, to be written off (已过有效期):", markup=False)
        for b in status.expired:
            out.print(f"  {b.store} {b.item} ({b.item_name}) batch {b.batch}: {q(b.quantity)} {b.unit}, expired "
                      f"{b.expires_on}", markup=False)
    for problem in status.problems:
        out.print(f"Note: {problem}", markup=False)
    if not status.flagged:
        out.print("Nothing short, nothing expiring within the window.", markup=False)
