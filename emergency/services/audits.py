"""Audit use cases: replay a timeline file, audit the database, export and import timelines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emergency.config import Settings
from emergency.domain.audits import AuditResult, audit_timeline
from emergency.plans.loader import load_rules
from emergency.plans.rules import ReportingRules
from emergency.timelines import findings_document, read_timeline


def rules_for(settings: Settings) -> ReportingRules:
    """Load the rules the settings name."""
    return load_rules(settings.plans_dir, settings.rules)


def replay_file(settings: Settings, path: Path) -> tuple[AuditResult, dict[str, Any]]:
    """Audit a timeline file; return the result and its findings document."""
    rules = rules_for(settings)
    result = audit_timeline(rules, read_timeline(rules, path))
    return result, findings_document(result)
