"""Emergency plans (应急预案) and the street's organisation as validated data."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from emergency.domain.enums import Category, DrillKind, PlanKind, Severity
from emergency.errors import RulesError
from emergency.plans.loader import describe_location, read_yaml
from emergency.plans.rules import TierCondition, condition_met
from emergency.plans.warnings import OfficeArea, Publisher


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


_FOLD_GAP = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])")


def _unfold(text: str) -> str:
    """Drop the space YAML's folded style (>-) leaves where a Chinese line was broken: 依据； 《条例》 → 依据；《条例》."""
    return _FOLD_GAP.sub("", text).strip()


Prose = Annotated[str, AfterValidator(_unfold), Field(min_length=1)]
"""Chinese prose from a plan file, with YAML's line-folding spaces between Chinese characters removed."""


class Role(_Data):
    """A role in the plan's command structure (指挥部)."""

    id: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str = Field(min_length=1)
    duties: str = ""


class Action(_Data):
    """An action the plan assigns at a response level, to a role, within a time."""

    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    within_minutes: int | None = Field(default=None, gt=0)


class ResponseLevel(_Data):
    """A response level (响应等级) with its trigger in words and as a rule, who starts it, and its actions."""

    level: Literal["I", "II", "III", "IV"]
    name_zh: str = Field(min_length=1)
    trigger_zh: str = Field(min_length=1)
    when: TierCondition
    decided_by: str | None = None
    actions: tuple[Action, ...] = Field(min_length=1)


class Group(_Data):
    """A working group of the command structure (工作组), led by a role."""

    id: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str = Field(min_length=1)
    lead: str = Field(min_length=1)
    duties: str = Field(min_length=1)


class Command(_Data):
    """The command structure (组织指挥体系): the headquarters, who commands, its office and its groups."""

    name_zh: str = Field(min_length=1)
    commander: str = Field(min_length=1)
    deputies: tuple[str, ...] = ()
    office: str = Field(min_length=1)
    groups: tuple[Group, ...] = ()


class PlanContact(_Data):
    """A contact the plan lists (应急通讯录): a unit or a role's holder, with a phone number."""

    id: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str = Field(min_length=1)
    phone: str = Field(min_length=1, pattern=r"^[0-9][0-9-]*$")
    role: str | None = None


class ReportingStep(_Data):
    """One step of the reporting chain (信息报告): whom the office reports to, through which contact."""

    to: str = Field(min_length=1)
    contact: str | None = None


class SupplyNeed(_Data):
    """A supply the plan needs on hand (应急物资): the item's code, and the minimum quantity in its unit."""

    item: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str = Field(min_length=1)
    quantity: Decimal = Field(gt=0)
    unit: str = Field(min_length=1)
    source: Prose | None = None

    @field_validator("quantity")
    @classmethod
    def _plain(cls, value: Decimal) -> Decimal:
        """2000, 2000.0 and 2.0E3 are one quantity: store it one way, so the plan's hash ignores the spelling."""
        return Decimal(int(value)) if value == value.to_integral_value() else value.normalize()


class ReviewCycle(_Data):
    """How often the plan is evaluated (评估), how soon after a drill or incident exposed a gap; and the rule."""

    every_years: int = Field(gt=0, le=10)
    after_gap_days: int = Field(gt=0, le=365)
    source: Prose


class DrillCycle(_Data):
    """How often the plan is drilled (应急演练), in which forms; with the rule it follows."""

    every_months: int = Field(gt=0, le=60)
    kinds: tuple[DrillKind, ...] = Field(default=(DrillKind.TABLETOP, DrillKind.FIELD), min_length=1)
    source: Prose


class PlanData(_Data):
    """A plan's fields, each checked on its own (cross-references are checked by `cross_problems`)."""

    id: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    kind: PlanKind
    name_zh: str = Field(min_length=1)
    version: str = Field(min_length=1, max_length=32)
    # As printed on the issued plan; the system's record of approval is `emergency plan approve` (plan_versions).
    approved_by: str | None = None
    effective_from: date | None = None
    source: Prose
    scope: Prose
    categories: tuple[Category, ...] = ()
    types: tuple[str, ...] = ()
    review: ReviewCycle
    drills: DrillCycle
    command: Command
    roles: tuple[Role, ...] = Field(min_length=1)
    contacts: tuple[PlanContact, ...] = ()
    levels: tuple[ResponseLevel, ...] = Field(min_length=1)
    reporting_chain: tuple[ReportingStep, ...] = Field(min_length=1)
    supplies: tuple[SupplyNeed, ...] = ()


def _duplicates(values: list[str]) -> list[str]:
    seen: set[str] = set()
    repeated: list[str] = []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated


