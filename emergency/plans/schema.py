"""Emergency plans (应急预案) and the street's organisation as validated data."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from emergency.domain.enums import Category, Severity
from emergency.errors import RulesError
from emergency.plans.loader import describe_location, read_yaml
from emergency.plans.rules import TierCondition, condition_met
from emergency.plans.warnings import OfficeArea, Publisher


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Role(_Data):
    """A role in the plan's command structure (指挥部)."""

    id: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str = Field(min_length=1)


class Action(_Data):
    """An action the plan assigns at a response level, to a role, within a time."""

    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    within_minutes: int | None = Field(default=None, gt=0)


class ResponseLevel(_Data):
    """A response level (响应等级) with its trigger and actions."""

    level: Literal["I", "II", "III", "IV"]
    name_zh: str = Field(min_length=1)
    when: TierCondition
    actions: tuple[Action, ...] = Field(min_length=1)


class Plan(_Data):
    """One plan: the general plan (总体预案) or a special plan (专项预案)."""

    id: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["general", "special"]
    name_zh: str = Field(min_length=1)
    version: str = Field(min_length=1)
    approved_by: str = Field(min_length=1)
    effective_from: date
    source: str = Field(min_length=1)
    review_every_years: int = Field(gt=0)
    drill_every_months: int = Field(gt=0)
    categories: tuple[Category, ...] = ()
    types: tuple[str, ...] = ()
    roles: tuple[Role, ...] = Field(min_length=1)
    levels: tuple[ResponseLevel, ...] = Field(min_length=1)
    reporting_chain: tuple[str, ...] = Field(min_length=1)
    supplies: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _owners_are_roles(self) -> Plan:
        roles = {r.id for r in self.roles}
        for level in self.levels:
            for action in level.actions:
                if action.owner not in roles:
                    raise ValueError(f"level {level.level}, action {action.id}: owner {action.owner!r} is not a role")
        if self.levels[-1].when != TierCondition():
            raise ValueError("the last level must apply always (when: {}) so that every incident gets a response")
        return self

    def covers(self, category: Category, type_code: str) -> bool:
        """Return whether the plan covers incidents of this category and type."""
        return type_code in self.types or (category in self.categories and not self.types)

    def level_for(self, severity: Severity, deaths_or_missing: bool, sensitive: bool) -> ResponseLevel:
        """Return the first level whose trigger the incident meets."""
        hits = {"deaths": deaths_or_missing, "missing": deaths_or_missing, "sensitive": sensitive}
        return next((level for level in self.levels if condition_met(level.when, severity, hits)), self.levels[-1])


class PlanFile(BaseModel):
    """A plan with the hash of the file it came from (the version locked into a response)."""

    model_config = ConfigDict(frozen=True)

    plan: Plan
    path: str
    sha256: str


class Grid(_Data):
    """A grid and its leader."""

    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    leader: str = Field(min_length=1)
    phone: str = Field(min_length=1)


class Community(_Data):
    """A community and its grids."""

    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    grids: tuple[Grid, ...] = Field(min_length=1)


class Contact(_Data):
    """Who holds a role."""

    role: str = Field(min_length=1)
    name: str = Field(min_length=1)
    title: str = Field(min_length=1)
    phone: str = Field(min_length=1)


class Street(_Data):
    """The street office's own organisation: communities, grids, role holders, where reports go."""

    office: str = Field(min_length=1)
    district: str = Field(min_length=1)
    address: str = Field(min_length=1)
    communities: tuple[Community, ...] = Field(min_length=1)
    contacts: tuple[Contact, ...] = Field(min_length=1)
    area: OfficeArea | None = None
    publisher: Publisher | None = None


def _validate_file(model: type[Any], path: Path) -> Any:
    data = read_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RulesError(str(path), describe_location(data, first["loc"]) or None,
                         first["msg"].removeprefix("Value error, ")) from None


def load_plan(path: Path) -> PlanFile:
    """Load and validate one plan file."""
    plan = _validate_file(Plan, path)
    return PlanFile(plan=plan, path=str(path), sha256=hashlib.sha256(path.read_bytes()).hexdigest())


def load_plans(folder: Path) -> dict[str, PlanFile]:
    """Load every plan under *folder*/emergency; ids must be unique and exactly one plan general."""
    found: dict[str, PlanFile] = {}
    for path in sorted((folder / "emergency").glob("*.yaml")):
        loaded = load_plan(path)
        if loaded.plan.id in found:
            raise RulesError(str(path), "id", f"plan id {loaded.plan.id!r} is already used by {found[loaded.plan.id].path}")
        found[loaded.plan.id] = loaded
    generals = [p for p in found.values() if p.plan.kind == "general"]
    if len(generals) != 1:
        raise RulesError(str(folder / "emergency"), "kind", f"exactly one general plan is needed, found {len(generals)}")
    return found


def plan_for(plans: dict[str, PlanFile], category: Category, type_code: str) -> PlanFile:
    """Return the special plan covering the type, else the category, else the general plan."""
    specials = [p for p in plans.values() if p.plan.kind == "special"]
    for p in specials:
        if type_code in p.plan.types:
            return p
    for p in specials:
        if not p.plan.types and category in p.plan.categories:
            return p
    return next(p for p in plans.values() if p.plan.kind == "general")


def load_street(path: Path) -> Street:
    """Load the street's organisation file."""
    street: Street = _validate_file(Street, path)
    return street



def check_plan_types(plans: dict[str, PlanFile], known: set[str]) -> None:
    """Refuse a plan naming an event type the catalogue does not know."""
    for loaded in plans.values():
        for code in loaded.plan.types:
            if code not in known:
                raise RulesError(loaded.path, "types", f"unknown event type {code!r} (not in the event catalogue)")
