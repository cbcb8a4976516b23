"""Supplies on SQLite and PostgreSQL: import, movements, stocktakes, the check against the plans in force, the notice."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from emergency.clock import CN_TZ
from emergency.db.models import (
    IncidentRow,
    OutboxRow,
    PlanVersionRow,
    StocktakeRow,
    SupplyBatchRow,
    SupplyItemRow,
    SupplyMovementRow,
)
from emergency.db.session import unit_of_work
from emergency.domain.enums import SupplyMovementKind
from emergency.errors import InputError
from emergency.plans.supplies import PlanNeed, SuppliesCatalogue, load_supplies_catalogue
from emergency.services.incidents import get_office
from emergency.services.supplies import (
    Count,
    MovementResult,
    SuppliesFileError,
    SuppliesStatus,
    check_supplies,
    plan_needs,
    record_movement,
    record_stocktake,
    stock_levels,
    supplies_status,
)
from emergency.services.supply_sheets import SuppliesImport, import_stocktake, import_supplies
from tests.integration.support import OFFICE, ROOT

CATALOGUE = load_supplies_catalogue()
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=CN_TZ)
EXAMPLE = ROOT / "examples" / "supplies-zhengyang.csv"
HEADER = ("仓库", "物资编码", "物资名称", "规格/单位", "数量", "批号", "生产日期", "有效期至", "入库日期")
MAIN = "ZY-CK01"


def write_csv(folder: Path, rows: Sequence[Sequence[object]], name: str = "supplies.csv",
              header: Sequence[str] = HEADER) -> Path:
    """Write a supplies CSV (the header, then the rows) and return its path."""
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def load(sessions: sessionmaker[Session], path: Path, *, skip_bad: bool = False,
         needs: Sequence[PlanNeed] = ()) -> SuppliesImport:
    """Import a receipts file in one unit of work."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        return import_supplies(session, office=office, catalogue=CATALOGUE, path=path, by="郑红", now=NOW,
                               skip_bad=skip_bad, needs=needs)


def move(sessions: sessionmaker[Session], kind: SupplyMovementKind, item: str, quantity: str, *,
         store: str = MAIN, at: datetime = NOW, **options: object) -> MovementResult:
    """Record one movement in one unit of work."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        return record_movement(session, office=office, catalogue=CATALOGUE, kind=kind, item=item, store=store,
                               quantity=Decimal(quantity), by="郑红", at=at, now=NOW, **options)  # type: ignore[arg-type]


def status(sessions: sessionmaker[Session], as_of: datetime = NOW,
           needs: Sequence[PlanNeed] | None = ()) -> SuppliesStatus:
    """Return the supplies status in one unit of work (no plan needs unless given)."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        return supplies_status(session, office_id=office.id, as_of=as_of, catalogue=CATALOGUE, needs=needs)


def add_incident(sessions: sessionmaker[Session], ref: str, *, drill: bool = False) -> None:
    """Store an incident to issue supplies to."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        session.add(IncidentRow(office_id=office.id, ref=ref, category="natural_disaster", type="urban_flooding",
                                title="万福街积水", occurred_at=NOW - timedelta(hours=2),
                                known_at=NOW - timedelta(hours=2), drill=drill, created_at=NOW))


def book_matches_movements(sessions: sessionmaker[Session]) -> None:
    """Assert every batch's book quantity is the sum of its real movements and never negative."""
    with unit_of_work(sessions) as session:
        sums = dict(session.execute(select(SupplyMovementRow.batch_id, func.sum(SupplyMovementRow.quantity))
                                    .where(SupplyMovementRow.drill.is_(False))
                                    .group_by(SupplyMovementRow.batch_id)).tuples().all())
        for batch in session.scalars(select(SupplyBatchRow)):
            assert batch.quantity == Decimal(sums.get(batch.id, 0)), batch.batch_no
            assert batch.quantity >= 0


