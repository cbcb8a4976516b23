"""Hazards as validated data (plans/hazards.yaml): grades and default deadlines, categories, the results export's columns."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from emergency.domain.enums import HazardCategory, HazardGrade, InspectionResult
from emergency.errors import RulesError
from emergency.labels import HAZARD_CATEGORY_LABELS, HAZARD_GRADE_LABELS, INSPECTION_RESULT_LABELS
from emergency.plans.loader import DEFAULT_PLANS_DIR, describe_location, read_yaml
from emergency.plans.roster import normalise_heading

HAZARDS_FILE = "hazards.yaml"
RESULT_FIELDS = ("inspection", "source", "period", "by", "at", "items", "result", "description", "grade", "category",
                 "measures", "responsible_person", "deadline", "location", "owner_unit", "photos", "note")
"""The columns of a results export, in the order they are read."""


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _complete(label: str, plural: str, keys: list[Any], enum: type[StrEnum], names: list[tuple[str, str]]) -> None:
    """Every member of *enum* listed once, and no word naming two of them."""
    duplicates = sorted({k.value for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"{label} {duplicates[0]} is listed twice")
    missing = [member.value for member in enum if member not in keys]
    if missing:
        raise ValueError(f"{label} {missing[0]} is missing (every {label} needs an entry)")
    seen: dict[str, str] = {}
    for name, key in names:
        if seen.setdefault(normalise_heading(name), key) != key:
            raise ValueError(f"{label} name {name!r} names two {plural} ({seen[normalise_heading(name)]} and {key})")


class GradeSpec(_Data):
    """One grade of 16号令第三条: its name and definition, default deadline and whether the district is told."""

    key: HazardGrade
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    definition: str = Field(min_length=1)
    deadline_days: int = Field(ge=0, le=365)
    report_to_district: bool
    source: str = Field(min_length=1)


class CategorySpec(_Data):
    """One category (人/物/环境/管理) and the words results use for it."""

    key: HazardCategory
    aliases: tuple[str, ...] = ()
    source: str = Field(min_length=1)


class Sourced(_Data):
    """A rule without numbers, with where it comes from."""

    source: str = Field(min_length=1)


class ResultColumns(_Data):
    """The headings each column of a results export may carry."""

    inspection: tuple[str, ...] = Field(min_length=1)
    source: tuple[str, ...] = Field(min_length=1)
    period: tuple[str, ...] = Field(min_length=1)
    by: tuple[str, ...] = Field(min_length=1)
    at: tuple[str, ...] = Field(min_length=1)
    items: tuple[str, ...] = Field(min_length=1)
    result: tuple[str, ...] = Field(min_length=1)
    description: tuple[str, ...] = Field(min_length=1)
    grade: tuple[str, ...] = Field(min_length=1)
    category: tuple[str, ...] = Field(min_length=1)
    measures: tuple[str, ...] = Field(min_length=1)
    responsible_person: tuple[str, ...] = Field(min_length=1)
    deadline: tuple[str, ...] = Field(min_length=1)
    location: tuple[str, ...] = Field(min_length=1)
    owner_unit: tuple[str, ...] = Field(min_length=1)
    photos: tuple[str, ...] = Field(min_length=1)
    note: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> ResultColumns:
        owner: dict[str, str] = {}
        for field in RESULT_FIELDS:
            for heading in self.headings(field):
                if owner.setdefault(normalise_heading(heading), field) != field:
                    raise ValueError(f"heading {heading!r} names two columns ({owner[normalise_heading(heading)]} "
                                     f"and {field})")
        return self

    def headings(self, field: str) -> tuple[str, ...]:
        """Return the headings of one column."""
        value: tuple[str, ...] = getattr(self, field)
        return value


class ResultWords(_Data):
    """What a results export writes for a passed inspection and for one with a finding."""

    passed: tuple[str, ...] = Field(min_length=1)
    finding: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> ResultWords:
        words = {normalise_heading(w) for w in self.passed}
        both = [w for w in self.finding if normalise_heading(w) in words]
        if both:
            raise ValueError(f"result word {both[0]!r} means both passed and finding")
        return self


def _grade_names(grades: tuple[GradeSpec, ...]) -> list[tuple[str, str]]:
    """Return (word, grade key) for every word naming a grade."""
    return [(name, g.key.value) for g in grades for name in (g.key.value, g.name, HAZARD_GRADE_LABELS[g.key], *g.aliases)]


def _category_names(categories: tuple[CategorySpec, ...]) -> list[tuple[str, str]]:
    """Return (word, category key) for every word naming a category."""
    return [(name, c.key.value) for c in categories
            for name in (c.key.value, HAZARD_CATEGORY_LABELS[c.key], *c.aliases)]


class HazardPlan(_Data):
    """Everything hazards read from plans/hazards.yaml."""

    source: str = Field(min_length=1)
    grades: tuple[GradeSpec, ...]
    categories: tuple[CategorySpec, ...]
    extension: Sourced
    verification: Sourced
    result_columns: ResultColumns
    result_words: ResultWords

    @field_validator("grades")
    @classmethod
    def _every_grade(cls, grades: tuple[GradeSpec, ...]) -> tuple[GradeSpec, ...]:
        _complete("grade", "grades", [g.key for g in grades], HazardGrade, _grade_names(grades))
        return grades

    @field_validator("categories")
    @classmethod
    def _every_category(cls, categories: tuple[CategorySpec, ...]) -> tuple[CategorySpec, ...]:
        _complete("category", "categories", [c.key for c in categories], HazardCategory, _category_names(categories))
        return categories

    def grade(self, key: HazardGrade) -> GradeSpec:
        """Return the entry of a grade."""
        return next(g for g in self.grades if g.key is key)

    def grade_of(self, text: str) -> HazardGrade | None:
        """Return the grade a word names: general/major, 一般/重大, 一般隐患, 重大事故隐患 … (spaces and case ignored)."""
        key = normalise_heading(text)
        return next((HazardGrade(k) for name, k in _grade_names(self.grades) if normalise_heading(name) == key), None)

    def category_of(self, text: str) -> HazardCategory | None:
        """Return the category a word names: people/things/environment/management, 人/物/环境/管理 …"""
        key = normalise_heading(text)
        return next((HazardCategory(k) for name, k in _category_names(self.categories) if normalise_heading(name) == key), None)

    def result_of(self, text: str) -> InspectionResult | None:
        """Return the result a word names (未发现隐患 / 发现隐患 …)."""
        key = normalise_heading(text)
        for result, words in ((InspectionResult.PASSED, self.result_words.passed),
                              (InspectionResult.FINDING, self.result_words.finding)):
            names = (*words, result.value, INSPECTION_RESULT_LABELS[result])
            if key in {normalise_heading(w) for w in names}:
                return result
        return None

    def grade_words(self) -> str:
        """Return the grade words to show in an error message."""
        return "/".join(g.aliases[0] if g.aliases else g.name for g in self.grades) + " (or " + "/".join(
            g.key.value for g in self.grades) + ")"

    def category_words(self) -> str:
        """Return the category words to show in an error message."""
        return "/".join(c.aliases[0] if c.aliases else c.key.value for c in self.categories) + " (or " + "/".join(
            c.key.value for c in self.categories) + ")"


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


def load_hazard_plan(plans_dir: Path | None = None) -> HazardPlan:
    """Load plans/hazards.yaml; a bad file fails with the file, the field and why."""
    path = (plans_dir or DEFAULT_PLANS_DIR) / HAZARDS_FILE
    data = read_yaml(path)
    try:
        return HazardPlan.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RulesError(str(path), describe_location(_named_by_key(data), first["loc"]) or None,
                         first["msg"].removeprefix("Value error, ")) from None
