"""Early-warning data: colour levels, warning types and signal standards, the response checklists, the office's area.

Files: plans/warning-levels.yaml (levels, CAP severity mapping, the 14 signal types of 中国气象局令第16号 with their
standards, other types, language preference, geocode rules), plans/warning-actions.yaml (the pre-agreed actions per
type and level) and the `area:`/`publisher:` sections of plans/street.yaml. A bad file fails with file, field and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from emergency.domain.enums import CapSeverity, WarningLevel
from emergency.errors import RulesError
from emergency.plans.loader import describe_location, read_yaml

LEVELS_FILE = "warning-levels.yaml"
ACTIONS_FILE = "warning-actions.yaml"


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OfficeArea(_Data):
    """The street's area, against which a CAP message's <area> is matched."""

    source: str = Field(min_length=1)
    admin_codes: tuple[str, ...] = Field(min_length=1)
    description: str = Field(min_length=1)
    """The area as the office's own warnings describe it (CAP <areaDesc>)."""
    names: tuple[str, ...] = Field(min_length=1)
    polygon: tuple[tuple[float, float], ...] = Field(min_length=3)
    upstream_senders: tuple[str, ...] = ()
    """Senders whose messages concern the office even when they give no <area> (e.g. the district's platform)."""

    @field_validator("admin_codes")
    @classmethod
    def _codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            if not re.fullmatch(r"[1-8][0-9]{5}([0-9]{3}([0-9]{3})?)?", code):
                raise ValueError(f"{code!r} is not a GB/T 2260 code (6 digits) or a township/village code (9/12)")
        return value

    @field_validator("polygon")
    @classmethod
    def _points(cls, value: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
        for lat, lon in value:
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError(f"[{lat}, {lon}] is not a [lat, lon] point")
        return value


class Publisher(_Data):
    """Who the office is in the CAP messages it exports (GB/T 35965.1-2018 附录A A.1.2 发布单位代码)."""

    source: str = Field(min_length=1)
    area_code: str = Field(pattern=r"^[0-9]{6}$")
    organ_code: str = Field(pattern=r"^[0-9]{3}$")
    unit_code: str = Field(pattern=r"^[0-9]{3}$")
    extension: str = Field(pattern=r"^[0-9]{2}$")
    sender_name: str = Field(min_length=1)
    sender: str | None = Field(default=None, pattern=r"^[^\s,<&]+$")
    """CAP <sender>; defaults to the 14-digit 发布单位代码."""

    @property
    def unit(self) -> str:
        """Return the 14-digit 发布单位代码 ZZZZZZDDDUUUXX."""
        return f"{self.area_code}{self.organ_code}{self.unit_code}{self.extension}"

    @property
    def cap_sender(self) -> str:
        """Return the CAP <sender> of the office's messages."""
        return self.sender or self.unit


class LevelName(_Data):
    """How a colour level is written and which grade it is."""

    colour_zh: str = Field(min_length=1)
    grade: str = Field(min_length=1)
    grade_desc: str = Field(min_length=1)


class Levels(_Data):
    """The four colour levels."""

    source: str = Field(min_length=1)
    order: tuple[WarningLevel, ...]
    names: dict[WarningLevel, LevelName]

    @model_validator(mode="after")
    def _complete(self) -> Levels:
        if sorted(self.order, key=lambda level: level.rank) != list(self.order) or set(self.order) != set(WarningLevel):
            raise ValueError("order must list blue, yellow, orange, red, lowest first")
        if set(self.names) != set(WarningLevel):
            raise ValueError("names must name every level")
        return self


class SeverityMap(_Data):
    """CAP severity to colour level."""

    source: str = Field(min_length=1)
    map: dict[CapSeverity, WarningLevel]

    @field_validator("map")
    @classmethod
    def _no_unknown(cls, value: dict[CapSeverity, WarningLevel]) -> dict[CapSeverity, WarningLevel]:
        if CapSeverity.UNKNOWN in value:
            raise ValueError("Unknown severity gives no colour level: leave it out")
        return value


class ColourNames(_Data):
    """How a colour level is written in a Chinese signal name (暴雨红色预警信号)."""

    source: str = Field(min_length=1)
    pattern: str = Field(pattern=r"\{colour\}")
    change_pattern: str = Field(pattern=r"\{colour\}")
    """A change of level (升级为红色): when it occurs, its colour wins over the names before it."""
    blue: tuple[str, ...] = Field(min_length=1)
    yellow: tuple[str, ...] = Field(min_length=1)
    orange: tuple[str, ...] = Field(min_length=1)
    red: tuple[str, ...] = Field(min_length=1)

    def words(self) -> dict[str, WarningLevel]:
        """Return every colour word with its level."""
        return {word: WarningLevel(name) for name in ("blue", "yellow", "orange", "red") for word in getattr(self, name)}


class Signal(_Data):
    """One signal of 中国气象局令第16号 with its standard."""

    level: WarningLevel
    code: str = Field(pattern=r"^[0-9]{4}$")
    name: str = Field(min_length=1)
    standard: str = Field(min_length=1)


class WarningType(_Data):
    """A warning type: a key, its names in Chinese and English, and (meteorological ones) its signals."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str = Field(min_length=1)
    cma_type: str | None = Field(default=None, pattern=r"^[0-9]{2}$")
    aliases_zh: tuple[str, ...] = ()
    aliases_en: tuple[str, ...] = ()
    cap_category: Literal["Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
                          "CBRNE", "Other"] = "Other"
    """CAP 1.2 <category> of the office's own warnings of this type."""
    source: str = Field(min_length=1)
    signals: tuple[Signal, ...] = ()

    def signal(self, level: WarningLevel) -> Signal | None:
        """Return the signal of *level*, if the regulation defines it."""
        return next((s for s in self.signals if s.level == level), None)


class Languages(_Data):
    """Which <info> language to prefer."""

    source: str = Field(min_length=1)
    prefer: tuple[str, ...] = Field(min_length=1)


class Geocodes(_Data):
    """Which geocodes are Chinese administrative codes."""

    source: str = Field(min_length=1)
    admin_code_pattern: str = Field(min_length=1)
    foreign_schemes: tuple[str, ...] = ()

    @field_validator("admin_code_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value


class WarningLevels(_Data):
    """plans/warning-levels.yaml."""

    levels: Levels
    severity: SeverityMap
    colour_names: ColourNames
    types: tuple[WarningType, ...] = Field(min_length=1)
    languages: Languages
    geocodes: Geocodes

    @model_validator(mode="after")
    def _types(self) -> WarningLevels:
        keys = [t.key for t in self.types]
        if len(keys) != len(set(keys)):
            raise ValueError("type keys must be unique")
        if "other" not in keys:
            raise ValueError("a type `other` must exist for events no type covers")
        for t in self.types:
            levels = [s.level for s in t.signals]
            if len(levels) != len(set(levels)):
                raise ValueError(f"type {t.key}: one signal per level")
        return self

    def type(self, key: str) -> WarningType:
        """Return the type *key*; KeyError if unknown."""
        for t in self.types:
            if t.key == key:
                return t
        raise KeyError(key)


class Action(_Data):
    """One pre-agreed action of a response checklist."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    within_minutes: int | None = Field(default=None, gt=0)


class Role(_Data):
    """Who an action falls to."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str = Field(min_length=1)


LevelActions = dict[WarningLevel, tuple[Action, ...]]


class WarningActions(_Data):
    """plans/warning-actions.yaml: the general actions per level and each type's own actions per level."""

    id: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    version: str = Field(min_length=1)
    approved_by: str = Field(min_length=1)
    effective_from: date
    source: str = Field(min_length=1)
    roles: tuple[Role, ...] = Field(min_length=1)
    general: LevelActions
    types: dict[str, LevelActions] = {}

    @model_validator(mode="after")
    def _owners(self) -> WarningActions:
        if set(self.general) != set(WarningLevel):
            raise ValueError("general must give the actions of every level (blue, yellow, orange, red)")
        roles = {r.id for r in self.roles}
        for where, actions in [(f"general.{lv}", a) for lv, a in self.general.items()] + [
                (f"types.{t}.{lv}", a) for t, per in self.types.items() for lv, a in per.items()]:
            for action in actions:
                if action.owner not in roles:
                    raise ValueError(f"{where}, action {action.id}: owner {action.owner!r} is not a role")
        return self


@dataclass(frozen=True)
class ChecklistItem:
    """One action of a warning's checklist, with its owner's name."""

    id: str
    text: str
    owner: str
    owner_zh: str
    within_minutes: int | None


@dataclass(frozen=True)
class WarningPlan:
    """Everything the warning services read from plans/."""

    levels: WarningLevels
    actions: WarningActions
    levels_path: str
    actions_path: str

    def checklist(self, warning_type: str, level: WarningLevel) -> tuple[ChecklistItem, ...]:
        """Return the level's general actions followed by the type's own actions at that level."""
        names = {r.id: r.name_zh for r in self.actions.roles}
        actions = self.actions.general[level] + self.actions.types.get(warning_type, {}).get(level, ())
        return tuple(ChecklistItem(a.id, a.text, a.owner, names[a.owner], a.within_minutes) for a in actions)


def _validate(model: type[Any], path: Path) -> Any:
    data = read_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RulesError(str(path), describe_location(data, first["loc"]) or None,
                         first["msg"].removeprefix("Value error, ")) from None


def load_warning_plan(plans_dir: Path) -> WarningPlan:
    """Load and check plans/warning-levels.yaml and plans/warning-actions.yaml."""
    levels_path, actions_path = plans_dir / LEVELS_FILE, plans_dir / ACTIONS_FILE
    levels: WarningLevels = _validate(WarningLevels, levels_path)
    actions: WarningActions = _validate(WarningActions, actions_path)
    known = {t.key for t in levels.types}
    for key in actions.types:
        if key not in known:
            raise RulesError(str(actions_path), f"types.{key}", f"{key!r} is not a type of {LEVELS_FILE}")
    return WarningPlan(levels, actions, str(levels_path), str(actions_path))
