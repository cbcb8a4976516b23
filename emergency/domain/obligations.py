"""Reporting obligations of one incident at one instant (audit-timeline.md, decisions 1, 2, 4 and 7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from emergency.domain.enums import FIGURES, Channel, ObligationKind, ObligationStatus, ReportKind
from emergency.domain.grading import tier_for, truth_as_of
from emergency.domain.incidents import Figures, Incident, Report, TruthEntry
from emergency.plans.rules import Cadence, Deadline, ReportingRules, Tier

WRITTEN_CHANNELS = frozenset({Channel.WRITTEN, Channel.PLATFORM, Channel.UNKNOWN})
"""Decision 1: the written obligation is met by the first written, platform or unknown report."""


@dataclass(frozen=True, slots=True)
class Obligation:
    """A report the office owes: what, by when, under which rule, and whether it was made."""

    kind: ObligationKind
    due_at: datetime
    rule: str
    source: str
    since: datetime
    status: ObligationStatus
    met_by: str | None = None
    met_at: datetime | None = None
    changed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Known:
    """An incident restricted to what had happened by the audit instant, sorted by time."""

    incident: Incident
    at: datetime
    truth: tuple[TruthEntry, ...]
    reports: tuple[Report, ...]
    closed_at: datetime | None


def as_known_at(incident: Incident, at: datetime) -> Known:
    """Keep only the facts, reports and closure that exist at *at*; sort them by time (stable)."""
    truth = tuple(sorted((t for t in incident.truth if t.as_of <= at), key=lambda t: t.as_of))
    reports = tuple(sorted((r for r in incident.reports if r.submitted_at <= at), key=lambda r: r.submitted_at))
    closed = incident.closed_at if incident.closed_at is not None and incident.closed_at <= at else None
    return Known(incident, at, truth, reports, closed)


def _status(due: datetime, met_at: datetime | None, at: datetime) -> ObligationStatus:
    if met_at is not None:
        return ObligationStatus.MET if met_at <= due else ObligationStatus.MET_LATE
    # Decision 1: exactly at the due time is still on time, so the obligation is overdue only after it.
    return ObligationStatus.OVERDUE if at > due else ObligationStatus.OPEN


def _initial(
    rules: ReportingRules, known: Known, kind: ObligationKind, met: Report | None
) -> Obligation:
    """The initial phone or written obligation, tightened by any later rise in grade (decision 7)."""
    incident = known.incident

    def deadline_for(figures: Figures | None) -> Deadline:
        tier = tier_for(rules, incident, figures)
        if kind is ObligationKind.INITIAL_PHONE:
            return tier.phone
        written = tier.written
        for cap in rules.category_caps:
            # The category's cap binds when it is no later than the tier's own written deadline.
            if cap.category == incident.category and cap.written_minutes <= written.minutes:
                written = Deadline(rule=cap.id, minutes=cap.written_minutes, source=cap.source)
        return written

    start = truth_as_of(known.truth, incident.known_at)
    deadline = deadline_for(start.figures if start else None)
    due = incident.known_at + timedelta(minutes=deadline.minutes)
    rule, source = deadline.rule, deadline.source
    met_at = met.submitted_at if met else None
    for entry in known.truth:
        if entry.as_of <= incident.known_at:
            continue
        if met_at is not None and met_at <= entry.as_of:
            break  # obligations already met are not re-opened
        raised = deadline_for(entry.figures)
        candidate = entry.as_of + timedelta(minutes=raised.minutes)
        if candidate < due:
            due, rule, source = candidate, raised.rule, raised.source
    return Obligation(
        kind=kind,
        due_at=due,
        rule=rule,
        source=source,
        since=incident.known_at,
        status=_status(due, met_at, known.at),
        met_by=met.id if met else None,
        met_at=met_at,
    )


def _first_after(reports: tuple[Report, ...], after: datetime) -> Report | None:
    for report in reports:
        if report.submitted_at > after:
            return report
    return None


def _urgency(rules: ReportingRules, tier: Tier) -> int:
    return next(n for n, t in enumerate(rules.tiers) if t.id == tier.id)


def _tier_since_known(rules: ReportingRules, known: Known, at: datetime) -> Tier:
    """Return the most urgent tier of the grade at known_at and every later rise up to *at* (decision 7):
    a grade is raised by later truth, never lowered."""
    incident = known.incident
    tier = tier_for(rules, incident, _figures(truth_as_of(known.truth, incident.known_at)))
    for entry in known.truth:
        if entry.as_of <= incident.known_at:
            continue
        if entry.as_of > at:
            break
        raised = tier_for(rules, incident, entry.figures)
        if _urgency(rules, raised) < _urgency(rules, tier):
            tier = raised
    return tier


def _cadence_due(rules: ReportingRules, known: Known, anchor: datetime) -> tuple[datetime, Cadence] | None:
    """Return when the next follow-up falls due counting from *anchor*, or None without a cadence.
    A later rise in grade starts its shorter cadence from that truth's as_of (decision 7)."""
    best: tuple[datetime, Cadence] | None = None
    cadence = _tier_since_known(rules, known, anchor).cadence
    if cadence is not None:
        best = (anchor + timedelta(hours=cadence.hours), cadence)
    for entry in known.truth:
        if entry.as_of <= anchor:
            continue
        if best is not None and entry.as_of >= best[0]:
            break
        raised = tier_for(rules, known.incident, entry.figures).cadence
        if raised is not None:
            candidate = entry.as_of + timedelta(hours=raised.hours)
            if best is None or candidate < best[0]:
                best = (candidate, raised)
    return best


