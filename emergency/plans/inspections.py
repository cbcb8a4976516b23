"""Hazard inspection as validated data (plans/inspections.yaml): source types, frequencies, campaigns, ledger columns."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from emergency.domain.enums import RiskLevel
from emergency.domain.inspections import BeforeHoliday, Cadence, Campaign, Season
from emergency.errors import RulesError
from emergency.labels import RISK_LEVEL_COLOURS, RISK_LEVEL_LABELS
from emergency.plans.loader import DEFAULT_PLANS_DIR, describe_location, read_yaml
from emergency.plans.roster import normalise_heading

INSPECTIONS_FILE = "inspections.yaml"
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
REQUIRED_COLUMNS = ("code", "name", "source_type", "risk_level", "community", "grid")
OPTIONAL_COLUMNS = ("owner_unit", "contact", "phone", "location", "status")
COLUMN_FIELDS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


def _month_day_text(value: object) -> object:
    # Unquoted 06-01 stays a string in YAML, but a bare date (2026-06-01) would not: say what is wanted.
    if isinstance(value, date):
        raise ValueError('write a month and day in quotes, e.g. "06-01"')
    return value


MonthDayText = Annotated[str, BeforeValidator(_month_day_text)]


def _month_day(text: str) -> tuple[int, int]:
    match = _MONTH_DAY.match(text)
    if match is None:
        raise ValueError(f'{text!r} is not a month and day like "06-01"')
    month, day = int(match.group(1)), int(match.group(2))
    try:
        date(2025, month, day)  # a year without 29 February: a season boundary must exist every year
    except ValueError:
        raise ValueError(f"{text!r} is not a day of every year") from None
    return month, day


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class SourceType(_Data):
    """A type of hazard source, its Chinese name and the names ledgers use, and its cadence at each risk level."""

    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    every: dict[RiskLevel, Cadence]
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _every_level(self) -> SourceType:
        missing = [level.value for level in RiskLevel if level not in self.every]
        if missing:
            raise ValueError(f"type {self.key} has no cadence for risk level {', '.join(missing)}")
        return self


class Holiday(_Data):
    """A holiday and its date in each year covered."""

    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1)
    dates: tuple[date, ...] = Field(min_length=1)
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one_per_year(self) -> Holiday:
        years = [d.year for d in self.dates]
        if len(set(years)) != len(years):
            raise ValueError(f"holiday {self.key} lists a year twice")
        return self


class SeasonSpec(_Data):
    """A yearly season, month-day to month-day."""

    from_: MonthDayText = Field(alias="from")
    to: MonthDayText

    @model_validator(mode="after")
    def _valid(self) -> SeasonSpec:
        if _month_day(self.from_) == _month_day(self.to):
            raise ValueError("a season must be longer than one day")
        return self

    def to_domain(self) -> Season:
        """Return the season as the domain value."""
        return Season(_month_day(self.from_), _month_day(self.to))


class BeforeSpec(_Data):
    """The days before a holiday: from days_from to days_to days before it."""

    holiday: str = Field(min_length=1)
    days_from: int = Field(gt=0, le=60)
    days_to: int = Field(ge=0, le=60)

    @model_validator(mode="after")
    def _order(self) -> BeforeSpec:
        if self.days_to >= self.days_from:
            raise ValueError(f"days_from ({self.days_from}) must be more days before the holiday than days_to "
                             f"({self.days_to})")
        return self


class CampaignSpec(_Data):
    """A special inspection campaign (专项检查)."""

    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1)
    types: tuple[str, ...] | None = None
    levels: tuple[RiskLevel, ...] | None = None
    season: SeasonSpec | None = None
    before: BeforeSpec | None = None
    every: Cadence | None = None
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one_window(self) -> CampaignSpec:
        if (self.season is None) == (self.before is None):
            raise ValueError(f"campaign {self.key} needs exactly one of season and before")
        return self


class LedgerColumns(_Data):
    """The headings each column of a ledger file may carry."""

    code: tuple[str, ...] = Field(min_length=1)
    name: tuple[str, ...] = Field(min_length=1)
    source_type: tuple[str, ...] = Field(min_length=1)
    risk_level: tuple[str, ...] = Field(min_length=1)
    community: tuple[str, ...] = Field(min_length=1)
    grid: tuple[str, ...] = Field(min_length=1)
    owner_unit: tuple[str, ...] = Field(min_length=1)
    contact: tuple[str, ...] = Field(min_length=1)
    phone: tuple[str, ...] = Field(min_length=1)
    location: tuple[str, ...] = Field(min_length=1)
    status: tuple[str, ...] = Field(min_length=1)

    def headings(self, field: str) -> tuple[str, ...]:
        """Return the headings of one column."""
        value: tuple[str, ...] = getattr(self, field)
        return value


class InspectionPlan(_Data):
    """Everything planning and the register import read from plans/inspections.yaml."""

    source: str = Field(min_length=1)
    source_types: tuple[SourceType, ...] = Field(min_length=1)
    holidays: tuple[Holiday, ...] = ()
    campaigns: tuple[CampaignSpec, ...] = ()
    columns: LedgerColumns

    @model_validator(mode="after")
    def _references(self) -> InspectionPlan:
        names: dict[str, str] = {}
        for kind in self.source_types:
            for name in (kind.key, kind.name, *kind.aliases):
                key = normalise_heading(name)
                if key in names and names[key] != kind.key:
                    raise ValueError(f"type name {name!r} is used by two types ({names[key]} and {kind.key})")
                names[key] = kind.key
        for unique, label in ((self.source_types, "type"), (self.holidays, "holiday"), (self.campaigns, "campaign")):
            keys = [item.key for item in unique]
            duplicates = sorted({k for k in keys if keys.count(k) > 1})
            if duplicates:
                raise ValueError(f"{label} key {duplicates[0]!r} is used twice")
        known = {kind.key for kind in self.source_types}
        holidays = {h.key for h in self.holidays}
        for campaign in self.campaigns:
            for name in campaign.types or ():
                if name not in known:
                    raise ValueError(f"campaign {campaign.key} names type {name!r}, which source_types lacks")
            if campaign.before is not None and campaign.before.holiday not in holidays:
                raise ValueError(f"campaign {campaign.key} counts back from holiday {campaign.before.holiday!r}, "
                                 "which holidays lacks")
        owner: dict[str, str] = {}
        for field in COLUMN_FIELDS:
            for heading in self.columns.headings(field):
                key = normalise_heading(heading)
                if key in owner and owner[key] != field:
                    raise ValueError(f"heading {heading!r} names two columns ({owner[key]} and {field})")
                owner[key] = field
        return self

    def frequencies(self) -> dict[tuple[str, str], Cadence]:
        """Return the cadence of each (type, risk level)."""
        return {(kind.key, level.value): every for kind in self.source_types for level, every in kind.every.items()}

    def campaign_rules(self) -> tuple[Campaign, ...]:
        """Return the campaigns as domain values, holiday dates filled in."""
        dates = {h.key: h.dates for h in self.holidays}
        return tuple(
            Campaign(key=c.key, types=frozenset(c.types) if c.types is not None else None,
                     levels=frozenset(level.value for level in c.levels) if c.levels is not None else None,
                     every=c.every, season=c.season.to_domain() if c.season is not None else None,
                     before=BeforeHoliday(dates[c.before.holiday], c.before.days_from, c.before.days_to)
                     if c.before is not None else None)
            for c in self.campaigns)

    def source_type(self, text: str) -> SourceType | None:
        """Return the type named by its key, Chinese name or an alias, ignoring spaces and letter case."""
        key = normalise_heading(text)
        for kind in self.source_types:
            if key in {normalise_heading(n) for n in (kind.key, kind.name, *kind.aliases)}:
                return kind
        return None

    def type_names(self) -> dict[str, str]:
        """Return each type's Chinese name by key."""
        return {kind.key: kind.name for kind in self.source_types}

    def campaign_names(self) -> dict[str, str]:
        """Return each campaign's Chinese name by key."""
        return {c.key: c.name for c in self.campaigns}

    def uncovered_holidays(self, year: int) -> list[str]:
        """Return the holidays a campaign counts back from that have no date in *year*."""
        used = {c.before.holiday for c in self.campaigns if c.before is not None}
        return [h.name for h in self.holidays if h.key in used and year not in {d.year for d in h.dates}]