def cross_problems(plan: PlanData) -> list[tuple[str, str]]:
    """Return every (field, why) where the plan refers to something it does not define, or repeats an id."""
    problems: list[tuple[str, str]] = []
    roles = {r.id for r in plan.roles}
    contacts = {c.id for c in plan.contacts}

    def role(field: str, value: str | None) -> None:
        if value is not None and value not in roles:
            problems.append((field, f"{value!r} is not one of the plan's roles ({', '.join(sorted(roles))})"))

    for dup in _duplicates([r.id for r in plan.roles]):
        problems.append((f"roles[{dup}]", f"role id {dup!r} is used twice"))
    for dup in _duplicates([c.id for c in plan.contacts]):
        problems.append((f"contacts[{dup}]", f"contact id {dup!r} is used twice"))
    for dup in _duplicates([g.id for g in plan.command.groups]):
        problems.append((f"command.groups[{dup}]", f"group id {dup!r} is used twice"))
    for dup in _duplicates([s.item for s in plan.supplies]):
        problems.append((f"supplies[{dup}]", f"item {dup!r} is listed twice"))
    for dup in _duplicates([lv.level for lv in plan.levels]):
        problems.append((f"levels[{dup}]", f"level {dup} is defined twice"))
    role("command.commander", plan.command.commander)
    role("command.office", plan.command.office)
    for deputy in plan.command.deputies:
        role("command.deputies", deputy)
    for group in plan.command.groups:
        role(f"command.groups[{group.id}].lead", group.lead)
    for contact in plan.contacts:
        role(f"contacts[{contact.id}].role", contact.role)
    for step in plan.reporting_chain:
        if step.contact is not None and step.contact not in contacts:
            problems.append((f"reporting_chain[{step.to}].contact",
                             f"{step.contact!r} is not one of the plan's contacts"))
    order = [lv.level for lv in plan.levels]
    if order != sorted(order, key=("I", "II", "III", "IV").index):
        problems.append(("levels", f"levels must run from the highest to the lowest (I before IV), found {order}"))
    for level in plan.levels:
        role(f"levels[{level.level}].decided_by", level.decided_by)
        for dup in _duplicates([a.id for a in level.actions]):
            problems.append((f"levels[{level.level}].actions[{dup}]", f"action id {dup!r} is used twice"))
        for action in level.actions:
            role(f"levels[{level.level}].actions[{action.id}].owner", action.owner)
    if plan.levels[-1].when != TierCondition():
        problems.append((f"levels[{plan.levels[-1].level}].when",
                         "the last level must apply always (when: {}) so that every incident gets a response"))
    if plan.kind == PlanKind.SPECIAL and not plan.types and not plan.categories:
        problems.append(("types", "a special plan names the event types (or categories) it covers"))
    return problems


class Plan(PlanData):
    """One plan: the general plan (总体预案) or a special plan (专项预案), its cross-references checked."""

    @model_validator(mode="after")
    def _references_hold(self) -> Plan:
        problems = cross_problems(self)
        if problems:
            field, why = problems[0]
            raise ValueError(f"{field}: {why}")
        return self

    @property
    def review_every_years(self) -> int:
        """Years between evaluations (评估)."""
        return self.review.every_years

    @property
    def drill_every_months(self) -> int:
        """Months between drills (演练)."""
        return self.drills.every_months

    def covers(self, category: Category, type_code: str) -> bool:
        """Return whether the plan covers incidents of this category and type."""
        return type_code in self.types or (category in self.categories and not self.types)

    def level_for(self, severity: Severity, deaths_or_missing: bool, sensitive: bool) -> ResponseLevel:
        """Return the first level whose trigger the incident meets."""
        hits = {"deaths": deaths_or_missing, "missing": deaths_or_missing, "sensitive": sensitive}
        return next((level for level in self.levels if condition_met(level.when, severity, hits)), self.levels[-1])


class PlanFile(BaseModel):
    """A plan with the hash of its canonical content (the version locked into a response)."""

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


HASH_EXCLUDES = frozenset({"approved_by", "effective_from"})
"""Approval facts live in plan_versions, not in the content: re-approving a file never changes its hash."""


def canonical_content(plan: PlanData) -> dict[str, Any]:
    """Return the plan as plain JSON data, without the approval facts: what is hashed and stored."""
    content: dict[str, Any] = plan.model_dump(mode="json", exclude=set(HASH_EXCLUDES))
    return content