def _cadence(rules: ReportingRules, known: Known, first: Report) -> list[Obligation]:
    """Follow-ups at the tier's cadence while the incident is open (decision 4).

    The clock counts from the later of the previous report and the previous due time. A report before the
    due time restarts the clock, so no obligation falls due; a due time that passes is one obligation,
    met late by a report before the next due time, or missing (each due never made is one finding).
    """
    found: list[Obligation] = []
    anchor = first.submitted_at
    while True:
        step = _cadence_due(rules, known, anchor)
        if step is None:
            return found
        due, cadence = step
        if known.closed_at is not None and due >= known.closed_at:
            return found  # only while the incident is open
        report = _first_after(known.reports, anchor)
        if report is not None and report.submitted_at < due:
            anchor = report.submitted_at  # reported in time: the clock restarts, nothing fell due
            continue
        if report is None and due >= known.at:
            found.append(Obligation(ObligationKind.FOLLOW_UP_CADENCE, due, cadence.rule, cadence.source, anchor,
                                    ObligationStatus.OPEN))
            return found
        following = _cadence_due(rules, known, due)
        late_by = report if report is not None and (following is None or report.submitted_at <= following[0]) else None
        met_at = late_by.submitted_at if late_by else None
        found.append(Obligation(
            kind=ObligationKind.FOLLOW_UP_CADENCE,
            due_at=due,
            rule=cadence.rule,
            source=cadence.source,
            since=anchor,
            status=_status(due, met_at, known.at),
            met_by=late_by.id if late_by else None,
            met_at=met_at,
        ))
        anchor = late_by.submitted_at if late_by else due


def _figures(entry: TruthEntry | None) -> Figures | None:
    return entry.figures if entry else None


def changed_figures(before: Figures, after: Figures) -> tuple[str, ...]:
    """Return the figures *after* knows and that differ from *before* (unknown is not a change)."""
    return tuple(
        name for name in FIGURES
        if after.get(name) is not None and after.get(name) != before.get(name)
    )


def end_of_local_day(at: datetime, tz: ZoneInfo) -> datetime:
    """Return 24:00 of *at*'s day in *tz*."""
    local = at.astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight + timedelta(days=1)).replace(tzinfo=tz)


def _casualty_changes(rules: ReportingRules, known: Known, first: Report) -> list[Obligation]:
    """A change in the figures after the previous report, inside the window, is due the same day."""
    incident = known.incident
    rule = rules.casualty_change
    days = rule.window_days_by_type.get(incident.type, rule.window_days)
    window_end = incident.occurred_at + timedelta(days=days)
    tz = ZoneInfo(rules.timezone)
    found: list[Obligation] = []
    for before, entry in zip(known.truth, known.truth[1:], strict=False):
        if entry.as_of > window_end or entry.as_of <= first.submitted_at:
            continue  # before any report the initial report covers it; after the window no follow-up
        changed = changed_figures(before.figures, entry.figures)
        if not changed:
            continue
        due = max(end_of_local_day(entry.as_of, tz), entry.as_of + timedelta(hours=rule.min_hours_after_change))
        # A report at the very instant of the change is judged against it (decision 5), so it covers it.
        report = next((r for r in known.reports if r.submitted_at >= entry.as_of), None)
        met_at = report.submitted_at if report else None
        found.append(Obligation(
            kind=ObligationKind.FOLLOW_UP_CHANGE,
            due_at=due,
            rule=rule.rule,
            source=rule.source,
            since=entry.as_of,
            status=_status(due, met_at, known.at),
            met_by=report.id if report else None,
            met_at=met_at,
            changed=changed,
        ))
    return found


def _final(rules: ReportingRules, known: Known) -> Obligation | None:
    if known.closed_at is None:
        return None
    due = known.closed_at + timedelta(hours=rules.final.hours_after_closure)
    report = next((r for r in known.reports if r.kind is ReportKind.FINAL), None)
    met_at = report.submitted_at if report else None
    return Obligation(
        kind=ObligationKind.FINAL,
        due_at=due,
        rule=rules.final.rule,
        source=rules.final.source,
        since=known.closed_at,
        status=_status(due, met_at, known.at),
        met_by=report.id if report else None,
        met_at=met_at,
    )


def compute_obligations(rules: ReportingRules, known: Known) -> list[Obligation]:
    """Return every reporting obligation of the incident as it stands at *known.at*, in due order."""
    reports = known.reports
    first = reports[0] if reports else None
    first_written = next((r for r in reports if r.channel in WRITTEN_CHANNELS), None)
    found = [
        _initial(rules, known, ObligationKind.INITIAL_PHONE, first),
        _initial(rules, known, ObligationKind.INITIAL_WRITTEN, first_written),
    ]
    if first is not None:
        # Decision 4: neither follow-ups nor the final report are due before an initial report exists.
        found += _cadence(rules, known, first)
        found += _casualty_changes(rules, known, first)
        final = _final(rules, known)
        if final is not None:
            found.append(final)
    found.sort(key=lambda o: o.due_at)
    return found