def level(sessions: sessionmaker[Session], item: str, store: str = MAIN, as_of: datetime = NOW) -> Decimal:
    """Return the stock of an item in a store at *as_of* (the sum of its movements up to then)."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        return sum((b.quantity for b in stock_levels(session, office_id=office.id, as_of=as_of, window_days=90,
                                                     store=store) if b.item == item), Decimal(0))


def test_example_import_stores_every_row_once(sessions: sessionmaker[Session]) -> None:
    """The shipped example imports whole; importing it again recognises every row and stores nothing new."""
    first = load(sessions, EXAMPLE)
    assert (first.rows, first.received, first.unchanged, first.skipped) == (43, 43, 0, ())
    again = load(sessions, EXAMPLE)
    assert (again.received, again.unchanged, again.new_batches) == (0, 43, 0)
    assert level(sessions, "fire_extinguisher") == Decimal(60)
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        batches = {b.batch: b for b in stock_levels(session, office_id=office.id, as_of=NOW, window_days=90,
                                                    store=MAIN)}
        # No 有效期至 in the sheet: from 生产日期 and the catalogue's 10-year 报废期 (GA 95-2015), the day before.
        assert batches["MH-1612"].expires_on == date(2026, 11, 30)
        assert batches["JJX-2410"].expires_on == date(2026, 10, 31)  # 2026-10: to the end of the month
        assert batches["YS-251218"].expires_on == date(2026, 12, 17)  # drinking water: 12 months by the catalogue
        assert session.scalar(select(func.count()).select_from(SupplyMovementRow)) == 43
    book_matches_movements(sessions)


def test_the_workbook_example_is_the_same_stock_as_the_csv(sessions: sessionmaker[Session]) -> None:
    """The .xlsx example (title row, 仓库 merged per store, date cells) holds the CSV's rows: imported after it,
    every CSV row is recognised as already received."""
    first = load(sessions, ROOT / "examples" / "supplies-zhengyang.xlsx")
    assert (first.rows, first.received, first.skipped) == (43, 43, ())
    assert load(sessions, EXAMPLE).unchanged == 43
    book_matches_movements(sessions)


def test_every_bad_row_is_named_and_nothing_is_stored(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """Bad cells are reported by row number and heading; without --skip-bad nothing is stored; with it the good rows."""
    path = write_csv(tmp_path, [
        ("正阳街道应急物资储备库", "sandbag", "沙袋", "条", "100", "", "", "", "2026-11-01"),
        ("不存在的仓库", "sandbag", "沙袋", "条", "100", "", "", "", "2026-11-01"),
        ("正阳街道应急物资储备库", "sandbag", "沙袋", "袋", "-5", "", "", "", "2026-11-01"),
        ("正阳街道应急物资储备库", "", "不知道什么", "个", "3", "", "", "2027-13", "2026-11-01"),
        ("正阳街道应急物资储备库", "life_jacket", "沙袋", "件", "3", "", "", "", "2026-12-25"),
    ])
    with pytest.raises(SuppliesFileError) as raised:
        load(sessions, path)
    text = str(raised.value)
    assert "7 problems, nothing stored (use --skip-bad" in text
    assert "row 3, column 仓库: '不存在的仓库' is not a store" in text
    assert "row 4, column 规格/单位: '袋', but sandbag (沙袋) is counted in '条'" in text
    assert "row 4, column 数量: -5 is not a positive quantity" in text
    assert "row 5, column 物资名称: '不知道什么' is not an item" in text
    assert "row 5, column 有效期至: '2027-13' is not a month of the calendar" in text
    assert "row 6, column 物资名称: '沙袋' is item sandbag (沙袋), not life_jacket" in text
    assert "row 6, column 入库日期: 2026-12-25 is in the future" in text
    assert level(sessions, "sandbag") == 0
    partial = load(sessions, path, skip_bad=True)
    assert partial.received == 1 and {p.row for p in partial.skipped} == {3, 4, 5, 6}
    assert level(sessions, "sandbag") == Decimal(100)


def test_a_workbook_with_a_title_row_merged_stores_and_a_new_item(sessions: sessionmaker[Session],
                                                                   tmp_path: Path) -> None:
    """XLSX: title row above the headings, 仓库 merged down, Excel date cells; an unknown code becomes a new item."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["正阳街道应急物资储备台账（2026年11月）"])
    sheet.append(["仓库", "物资编码", "物资名称", "单位", "数量", "有效期至", "入库日期"])
    sheet.append(["正阳社区应急物资储备点", "flashlight", "强光手电", "支", 12, None, date(2026, 11, 2)])
    sheet.append([None, "warning_tape", "警戒带", "卷", 5, None, date(2026, 11, 2)])
    sheet.merge_cells("A3:A4")
    path = tmp_path / "supplies.xlsx"
    book.save(path)
    result = load(sessions, path)
    assert (result.received, result.new_items) == (2, ("flashlight",))
    assert level(sessions, "flashlight", "ZY01-CB") == Decimal(12)
    assert level(sessions, "warning_tape", "正阳社区应急物资储备点") == Decimal(5)


