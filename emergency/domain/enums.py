"""Stable ASCII codes stored in the database and exchanged in files; Chinese labels live in labels.py."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """Event categories after GB/T 35561-2017 and the national general plan."""

    NATURAL_DISASTER = "natural_disaster"
    ACCIDENT = "accident"
    PUBLIC_HEALTH = "public_health"
    SOCIAL_SECURITY = "social_security"


class Severity(StrEnum):
    """Grades I (特别重大) to IV (一般)."""

    I = "I"  # noqa: E741 - the statute's own name for the grade
    II = "II"
    III = "III"
    IV = "IV"

    @property
    def rank(self) -> int:
        """Return 4 for I down to 1 for IV, so that a higher rank is more severe."""
        return _SEVERITY_RANKS[self]


_SEVERITY_RANKS = {Severity.I: 4, Severity.II: 3, Severity.III: 2, Severity.IV: 1}


class ReportKind(StrEnum):
    """首报, 续报, 终报."""

    INITIAL = "initial"
    FOLLOW_UP = "follow_up"
    FINAL = "final"


class Channel(StrEnum):
    """How a report reached the district."""

    PHONE = "phone"
    WRITTEN = "written"
    PLATFORM = "platform"
    UNKNOWN = "unknown"


class FindingType(StrEnum):
    """The four failures of Article 27 (迟报, 漏报, 谎报, 瞒报)."""

    LATE = "late"
    MISSING = "missing"
    FALSE = "false"
    CONCEALED = "concealed"


class ObligationKind(StrEnum):
    """What a reporting obligation asks for."""

    INITIAL_PHONE = "initial/phone"
    INITIAL_WRITTEN = "initial/written"
    FOLLOW_UP_CADENCE = "follow_up/cadence"
    FOLLOW_UP_CHANGE = "follow_up/casualty_change"
    FINAL = "final"


class ObligationStatus(StrEnum):
    """Where an obligation stands at a given instant."""

    MET = "met"
    MET_LATE = "met_late"
    OPEN = "open"
    OVERDUE = "overdue"


FIGURES: tuple[str, ...] = ("deaths", "missing", "trapped", "serious_injuries", "injuries", "direct_loss_yuan")
"""The truth's figures, in the order of the timeline format."""

STATED_FIELDS: tuple[str, ...] = (
    "occurred_at",
    "known_at",
    "location",
    "severity",
    "summary",
    "measures",
    *FIGURES,
)
"""Everything a report can state."""