def risk_level_of(text: str) -> RiskLevel | None:
    """Return the risk level a ledger cell names: 重大/较大/一般/低 (with or without 风险), 红/橙/黄/蓝(色), or the code."""
    key = normalise_heading(text)
    for level in RiskLevel:
        label, colour = RISK_LEVEL_LABELS[level], RISK_LEVEL_COLOURS[level]
        names = {level.value, label, label.removesuffix("风险"), colour, f"{colour}色", f"{colour}色风险",
                 f"{label.removesuffix('风险')}({colour})", f"{label.removesuffix('风险')}（{colour}）"}
        if key in {normalise_heading(n) for n in names}:
            return level
    return None


def _named_by_key(node: Any) -> Any:
    """Return *node* with each entry that has a `key` also carrying it as `id`, so errors name entries by key."""
    if isinstance(node, list):
        return [_named_by_key(item) for item in node]
    if isinstance(node, dict):
        named = {k: _named_by_key(v) for k, v in node.items()}
        if "key" in named and "id" not in named:
            named["id"] = named["key"]
        return named
    return node


def load_inspection_plan(plans_dir: Path | None = None) -> InspectionPlan:
    """Load plans/inspections.yaml; a bad file fails with the file, the field and why."""
    path = (plans_dir or DEFAULT_PLANS_DIR) / INSPECTIONS_FILE
    data = read_yaml(path)
    try:
        return InspectionPlan.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RulesError(str(path), describe_location(_named_by_key(data), first["loc"]) or None,
                         first["msg"].removeprefix("Value error, ")) from None
