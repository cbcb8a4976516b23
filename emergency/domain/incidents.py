"""Incident values as the audit sees them: facts, reports and other channels' signals."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal

from emergency.domain.enums import STATED_FIELDS, Category, Channel, ReportKind, Severity

Figure = int | Decimal | None


@dataclass(frozen=True, slots=True)
class Figures:
    """Casualty and loss figures; None means not (yet) known or not stated."""

    deaths: int | None = None
    missing: int | None = None
    trapped: int | None = None
    serious_injuries: int | None = None
    injuries: int | None = None
    direct_loss_yuan: Decimal | None = None

    def get(self, name: str) -> int | Decimal | None:
        """Return the figure called *name*."""
        value: int | Decimal | None = getattr(self, name)
        return value


FIGURE_FIELDS = frozenset(f.name for f in fields(Figures))
"""The names Figures holds."""


@dataclass(frozen=True, slots=True)
class TruthEntry:
    """Verified facts, valid from *as_of*."""

    as_of: datetime
    figures: Figures


@dataclass(frozen=True, slots=True)
class Statement:
    """What a report said. A field is None when the report did not say it."""

    figures: Figures = field(default_factory=Figures)
    occurred_at: datetime | None = None
    known_at: datetime | None = None
    location: str | None = None
    severity: Severity | None = None
    summary: str | None = None
    measures: str | None = None
    not_on_record: frozenset[str] = frozenset()

    def states(self, name: str) -> bool:
        """Return whether the report said something for *name* (a field or a figure)."""
        if name in self.not_on_record:
            return False
        value = getattr(self.figures, name) if name in FIGURE_FIELDS else self.value(name)
        return value not in (None, "")

    def stated_values(self) -> dict[str, object]:
        """Return {name: value(name)} for every name of STATED_FIELDS that states(name) is true for: the audit
        reads a statement once instead of asking field by field."""
        figures, off_record = self.figures, self.not_on_record
        return {
            name: value for name in STATED_FIELDS
            if name not in off_record
            and (value := getattr(figures, name) if name in FIGURE_FIELDS else getattr(self, name)) not in (None, "")
        }

    def value(self, name: str) -> object:
        """Return the stated value of a field or figure."""
        if name in FIGURE_FIELDS:  # the common case, without hasattr (the audit asks millions of times)
            return getattr(self.figures, name)
        if hasattr(self.figures, name):
            return self.figures.get(name)
        return getattr(self, name)


@dataclass(frozen=True, slots=True)
class Report:
    """One report to the district; *stated* is None when its content is not on record."""

    id: str
    kind: ReportKind
    channel: Channel
    to: str
    submitted_at: datetime
    stated: Statement | None
    correction_note: str | None = None
    corrects: str | None = None


@dataclass(frozen=True, slots=True)
class Signal:
    """What another channel (12345, 110, media …) learned, and when."""

    id: str
    source: str
    at: datetime
    incident: str | None
    summary: str = ""


@dataclass(frozen=True, slots=True)
class Incident:
    """One public emergency as recorded: facts as they became known, and what was reported."""

    id: str
    category: Category
    type: str
    title: str
    location: str
    occurred_at: datetime
    known_at: datetime
    closed_at: datetime | None
    drill: bool
    truth: tuple[TruthEntry, ...]
    reports: tuple[Report, ...]
    severity_override: Severity | None = None
    severity_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Timeline:
    """An office's incidents, reports and signals, to be audited at *audit_at*."""

    office: str
    audit_at: datetime
    incidents: tuple[Incident, ...]
    signals: tuple[Signal, ...]