def content_hash(plan: PlanData) -> str:
    """Return the SHA-256 of the canonical content: independent of key order, YAML style, comments and spelling."""
    text = json.dumps(canonical_content(plan), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_ENTRY_KEYS = ("id", "code", "level", "item", "to")


def _plan_location(data: Any, loc: tuple[int | str, ...]) -> str:
    """A pydantic location in words, naming list entries by their id, level, item or recipient (levels[II])."""
    parts: list[str] = []
    node: Any = data
    for step in loc:
        if isinstance(step, int) and isinstance(node, list):
            item = node[step] if step < len(node) else None
            key = next((str(item[k]) for k in _ENTRY_KEYS if isinstance(item, dict) and k in item), str(step))
            if parts:
                parts[-1] += f"[{key}]"
            else:
                parts.append(f"[{key}]")
            node = item
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return ".".join(parts)


def _why(error: Any) -> str:
    why = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    if error["type"] not in ("missing", "extra_forbidden") and isinstance(value, str | int | float | bool):
        why += f" (got {value!r})"
    return why


def plan_problems(data: dict[str, Any], path: str) -> list[RulesError]:
    """Return every defect of one plan's data (all of them, not just the first), each with the file and field."""
    try:
        checked = PlanData.model_validate(data)
    except ValidationError as exc:
        return [RulesError(path, _plan_location(data, e["loc"]) or None, _why(e)) for e in exc.errors()]
    return [RulesError(path, field, why) for field, why in cross_problems(checked)]


def read_plan_yaml(path: Path) -> dict[str, Any]:
    """Read a plan file; a value YAML itself cannot build (a date like 2026-13-01) fails with the file and why."""
    try:
        return read_yaml(path)
    except ValueError as exc:
        raise RulesError(str(path), None, f"not valid YAML ({exc})") from None


def load_plan(path: Path) -> PlanFile:
    """Load and validate one plan file; a defect fails with the file, the field and why."""
    data = read_plan_yaml(path)
    problems = plan_problems(data, str(path))
    if problems:
        raise problems[0]
    plan = Plan.model_validate(data)
    return PlanFile(plan=plan, path=str(path), sha256=content_hash(plan))


def plan_paths(folder: Path) -> list[Path]:
    """Return the plan files of a plans folder (its emergency/ subfolder), or of a folder of plan files."""
    sub = folder / "emergency"
    return sorted((sub if sub.is_dir() else folder).glob("*.yaml"))


def check_plans(paths: list[Path], *, known_types: set[str] | None, folder: str | None) -> list[RulesError]:
    """Check plan files: each on its own, then together (unique ids, one general plan, one unit per supply item).

    Returns every problem found; *folder* names the set for the set-wide checks (None checks files alone).
    """
    problems: list[RulesError] = []
    loaded: list[tuple[str, Plan]] = []
    for path in paths:
        try:
            data = read_plan_yaml(path)
        except RulesError as exc:
            problems.append(exc)
            continue
        found = plan_problems(data, str(path))
        problems.extend(found)
        if not found:
            plan = Plan.model_validate(data)
            loaded.append((str(path), plan))
            for code in plan.types:
                if known_types is not None and code not in known_types:
                    problems.append(RulesError(str(path), f"types[{code}]",
                                               f"unknown event type {code!r} (not in the event catalogue)"))
    if folder is None:
        return problems
    owners: dict[str, str] = {}
    units: dict[str, tuple[str, str, str]] = {}
    for where, plan in loaded:
        if plan.id in owners:
            problems.append(RulesError(where, "id", f"plan id {plan.id!r} is already used by {owners[plan.id]}"))
        owners.setdefault(plan.id, where)
        for need in plan.supplies:
            first = units.setdefault(need.item, (need.unit, need.name_zh, where))
            if (need.unit, need.name_zh) != first[:2]:
                problems.append(RulesError(where, f"supplies[{need.item}]",
                                           f"item {need.item!r} is {need.name_zh}/{need.unit} here but "
                                           f"{first[1]}/{first[0]} in {first[2]}: one item, one name and unit"))
    generals = [plan.id for _, plan in loaded if plan.kind == PlanKind.GENERAL]
    if len(generals) != 1 and len(loaded) == len(paths):
        problems.append(RulesError(folder, "kind", f"exactly one general plan is needed, found {len(generals)}"))
    return problems


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


def supply_minimums(plans: list[Plan]) -> dict[str, tuple[Decimal, str, tuple[str, ...]]]:
    """Return each item's minimum stock across the plans: (quantity, unit, plan ids asking for it).

    The plans draw on one stock, so an item's minimum is the largest any plan asks for, not the sum.
    """
    found: dict[str, tuple[Decimal, str, tuple[str, ...]]] = {}
    for plan in plans:
        for need in plan.supplies:
            quantity, unit, ids = found.get(need.item, (Decimal(0), need.unit, ()))
            found[need.item] = (max(quantity, need.quantity), unit, (*ids, plan.id))
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