def test_issue_takes_the_batch_expiring_first_and_refuses_more_than_stock(sessions: sessionmaker[Session],
                                                                         tmp_path: Path) -> None:
    """FEFO across batches; asking beyond stock is an InputError naming the item and quantity, and stores nothing."""
    load(sessions, write_csv(tmp_path, [
        (MAIN, "drinking_water", "", "箱", "30", "A", "", "2027-06-30", "2026-06-01"),
        (MAIN, "drinking_water", "", "箱", "20", "B", "", "2026-12-31", "2026-06-01"),
        (MAIN, "drinking_water", "", "箱", "10", "OLD", "", "2026-10-31", "2025-06-01"),
    ]))
    add_incident(sessions, "2026-0007")
    result = move(sessions, SupplyMovementKind.ISSUED, "饮用水", "25", incident="2026-0007")
    assert result.batches == (("B", Decimal(20)), ("A", Decimal(5)))
    assert result.store_stock == Decimal(35) and result.incident == "2026-0007"
    with pytest.raises(InputError) as raised:
        move(sessions, SupplyMovementKind.ISSUED, "drinking_water", "30", incident="2026-0007")
    assert raised.value.field == "quantity"
    assert "drinking_water (瓶装饮用水)" in str(raised.value)
    assert "30 箱 asked but only 25 箱 in stock (10 箱 more are expired: write them off)" in str(raised.value)
    with pytest.raises(InputError, match="field incident: an issue"):
        move(sessions, SupplyMovementKind.ISSUED, "drinking_water", "1")
    with pytest.raises(InputError, match="expired stock is written off"):
        move(sessions, SupplyMovementKind.ISSUED, "drinking_water", "1", batch="OLD", incident="2026-0007")
    written = move(sessions, SupplyMovementKind.WRITTEN_OFF, "drinking_water", "10", note="过期报废")
    assert written.batches == (("OLD", Decimal(10)),)
    assert level(sessions, "drinking_water") == Decimal(25)
    book_matches_movements(sessions)


def test_returns_go_back_to_the_batches_issued_and_never_exceed_them(sessions: sessionmaker[Session],
                                                                     tmp_path: Path) -> None:
    """What comes back from an incident returns to its batches; more than was issued is refused."""
    load(sessions, write_csv(tmp_path, [(MAIN, "life_jacket", "", "件", "50", "", "", "", "2026-06-01")]))
    add_incident(sessions, "2026-0008")
    move(sessions, SupplyMovementKind.ISSUED, "life_jacket", "30", incident="2026-0008")
    back = move(sessions, SupplyMovementKind.RETURNED, "life_jacket", "28", incident="2026-0008")
    assert back.store_stock == Decimal(48)
    with pytest.raises(InputError, match="3 件 returned but only 2 件 were issued to incident 2026-0008"):
        move(sessions, SupplyMovementKind.RETURNED, "life_jacket", "3", incident="2026-0008")
    book_matches_movements(sessions)


