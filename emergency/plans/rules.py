"""The reporting rules' schema: every number with its rule id and legal source."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from emergency.domain.enums import Category, ReportKind, Severity


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RuleRef(_Data):
    """A rule without numbers: its id and source."""

    rule: str = Field(min_length=1)
    source: str = Field(min_length=1)


class Deadline(_Data):
    """A deadline in minutes, with its rule and source."""

    rule: str = Field(min_length=1)
    minutes: int = Field(gt=0)
    source: str = Field(min_length=1)


class Cadence(_Data):
    """A follow-up cadence while the incident is open."""

    rule: str = Field(min_length=1)
    hours: float = Field(gt=0)
    source: str = Field(min_length=1)


class TierCondition(_Data):
    """When a tier applies: a minimum severity, or any of deaths, missing, sensitive, or always."""

    min_severity: Severity | None = None
    any_of: tuple[Literal["deaths", "missing", "sensitive"], ...] = ()


def condition_met(when: TierCondition, severity: Severity, hits: dict[str, bool]) -> bool:
    """Return whether a tier's or response level's condition holds: always, a minimum grade, or any named fact."""
    if when.min_severity is None and not when.any_of:
        return True
    if when.min_severity is not None and severity.rank >= when.min_severity.rank:
        return True
    return any(hits[name] for name in when.any_of)


class Tier(_Data):
    """One row of the deadline table."""

    id: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    when: TierCondition
    phone: Deadline
    written: Deadline
    cadence: Cadence | None = None


class CategoryCap(_Data):
    """A category's cap on the written deadline."""

    id: str = Field(min_length=1)
    category: Category
    written_minutes: int = Field(gt=0)
    source: str = Field(min_length=1)


class RiskExposure(RuleRef):
    """较大涉险: enough trapped or unaccounted-for persons raise the deadlines to a minimum grade."""

    rule: str = Field(min_length=1)
    categories: tuple[Category, ...]
    trapped_or_missing_at_least: int = Field(gt=0)
    min_severity: Severity
    source: str = Field(min_length=1)


class CasualtyChange(RuleRef):
    """The casualty-change follow-up: window and same-day deadline."""

    rule: str = Field(min_length=1)
    window_days: float = Field(gt=0)
    window_days_by_type: dict[str, float] = Field(default_factory=dict)
    min_hours_after_change: float = Field(ge=0)
    source: str = Field(min_length=1)


class FinalReport(RuleRef):
    """The final report's window after closure."""

    rule: str = Field(min_length=1)
    hours_after_closure: float = Field(gt=0)
    source: str = Field(min_length=1)


StatedField = Literal[
    "occurred_at", "known_at", "location", "severity", "summary", "measures",
    "deaths", "missing", "trapped", "serious_injuries", "injuries", "direct_loss_yuan",
]
FigureName = Literal["deaths", "missing", "trapped", "serious_injuries", "injuries", "direct_loss_yuan"]


class RequiredElements(RuleRef):
    """Elements a report of one kind must contain."""

    rule: str = Field(min_length=1)
    fields: tuple[StatedField, ...] = ()
    known_figures: tuple[FigureName, ...] = ()
    source: str = Field(min_length=1)


class CasualtyFalsehood(RuleRef):
    """Figures that must not be stated lower than the truth."""

    rule: str = Field(min_length=1)
    figures: tuple[FigureName, ...]
    source: str = Field(min_length=1)


class TimeStatement(RuleRef):
    """How much later than the truth a stated time may be."""

    rule: str = Field(min_length=1)
    tolerance_minutes: int = Field(ge=0)
    source: str = Field(min_length=1)


class FalseStatements(_Data):
    """The 谎报 rules."""

    casualties: CasualtyFalsehood
    time_statement: TimeStatement
    severity: RuleRef
    lowered_without_correction: CasualtyFalsehood


class GradeThreshold(_Data):
    """One grade's thresholds: any one reached is enough ("以上" includes the number)."""

    severity: Severity
    deaths_incl_missing: int | None = Field(default=None, gt=0)
    serious_injuries: int | None = Field(default=None, gt=0)
    direct_loss_yuan: int | None = Field(default=None, gt=0)


class GradingScheme(_Data):
    """Severity thresholds for a category, or for some of its types."""

    id: str = Field(min_length=1)
    category: Category
    types: tuple[str, ...] = ()
    source: str = Field(min_length=1)
    levels: tuple[GradeThreshold, ...]


class CategoryInfo(_Data):
    """A category's display name."""

    code: Category
    name_zh: str


class EventType(_Data):
    """An entry of the event catalogue."""

    code: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    category: Category
    name_zh: str = Field(min_length=1)
    sensitive: bool = False
    note: str | None = None


class ReportingRules(_Data):
    """Every reporting rule the office applies, loaded from plans/ and a district's overrides."""

    version: int
    name: str
    timezone: str = "Asia/Shanghai"
    tiers: tuple[Tier, ...] = Field(min_length=1)
    category_caps: tuple[CategoryCap, ...] = ()
    risk_exposure: RiskExposure
    casualty_change: CasualtyChange
    final: FinalReport
    required_elements: dict[ReportKind, RequiredElements]
    false_statements: FalseStatements
    late: RuleRef
    concealed: RuleRef
    grading: tuple[GradingScheme, ...] = ()
    categories: tuple[CategoryInfo, ...] = ()
    event_types: tuple[EventType, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> ReportingRules:
        if self.tiers[-1].when != TierCondition():
            raise ValueError("the last tier must apply always (when: {}) so that every incident has deadlines")
        codes = [t.code for t in self.event_types]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"event type codes appear twice: {', '.join(dupes)}")
        for kind in ReportKind:
            if kind not in self.required_elements:
                raise ValueError(f"required_elements has no entry for report kind {kind.value!r}")
        for scheme in self.grading:
            unknown = [t for t in scheme.types if t not in codes]
            if unknown:
                raise ValueError(f"grading {scheme.id} names unknown event types: {', '.join(unknown)}")
        return self

    def event_type(self, code: str) -> EventType | None:
        """Return the catalogue entry for *code*, or None."""
        for entry in self.event_types:
            if entry.code == code:
                return entry
        return None

    def all_rules(self) -> dict[str, str]:
        """Return every rule id with its legal source."""
        found: dict[str, str] = {}
        for tier in self.tiers:
            found[tier.phone.rule] = tier.phone.source
            found[tier.written.rule] = tier.written.source
            if tier.cadence:
                found[tier.cadence.rule] = tier.cadence.source
        for cap in self.category_caps:
            found[cap.id] = cap.source
        for ref in (
            self.risk_exposure, self.casualty_change, self.final, self.late, self.concealed,
            self.false_statements.casualties, self.false_statements.time_statement,
            self.false_statements.severity, self.false_statements.lowered_without_correction,
            *self.required_elements.values(),
        ):
            found[ref.rule] = ref.source
        for scheme in self.grading:
            found[scheme.id] = scheme.source
        return found

