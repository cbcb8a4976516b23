"""emergency: what a Changchun street office needs to do Article 27: report on time, truthfully, completely."""

from emergency.clock import CN_TZ, FixedClock, SystemClock
from emergency.config import Settings, load_settings
from emergency.domain.audits import AuditResult, Finding, audit_incident, audit_timeline
from emergency.errors import EmergencyError, InputError, RulesError
from emergency.plans.loader import load_rules

__all__ = [
    "CN_TZ",
    "AuditResult",
    "EmergencyError",
    "Finding",
    "FixedClock",
    "InputError",
    "RulesError",
    "Settings",
    "SystemClock",
    "audit_incident",
    "audit_timeline",
    "load_rules",
    "load_settings",
]