def test_a_drill_issue_is_recorded_but_leaves_real_stock(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """Supplies issued to a drill incident are marked drill and never change the book."""
    load(sessions, write_csv(tmp_path, [(MAIN, "megaphone", "", "个", "10", "", "", "", "2026-06-01")]))
    add_incident(sessions, "D-2026-001", drill=True)
    result = move(sessions, SupplyMovementKind.ISSUED, "megaphone", "4", incident="D-2026-001")
    assert result.drill and result.store_stock == Decimal(10)
    with pytest.raises(InputError, match="11 个 asked"):
        move(sessions, SupplyMovementKind.ISSUED, "megaphone", "11", incident="D-2026-001")
    book_matches_movements(sessions)


def test_an_earlier_issue_cannot_take_what_a_later_one_took(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """An issue written up afterwards for an earlier time is refused if it would leave a later moment below zero."""
    load(sessions, write_csv(tmp_path, [(MAIN, "shovel", "", "把", "10", "", "", "", "2026-06-01")]))
    move(sessions, SupplyMovementKind.OUT, "shovel", "8", at=NOW - timedelta(hours=1))
    with pytest.raises(InputError, match="3 把 asked but only 2 把"):
        move(sessions, SupplyMovementKind.OUT, "shovel", "3", at=NOW - timedelta(hours=3))
    with pytest.raises(InputError, match=r"field at: .* is in the future"):
        move(sessions, SupplyMovementKind.IN, "shovel", "3", at=NOW + timedelta(hours=3))


def test_a_receipt_by_command_creates_its_batch_and_keeps_its_expiry(sessions: sessionmaker[Session]) -> None:
    """`move --kind in` fills a batch; the same batch number with another expiry date is refused."""
    result = move(sessions, SupplyMovementKind.IN, "surgical_mask", "4000", batch="KZ-2611",
                  expires_on=date(2028, 10, 31))
    assert result.batches == (("KZ-2611", Decimal(4000)),)
    with pytest.raises(InputError, match="field expires_on: batch KZ-2611 is stored with 有效期至 2028-10-31"):
        move(sessions, SupplyMovementKind.IN, "surgical_mask", "1", batch="KZ-2611", expires_on=date(2029, 1, 1))
    with pytest.raises(InputError, match="field item: 'unobtainium' is not an item"):
        move(sessions, SupplyMovementKind.IN, "unobtainium", "1")


def test_stock_without_batch_numbers_is_kept_apart_by_expiry(sessions: sessionmaker[Session]) -> None:
    """Receipts without a 批号 form one batch per expiry date, shown and named as 无批号（有效期至…）."""
    move(sessions, SupplyMovementKind.IN, "drinking_water", "10", expires_on=date(2027, 1, 31))
    move(sessions, SupplyMovementKind.IN, "drinking_water", "5", expires_on=date(2027, 3, 31))
    add_incident(sessions, "2026-0009")
    issued = move(sessions, SupplyMovementKind.ISSUED, "drinking_water", "12", incident="2026-0009")
    assert issued.batches == (("无批号（有效期至2027-01-31）", Decimal(10)), ("无批号（有效期至2027-03-31）", Decimal(2)))
    taken = move(sessions, SupplyMovementKind.OUT, "drinking_water", "3", batch="无批号（有效期至2027-03-31）")
    assert taken.store_stock == 0
    back = move(sessions, SupplyMovementKind.RETURNED, "drinking_water", "4", incident="2026-0009")
    assert back.batches == (("无批号（有效期至2027-01-31）", Decimal(4)),)
    book_matches_movements(sessions)


def test_a_keyed_movement_is_recorded_once(sessions: sessionmaker[Session]) -> None:
    """A caller's idempotency key (e.g. materials arriving from the district) records the movement once."""
    first = move(sessions, SupplyMovementKind.IN, "tent", "20", key="support-arrival-1")
    again = move(sessions, SupplyMovementKind.IN, "tent", "20", key="support-arrival-1")
    assert first.movement_ids == again.movement_ids and level(sessions, "tent") == Decimal(20)


def test_a_stocktake_makes_the_book_equal_the_count(sessions: sessionmaker[Session]) -> None:
    """Each difference becomes an adjustment with who and when; the book then equals the count."""
    load(sessions, EXAMPLE)
    later = NOW + timedelta(hours=1)
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        [result] = import_stocktake(session, office=office, catalogue=CATALOGUE,
                                    path=ROOT / "examples" / "supplies-stocktake-zhengyang.csv", by="郑红", at=later,
                                    now=later)
    assert result.adjustments == 2
    assert [(line["item"], line["book"], line["counted"], line["difference"]) for line in result.lines] == [
        ("woven_bag", "3000", "2980", "-20"), ("warning_tape", "20", "20", "0"), ("megaphone", "10", "11", "1"),
        ("fire_extinguisher", "20", "20", "0")]
    assert level(sessions, "woven_bag", as_of=later) == Decimal(2980) == level(sessions, "woven_bag") - 20
    assert level(sessions, "megaphone", as_of=later) == Decimal(11)
    with unit_of_work(sessions) as session:
        adjustments = session.scalars(select(SupplyMovementRow).where(
            SupplyMovementRow.kind == SupplyMovementKind.STOCKTAKE_ADJUST.value)).all()
        assert {(m.quantity, m.by, m.at) for m in adjustments} == {(Decimal(-20), "郑红", later),
                                                                   (Decimal(1), "郑红", later)}
        stocktake = session.scalars(select(StocktakeRow)).one()
        assert stocktake.by == "郑红" and len(stocktake.lines) == 4
    book_matches_movements(sessions)


def test_a_count_of_an_item_with_several_batches_must_name_the_batch(sessions: sessionmaker[Session]) -> None:
    """Counting an item held in two batches without a batch is refused, and nothing is recorded."""
    load(sessions, EXAMPLE)
    with unit_of_work(sessions) as session, pytest.raises(SuppliesFileError, match="has 2 batches in ZY-CK01"):
        office = get_office(session, name=OFFICE)
        record_stocktake(session, office=office, catalogue=CATALOGUE, store=MAIN,
                         counts=[Count("fire_extinguisher", Decimal(55))], by="郑红", at=NOW, now=NOW)
    with unit_of_work(sessions) as session:
        assert session.scalar(select(func.count()).select_from(StocktakeRow)) == 0


def test_status_flags_shortfalls_against_the_largest_plan_need_and_expiry(sessions: sessionmaker[Session]) -> None:
    """The minimum is the largest need of the plans (not the sum); expired stock does not count towards it."""
    load(sessions, EXAMPLE)
    needs = (PlanNeed("general", "总体预案", "2026.1", True, "first_aid_kit", "急救箱", Decimal(5), "个"),
             PlanNeed("public_health", "公共卫生预案", "2026.1", False, "first_aid_kit", "急救箱", Decimal(8), "个"),
             PlanNeed("flood", "防汛预案", "2026.1", True, "sandbag", "沙袋", Decimal(2000), "条"),
             PlanNeed("flood", "防汛预案", "2026.1", True, "generator", "发电机组", Decimal(2), "台"),
             PlanNeed("flood", "防汛预案", "2026.1", True, "boat", "冲锋舟", Decimal(1), "艘"))
    found = status(sessions, needs=needs)
    short = {i.item: i for i in found.shortfalls}
    assert set(short) == {"first_aid_kit", "sandbag", "boat"}
    kit = short["first_aid_kit"]
    assert (kit.on_hand, kit.expired, kit.minimum, kit.shortfall) == (Decimal(3), Decimal(5), Decimal(8), Decimal(5))
    assert kit.minimum_set_by == ("公共卫生预案（2026.1）",)
    assert kit.minimum_sources == ("公共卫生预案（2026.1，预案文件，尚无审批版本）",)
    assert short["boat"].on_hand == 0 and short["boat"].name == "冲锋舟"
    assert [(s.store, s.item) for s in found.store_shortfalls] == [("ZY-CK01", "first_aid_kit"),
                                                                   ("ZY03-CB", "warning_tape")]
    assert [(b.item, b.days_left) for b in found.near_expiry] == [("fire_extinguisher", 0), ("drinking_water", 17),
                                                                  ("first_aid_kit", 90)]
    assert [b.batch for b in found.expired] == ["ZJ-2023", "JJX-2410"]
    # A week later the oldest extinguishers have expired; earlier than their receipt there was nothing at all.
    week_later = status(sessions, NOW + timedelta(days=7), needs=needs)
    assert "MH-1612" in {b.batch for b in week_later.expired}
    assert status(sessions, datetime(2017, 1, 1, tzinfo=CN_TZ), needs=()).near_expiry == ()


def test_plan_needs_read_the_version_in_force_else_the_file(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """An approved version in force sets the need; a superseded one or a later file does not; unapproved: the file."""
    folder = tmp_path / "plans" / "emergency"
    folder.mkdir(parents=True)
    (folder / "flood.yaml").write_text("id: flood\nname_zh: 防汛预案\nversion: '2027.1'\nsupplies:\n"
                                       "  - {item: sandbag, name_zh: 沙袋, quantity: 5000, unit: 条}\n", "utf-8")
    (folder / "gas.yaml").write_text("id: gas\nname_zh: 燃气预案\nversion: '2026.1'\nsupplies:\n"
                                     "  - {item: gas_detector, name_zh: 可燃气体检测仪, quantity: 4, unit: 台}\n"
                                     "  - 警戒带\n", "utf-8")
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)

        def version(label: str, quantity: int, effective: date, superseded: datetime | None) -> None:
            session.add(PlanVersionRow(
                office_id=office.id, slug="flood", version=label, name="防汛预案", kind="special", sha256=label * 8,
                content={"id": "flood", "name_zh": "防汛预案", "version": label,
                         "supplies": [{"item": "sandbag", "name_zh": "沙袋", "quantity": quantity, "unit": "条"}]},
                approved_by="党工委会议", approved_at=NOW, effective_from=effective, superseded_at=superseded,
                review_due=date(2029, 1, 1), review_reason="cycle", created_at=NOW))

        version("2025.1", 1000, date(2025, 1, 1), datetime(2026, 6, 1, tzinfo=CN_TZ))
        version("2026.1", 2000, date(2026, 6, 1), None)
        session.flush()
        needs = plan_needs(session, office_id=office.id, as_of=NOW, plans_dir=tmp_path / "plans")
        earlier = plan_needs(session, office_id=office.id, as_of=datetime(2026, 3, 1, tzinfo=CN_TZ),
                             plans_dir=tmp_path / "plans")
    assert [(n.plan, n.version, n.approved, n.item, n.quantity) for n in needs] == [
        ("flood", "2026.1", True, "sandbag", Decimal(2000)), ("gas", "2026.1", False, "gas_detector", Decimal(4))]
    assert ("flood", "2025.1", Decimal(1000)) in {(n.plan, n.version, n.quantity) for n in earlier}


def test_the_weekly_check_queues_one_notice_per_week(sessions: sessionmaker[Session]) -> None:
    """A flagged check queues one notice per channel; a re-run that week queues nothing more; next week one more."""
    load(sessions, EXAMPLE)

    def run(at: datetime) -> dict[str, object]:
        with unit_of_work(sessions) as session:
            office = get_office(session, name=OFFICE)
            return check_supplies(session, office=office, as_of=at, channels=("duty_wecom",), catalogue=CATALOGUE)

    first = run(NOW)
    assert first["week"] == "2026-W49" and first["notices"] == 1
    again = run(NOW + timedelta(days=2))
    assert again["outbox"] == first["outbox"]
    run(NOW + timedelta(days=7))
    with unit_of_work(sessions) as session:
        rows = session.scalars(select(OutboxRow).order_by(OutboxRow.id)).all()
        assert [r.topic for r in rows] == ["notice", "notice"]
        assert rows[0].subject.startswith("【应急物资储备提醒】长春市绿园区正阳街道办事处（2026-11-30）")
        assert "沙袋：现有1500条，最低储备2000条，缺500条" in rows[0].body["text"]


def test_a_catalogue_unit_cannot_change_under_held_stock(sessions: sessionmaker[Session]) -> None:
    """Changing an item's unit in plans/supplies.yaml while stock is held is refused, naming the file and field."""
    move(sessions, SupplyMovementKind.IN, "sandbag", "10")
    data = CATALOGUE.model_dump()
    data["items"] = [{**i, "unit": "袋"} if i["code"] == "sandbag" else i for i in data["items"]]
    changed = SuppliesCatalogue.model_validate(data)
    with unit_of_work(sessions) as session, pytest.raises(Exception, match=r"items\[sandbag\]\.unit"):
        office = get_office(session, name=OFFICE)
        record_movement(session, office=office, catalogue=changed, kind=SupplyMovementKind.IN, item="sandbag",
                        store=MAIN, quantity=Decimal(1), by="郑红", at=NOW, now=NOW)
    with unit_of_work(sessions) as session:
        assert session.scalars(select(SupplyItemRow.unit).where(SupplyItemRow.code == "sandbag")).one() == "条"
