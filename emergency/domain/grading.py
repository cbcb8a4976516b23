"""Severity grading and the deadline tier an incident falls in (reporting-rules.md §2–3)."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from emergency.domain.enums import Category, Severity
from emergency.domain.incidents import Figures, Incident, TruthEntry
from emergency.plans.rules import GradeThreshold, GradingScheme, ReportingRules, Tier, condition_met


@dataclass(slots=True)
class _Lookups:
    """What grading looks up over and over for one (immutable) rules object, computed once per key."""

    levels: dict[tuple[Category, str], tuple[GradingScheme | None, tuple[GradeThreshold, ...]]] = field(
        default_factory=dict)
    sensitive: dict[str, bool] = field(default_factory=dict)
    tiers: dict[tuple[Category, str, Severity | None, Figures | None], Tier] = field(default_factory=dict)


_TIER_MEMO_LIMIT = 100_000
"""Tiers remembered per rules object; distinct (type, grade set by hand, figures) keys beyond it start afresh."""

_LOOKUPS: dict[int, _Lookups] = {}


def _lookups(rules: ReportingRules) -> _Lookups:
    """Return the lookups of *rules*; the entry goes when the rules object does, so an id is never reused stale."""
    found = _LOOKUPS.get(id(rules))
    if found is None:
        found = _LOOKUPS[id(rules)] = _Lookups()
        weakref.finalize(rules, _LOOKUPS.pop, id(rules), None)
    return found


def _scheme_for(rules: ReportingRules, category: Category, type_code: str) -> GradingScheme | None:
    """Return the grading scheme for a type, preferring one that names the type over a category-wide one."""
    general: GradingScheme | None = None
    for scheme in rules.grading:
        if scheme.category != category:
            continue
        if type_code in scheme.types:
            return scheme
        if not scheme.types and general is None:
            general = scheme
    return general


def grade(rules: ReportingRules, category: Category, type_code: str, figures: Figures | None) -> Severity:
    """Return the severity the figures support; 一般 (IV) where no threshold is reached or none applies."""
    memo = _lookups(rules).levels
    key = (category, type_code)
    if key not in memo:
        found = _scheme_for(rules, category, type_code)
        memo[key] = (found, tuple(sorted(found.levels, key=lambda lv: -lv.severity.rank)) if found else ())
    scheme, levels = memo[key]
    if scheme is None or figures is None:
        return Severity.IV
    dead = (figures.deaths or 0) + (figures.missing or 0)  # Order 493 Art. 3: deaths include the missing
    for level in levels:  # most severe first
        if (
            (level.deaths_incl_missing is not None and dead >= level.deaths_incl_missing)
            or (
                level.serious_injuries is not None
                and (figures.serious_injuries or 0) >= level.serious_injuries
            )
            or (
                level.direct_loss_yuan is not None
                and figures.direct_loss_yuan is not None
                and figures.direct_loss_yuan >= level.direct_loss_yuan
            )
        ):
            return level.severity
    return Severity.IV


def truth_as_of(truth: Sequence[TruthEntry], at: datetime) -> TruthEntry | None:
    """Return the latest truth entry whose as_of is not after *at* (truth sorted by as_of)."""
    found: TruthEntry | None = None
    for entry in truth:
        if entry.as_of <= at:
            found = entry
        else:
            break
    return found


def is_sensitive(rules: ReportingRules, type_code: str) -> bool:
    """Return whether the catalogue marks the type as reported whatever its grade."""
    memo = _lookups(rules).sensitive
    if type_code not in memo:
        entry = rules.event_type(type_code)
        memo[type_code] = bool(entry and entry.sensitive)
    return memo[type_code]


def deadline_severity(rules: ReportingRules, incident: Incident, figures: Figures | None) -> Severity:
    """Return the severity that sets deadlines: the grade, a hand-set grade, and 较大涉险 (decision 7)."""
    severity = grade(rules, incident.category, incident.type, figures)
    if incident.severity_override is not None and incident.severity_override.rank > severity.rank:
        severity = incident.severity_override
    exposure = rules.risk_exposure
    if figures is not None and incident.category in exposure.categories:
        at_risk = (figures.trapped or 0) + (figures.missing or 0)
        if at_risk >= exposure.trapped_or_missing_at_least and exposure.min_severity.rank > severity.rank:
            severity = exposure.min_severity
    return severity


def tier_for(rules: ReportingRules, incident: Incident, figures: Figures | None) -> Tier:
    """Return the first deadline tier whose condition the incident meets with these figures."""
    # The tier depends only on these (and the immutable rules); the audit asks for it many times per incident.
    memo = _lookups(rules).tiers
    key = (incident.category, incident.type, incident.severity_override, figures)
    tier = memo.get(key)
    if tier is None:
        if len(memo) >= _TIER_MEMO_LIMIT:
            memo.clear()
        tier = memo[key] = _tier_for(rules, incident, figures)
    return tier


def _tier_for(rules: ReportingRules, incident: Incident, figures: Figures | None) -> Tier:
    severity = deadline_severity(rules, incident, figures)
    hits = {
        "deaths": bool(figures and (figures.deaths or 0) > 0),
        "missing": bool(figures and (figures.missing or 0) > 0),
        "sensitive": is_sensitive(rules, incident.type),
    }
    return next((tier for tier in rules.tiers if condition_met(tier.when, severity, hits)),
                rules.tiers[-1])  # the last tier is validated to apply always
