"""Emergency supplies as data (plans/supplies.yaml): the stores, the catalogue of items with their minimums and
sources, the near-expiry window, and the column headings of the office's spreadsheets. Also reads what the plans
(plans/emergency/*.yaml, or an approved version's stored content) say they need on hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from emergency.domain.supplies import check_quantity
from emergency.errors import RulesError
from emergency.plans.loader import DEFAULT_PLANS_DIR, describe_location, read_yaml
from emergency.plans.roster import normalise_heading

SUPPLIES_FILE = "supplies.yaml"
ITEM_CODE = r"^[a-z][a-z0-9_]{0,63}$"
"""Item codes are the plans' `supplies[].item` codes (emergency/plans/schema.py): lower case, digits, underscores."""
STORE_CODE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

IMPORT_REQUIRED = ("store", "quantity")
STOCKTAKE_REQUIRED = ("store", "counted")
COLUMN_FIELDS = ("store", "code", "name", "spec_unit", "spec", "unit", "quantity", "counted", "batch", "produced_on",
                 "shelf_life", "expires_on", "received_on", "supplier")
_SHELF_LIFE = re.compile(r"^(\d{1,3})\s*(年|个月|月|天|日|years?|months?|days?)$", re.IGNORECASE)


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _quantity(value: Decimal) -> Decimal:
    try:
        return check_quantity(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None


def parse_shelf_life(text: str) -> tuple[int, int]:
    """Return a shelf life (保质期) as (months, days): 2年, 24个月, 18月, 180天; raise ValueError otherwise."""
    match = _SHELF_LIFE.match(re.sub(r"\s+", "", text))
    if match is None:
        raise ValueError(f"{text!r} is not a shelf life (write 2年, 24个月 or 180天)")
    number, unit = int(match.group(1)), match.group(2).lower()
    if number == 0:
        raise ValueError(f"{text!r} is not a shelf life")
    if unit in ("年", "year", "years"):
        return number * 12, 0
    if unit in ("个月", "月", "month", "months"):
        return number, 0
    return 0, number


class Store(_Data):
    """A store of supplies (应急物资储备库/储备点): where it is and who keeps it."""

    code: str = Field(pattern=STORE_CODE)
    name: str = Field(min_length=1, max_length=200)
    aliases: tuple[str, ...] = ()
    location: str = ""
    keeper: str = Field(default="", max_length=64)
    phone: str = Field(default="", max_length=32)


class MinimumSpec(_Data):
    """A minimum quantity with the rule or practice it follows."""

    quantity: Decimal
    source: str = Field(min_length=1)

    _check = field_validator("quantity")(_quantity)


class ShelfLife(_Data):
    """How long an item keeps from its production date, when the label gives no expiry date."""

    period: str = Field(min_length=1)
    source: str = Field(min_length=1)

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        parse_shelf_life(value)
        return value

    def months_days(self) -> tuple[int, int]:
        """Return the period as (months, days)."""
        return parse_shelf_life(self.period)


class Item(_Data):
    """A kind of supply: its code (the plans' item code), name, unit, category, and minimums with sources."""

    code: str = Field(pattern=ITEM_CODE)
    name: str = Field(min_length=1, max_length=200)
    aliases: tuple[str, ...] = ()
    unit: str = Field(min_length=1, max_length=16)
    category: str = Field(min_length=1, max_length=32)
    spec: str = ""
    minimum: MinimumSpec | None = None
    store_minimum: MinimumSpec | None = None
    shelf_life: ShelfLife | None = None


class NearExpiry(_Data):
    """How many days before its expiry a batch is flagged for rotation (轮换) or use."""

    days: int = Field(gt=0, le=730)
    source: str = Field(min_length=1)


class Columns(_Data):
    """The headings each column of a supplies spreadsheet may carry."""

    store: tuple[str, ...] = Field(min_length=1)
    code: tuple[str, ...] = Field(min_length=1)
    name: tuple[str, ...] = Field(min_length=1)
    spec_unit: tuple[str, ...] = Field(min_length=1)
    spec: tuple[str, ...] = Field(min_length=1)
    unit: tuple[str, ...] = Field(min_length=1)
    quantity: tuple[str, ...] = Field(min_length=1)
    counted: tuple[str, ...] = Field(min_length=1)
    batch: tuple[str, ...] = Field(min_length=1)
    produced_on: tuple[str, ...] = Field(min_length=1)
    shelf_life: tuple[str, ...] = Field(min_length=1)
    expires_on: tuple[str, ...] = Field(min_length=1)
    received_on: tuple[str, ...] = Field(min_length=1)
    supplier: tuple[str, ...] = Field(min_length=1)

    def headings(self, field: str) -> tuple[str, ...]:
        """Return the headings of one column."""
        value: tuple[str, ...] = getattr(self, field)
        return value


class SuppliesCatalogue(_Data):
    """Everything the supplies commands and the weekly check read from plans/supplies.yaml."""

    source: str = Field(min_length=1)
    near_expiry: NearExpiry
    categories: dict[str, str] = Field(min_length=1)
    stores: tuple[Store, ...] = Field(min_length=1)
    items: tuple[Item, ...] = Field(min_length=1)
    columns: Columns

    @model_validator(mode="after")
    def _references(self) -> SuppliesCatalogue:
        for label, codes in (("store", [s.code for s in self.stores]), ("item", [i.code for i in self.items])):
            duplicates = sorted({c for c in codes if codes.count(c) > 1})
            if duplicates:
                raise ValueError(f"{label} code {duplicates[0]!r} is used twice")
        for entries, label in ((self.stores, "store"), (self.items, "item")):
            owner: dict[str, str] = {}
            for entry in entries:
                for name in (entry.code, entry.name, *entry.aliases):
                    key = normalise_heading(name)
                    if owner.setdefault(key, entry.code) != entry.code:
                        raise ValueError(f"{label} name {name!r} is used by {owner[key]} and {entry.code}")
        for item in self.items:
            if item.category not in self.categories:
                raise ValueError(f"item {item.code}: category {item.category!r} is not one of categories "
                                 f"({', '.join(self.categories)})")
        owner_of: dict[str, str] = {}
        for field in COLUMN_FIELDS:
            for heading in self.columns.headings(field):
                key = normalise_heading(heading)
                if owner_of.setdefault(key, field) != field:
                    raise ValueError(f"heading {heading!r} names two columns ({owner_of[key]} and {field})")
        return self

    def store(self, text: str) -> Store | None:
        """Return the store named by its code, name or an alias (spaces and letter case ignored)."""
        key = normalise_heading(text)
        return next((s for s in self.stores if key in {normalise_heading(n) for n in (s.code, s.name, *s.aliases)}),
                    None)

    def item(self, text: str) -> Item | None:
        """Return the item named by its code, name or an alias (spaces and letter case ignored)."""
        key = normalise_heading(text)
        return next((i for i in self.items if key in {normalise_heading(n) for n in (i.code, i.name, *i.aliases)}),
                    None)

    def category_name(self, code: str) -> str:
        """Return a category's Chinese name (the code itself when unknown)."""
        return self.categories.get(code, code)


def load_supplies_catalogue(plans_dir: Path | None = None) -> SuppliesCatalogue:
    """Load plans/supplies.yaml; a bad file fails with the file, the field and why."""
    path = (plans_dir or DEFAULT_PLANS_DIR) / SUPPLIES_FILE
    data = read_yaml(path)
    try:
        return SuppliesCatalogue.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RulesError(str(path), describe_location(data, first["loc"]) or None,
                         first["msg"].removeprefix("Value error, ")) from None


# --- what the plans need ----------------------------------------------------------------------------------------


class _NeedSpec(BaseModel):
    """One entry of a plan's `supplies` list as plans/emergency/*.yaml writes it (schema.py checks the whole plan)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    item: str = Field(pattern=ITEM_CODE)
    name_zh: str = Field(min_length=1)
    quantity: Decimal
    unit: str = Field(min_length=1)
    source: str | None = None

    _check = field_validator("quantity")(_quantity)


@dataclass(frozen=True, slots=True)
class PlanNeed:
    """What one plan needs on hand of one item, and which plan (and version) says so."""

    plan: str
    plan_name: str
    version: str
    approved: bool
    item: str
    name: str
    quantity: Decimal
    unit: str

    @property
    def label(self) -> str:
        """Return the plan as a source of a minimum, e.g. 'plan general 2026.1' or 'plan file gas 2026.1'."""
        return f"plan {self.plan} {self.version}" if self.approved else f"plan file {self.plan} {self.version}"


def plan_needs_from(content: dict[str, Any], *, where: str, approved: bool) -> tuple[PlanNeed, ...]:
    """Return the quantities a plan's content lists under `supplies` (entries without a quantity are skipped).

    *content* is a plan file's data or an approved version's stored content; *where* names it in errors.
    """
    entries = content.get("supplies") or []
    if not isinstance(entries, list):
        raise RulesError(where, "supplies", "must be a list")
    plan, name, version = str(content.get("id", "?")), str(content.get("name_zh", "")), str(content.get("version", ""))
    needs: list[PlanNeed] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue  # an item named without a quantity (the older `supplies: [警戒带, …]`) sets no minimum
        try:
            spec = _NeedSpec.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            label = entry.get("item", index)
            raise RulesError(where, f"supplies[{label}].{'.'.join(map(str, first['loc']))}",
                             first["msg"].removeprefix("Value error, ")) from None
        needs.append(PlanNeed(plan=plan, plan_name=name, version=version, approved=approved, item=spec.item,
                              name=spec.name_zh, quantity=spec.quantity, unit=spec.unit))
    return tuple(needs)
