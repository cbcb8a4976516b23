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


class RiskLevel(StrEnum):
    """Risk level of a hazard source (安全风险分级：重大/较大/一般/低, shown 红/橙/黄/蓝)."""

    MAJOR = "major"
    SIGNIFICANT = "significant"
    GENERAL = "general"
    LOW = "low"


class InspectionStatus(StrEnum):
    """Where a planned inspection stands."""

    DUE = "due"
    DONE = "done"
    MISSED = "missed"


class InspectionResult(StrEnum):
    """What an inspection found: nothing, or a finding that becomes a hazard."""

    PASSED = "passed"
    FINDING = "finding"


class HazardGrade(StrEnum):
    """Grades of a hazard (隐患) under 国家安监总局令第16号 第三条: 一般事故隐患 and 重大事故隐患."""

    GENERAL = "general"
    MAJOR = "major"


class HazardCategory(StrEnum):
    """What a hazard lies in: 人的不安全行为, 物的危险状态, 环境的不安全因素, 管理上的缺陷."""

    PEOPLE = "people"
    THINGS = "things"
    ENVIRONMENT = "environment"
    MANAGEMENT = "management"


class HazardStatus(StrEnum):
    """A hazard from finding to 销号."""

    OPEN = "open"
    EXTENSION_REQUESTED = "extension_requested"
    REPORTED_FIXED = "reported_fixed"
    CLOSED = "closed"


class HazardAction(StrEnum):
    """One recorded step of a hazard's life (who did what, when)."""

    FOUND = "found"
    NOTICE_ISSUED = "notice_issued"
    REPORTED_TO_DISTRICT = "reported_to_district"
    EXTENSION_REQUESTED = "extension_requested"
    EXTENSION_APPROVED = "extension_approved"
    EXTENSION_REFUSED = "extension_refused"
    FIX_REPORTED = "fix_reported"
    VERIFIED = "verified"
    REVERIFY_FAILED = "reverify_failed"
    CLOSED = "closed"
    ESCALATED = "escalated"


class CapStatus(StrEnum):
    """CAP 1.2 `status`: only Actual is real; the others are recorded and never acted on as real."""

    ACTUAL = "Actual"
    EXERCISE = "Exercise"
    SYSTEM = "System"
    TEST = "Test"
    DRAFT = "Draft"


class CapMsgType(StrEnum):
    """CAP 1.2 `msgType`."""

    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"
    ACK = "Ack"
    ERROR = "Error"


class CapScope(StrEnum):
    """CAP 1.2 `scope`."""

    PUBLIC = "Public"
    RESTRICTED = "Restricted"
    PRIVATE = "Private"


class CapSeverity(StrEnum):
    """CAP 1.2 `severity`."""

    EXTREME = "Extreme"
    SEVERE = "Severe"
    MODERATE = "Moderate"
    MINOR = "Minor"
    UNKNOWN = "Unknown"


class CapUrgency(StrEnum):
    """CAP 1.2 `urgency`."""

    IMMEDIATE = "Immediate"
    EXPECTED = "Expected"
    FUTURE = "Future"
    PAST = "Past"
    UNKNOWN = "Unknown"


class CapCertainty(StrEnum):
    """CAP 1.2 `certainty`."""

    OBSERVED = "Observed"
    LIKELY = "Likely"
    POSSIBLE = "Possible"
    UNLIKELY = "Unlikely"
    UNKNOWN = "Unknown"


class WarningLevel(StrEnum):
    """The four colour levels of an early warning (蓝/黄/橙/红, 四级预警), blue the lowest."""

    BLUE = "blue"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"

    @property
    def rank(self) -> int:
        """Return 1 for blue up to 4 for red, so that a higher rank is more serious."""
        return _WARNING_LEVEL_RANKS[self]


_WARNING_LEVEL_RANKS = {WarningLevel.BLUE: 1, WarningLevel.YELLOW: 2, WarningLevel.ORANGE: 3, WarningLevel.RED: 4}


class WarningOrigin(StrEnum):
    """Where a warning came from: an upstream CAP message, the office's own monitoring, or issued by hand."""

    UPSTREAM = "upstream"
    MONITORING = "monitoring"
    OWN = "own"


class WarningStatus(StrEnum):
    """A warning's state: active until lifted (解除) or cancelled (withdrawn as issued in error)."""

    ACTIVE = "active"
    LIFTED = "lifted"
    CANCELLED = "cancelled"


class WarningAction(StrEnum):
    """What a message or a decision did to a warning (stored on cap_messages and warning_events)."""

    ISSUED = "issued"
    UPDATED = "updated"
    RAISED = "raised"
    LOWERED = "lowered"
    LIFTED = "lifted"
    CANCELLED = "cancelled"
    IGNORED = "ignored"


class AreaMatch(StrEnum):
    """Whether a message's areas cover the office's area."""

    MATCHED = "matched"
    OUTSIDE = "outside"
    UNSPECIFIED = "unspecified"


class RecipientKind(StrEnum):
    """Who a warning notice is passed down to."""

    COMMUNITY = "community"
    GRID = "grid"


class AckChannel(StrEnum):
    """How a warning notice was acknowledged."""

    CLI = "cli"
    CALLBACK = "callback"


class MonitoringKind(StrEnum):
    """What a monitoring point measures."""

    WATER_LEVEL = "water_level"
    GAS_CONCENTRATION = "gas_concentration"
    RAINFALL = "rainfall"


class PlanKind(StrEnum):
    """The general plan (总体应急预案) or a special plan (专项应急预案)."""

    GENERAL = "general"
    SPECIAL = "special"


class PlanReviewReason(StrEnum):
    """Why a plan version is due for review: its cycle ran out, or a drill or an incident exposed a gap."""

    CYCLE = "cycle"
    DRILL_GAP = "drill_gap"
    INCIDENT_GAP = "incident_gap"


class DrillKind(StrEnum):
    """桌面推演 (tabletop) or 实战演练 (field)."""

    TABLETOP = "tabletop"
    FIELD = "field"


class DrillStatus(StrEnum):
    """Where a drill stands."""

    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


class SupplyMovementKind(StrEnum):
    """Why book stock changed; the movement's signed quantity carries the direction."""

    IN = "in"
    OUT = "out"
    ISSUED = "issued"
    RETURNED = "returned"
    WRITTEN_OFF = "written_off"
    STOCKTAKE_ADJUST = "stocktake_adjust"


class SupportKind(StrEnum):
    """What the office asks the district for (人、财、物)."""

    PEOPLE = "people"
    FUNDS = "funds"
    MATERIALS = "materials"


class SupportStatus(StrEnum):
    """A support request from 请示 to its answer and close."""

    REQUESTED = "requested"
    ANSWERED = "answered"
    PARTLY_ANSWERED = "partly_answered"
    REFUSED = "refused"
    CLOSED = "closed"
