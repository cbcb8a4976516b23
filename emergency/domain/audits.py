"""The 迟报/漏报/谎报/瞒报 audit: findings with rule and evidence (audit-timeline.md, "Findings")."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from emergency.clock import format_local
from emergency.domain.batching import gc_paused
from emergency.domain.enums import FindingType, ObligationKind, ObligationStatus, ReportKind, Severity
from emergency.domain.grading import grade, truth_as_of
from emergency.domain.incidents import Incident, Report, Signal, Timeline
from emergency.domain.obligations import Known, Obligation, as_known_at, compute_obligations
from emergency.labels import (
    EVIDENCE,
    FIELD_LABELS,
    OBLIGATION_LABELS,
    REPORT_KIND_LABELS,
    SEVERITY_LABELS,
    WHY_MISSING,
)
from emergency.plans.rules import ReportingRules, RuleRef

INITIAL_KINDS = frozenset({ObligationKind.INITIAL_PHONE, ObligationKind.INITIAL_WRITTEN})


@dataclass(frozen=True, slots=True)
class Finding:
    """One reporting failure, with the rule it breaks and evidence a person can check."""

    incident: str
    type: FindingType
    rule: str
    source: str
    evidence: str
    report: str | None = None
    obligation: ObligationKind | None = None
    due_at: datetime | None = None
    submitted_at: datetime | None = None
    minutes_late: int | None = None
    elements: tuple[str, ...] = ()
    drill: bool = False


@dataclass(frozen=True, slots=True)
class IncidentAudit:
    """An incident's obligations and findings at the audit instant."""

    incident: Incident
    obligations: tuple[Obligation, ...]
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts over real incidents only: drills never enter the statistics."""

    incidents: int = 0
    obligations: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    false: int = 0
    concealed: int = 0


@dataclass(frozen=True, slots=True)
class AuditResult:
    """The findings object of a whole timeline."""

    office: str
    audit_at: datetime
    incidents: tuple[IncidentAudit, ...]
    summary: Summary = field(default_factory=Summary)

    @property
    def findings(self) -> list[Finding]:
        """Return every finding, incident by incident."""
        return [f for audit in self.incidents for f in audit.findings]


def _fmt_figure(name: str, value: object) -> str:
    if name == "direct_loss_yuan":
        return f"{FIELD_LABELS[name]}{value}元"
    return f"{FIELD_LABELS[name]}{value}人"


def _minutes_between(earlier: datetime, later: datetime) -> int:
    return math.ceil((later - earlier).total_seconds() / 60)


def _concealment(known: Known, phone: Obligation, signals: Sequence[Signal], rules: ReportingRules,
                 drill: bool) -> Finding | None:
    """瞒报: no report when the initial deadline passed, and none by audit or only after exposure."""
    incident = known.incident
    if known.at <= phone.due_at:
        return None
    first = known.reports[0] if known.reports else None
    if first is not None and first.submitted_at <= phone.due_at:
        return None

    def concealed(evidence: str, report: Report | None = None) -> Finding:
        return Finding(incident=incident.id, type=FindingType.CONCEALED, rule=rules.concealed.rule,
                       source=rules.concealed.source, evidence=evidence, obligation=ObligationKind.INITIAL_PHONE,
                       due_at=phone.due_at, report=report.id if report else None,
                       submitted_at=report.submitted_at if report else None, drill=drill)

    if first is None:
        return concealed(EVIDENCE["concealed_never"].format(
            known=format_local(incident.known_at), due=format_local(phone.due_at), audit=format_local(known.at)))
    exposing = sorted((s for s in signals if s.at < first.submitted_at and s.at <= known.at),
                      key=lambda s: (s.at, s.id))  # ties by id: findings must not depend on input order
    if not exposing:
        return None
    signal = exposing[0]
    return concealed(EVIDENCE["concealed_exposed"].format(
        due=format_local(phone.due_at), source=signal.source, signal_at=format_local(signal.at),
        signal=signal.id, report=first.id, submitted=format_local(first.submitted_at)), first)


def _obligation_findings(known: Known, obligations: Iterable[Obligation], concealed: bool,
                         drill: bool) -> list[Finding]:
    """迟报 for every obligation met after its due time; 漏报 for every one due and never met (decision 2)."""
    found: list[Finding] = []
    for ob in obligations:
        label = OBLIGATION_LABELS[ob.kind]
        if ob.status is ObligationStatus.MET_LATE:
            assert ob.met_at is not None and ob.met_by is not None
            minutes = _minutes_between(ob.due_at, ob.met_at)
            found.append(Finding(
                incident=known.incident.id, type=FindingType.LATE, rule=ob.rule, source=ob.source,
                report=ob.met_by, obligation=ob.kind, due_at=ob.due_at, submitted_at=ob.met_at,
                minutes_late=minutes, drill=drill,
                evidence=EVIDENCE["late"].format(obligation=label, due=format_local(ob.due_at), report=ob.met_by,
                                                 submitted=format_local(ob.met_at), minutes=minutes)))
        elif ob.status is ObligationStatus.OVERDUE:
            if concealed and ob.kind in INITIAL_KINDS:
                continue  # decision 2: the concealed finding covers a concealed incident's initial obligations
            why = WHY_MISSING[ob.kind]
            if ob.changed:
                why += "：" + "、".join(FIELD_LABELS[name] for name in ob.changed) + f"于{format_local(ob.since)}变化"
            found.append(Finding(
                incident=known.incident.id, type=FindingType.MISSING, rule=ob.rule, source=ob.source,
                obligation=ob.kind, due_at=ob.due_at, drill=drill,
                evidence=EVIDENCE["missing_obligation"].format(
                    obligation=label, due=format_local(ob.due_at), why=why, audit=format_local(known.at))))
    return found


def _lower(stated: object, truth: object) -> bool:
    if not isinstance(stated, (int, Decimal)) or not isinstance(truth, (int, Decimal)):  # a tuple: faster than a union
        return False
    return stated < truth


def _report_findings(rules: ReportingRules, known: Known, drill: bool) -> list[Finding]:
    """谎报 and missing elements, report by report, judged against the truth at submission (decisions 5, 6)."""
    incident = known.incident
    falsehood = rules.false_statements
    found: list[Finding] = []
    last_stated: dict[str, object] = {}  # each figure as the latest earlier report stating it said it
    for report in known.reports:
        stated = report.stated
        if stated is None:  # content not on record: counts for timeliness only
            continue
        said = stated.stated_values()  # name -> value of everything the report states (Statement.states)
        truth = truth_as_of(known.truth, report.submitted_at)

        def false(ref: RuleRef, evidence: str, elements: tuple[str, ...] = (), report: Report = report) -> Finding:
            return Finding(incident=incident.id, type=FindingType.FALSE, rule=ref.rule, source=ref.source,
                           evidence=evidence, report=report.id, submitted_at=report.submitted_at,
                           elements=elements, drill=drill)

        if truth is not None:
            under = [n for n in falsehood.casualties.figures
                     if n in said and _lower(said[n], truth.figures.get(n))]
            if under:
                items = "、".join(f"{FIELD_LABELS[n]}{said[n]}（核实{truth.figures.get(n)}）" for n in under)
                found.append(false(falsehood.casualties, EVIDENCE["false_figures"].format(
                    report=report.id, submitted=format_local(report.submitted_at), items=items,
                    truth_at=format_local(truth.as_of)), tuple(under)))

        tolerance = falsehood.time_statement.tolerance_minutes
        for name, actual in (("occurred_at", incident.occurred_at), ("known_at", incident.known_at)):
            claimed = said.get(name)
            if not isinstance(claimed, datetime):
                continue
            if (claimed - actual).total_seconds() > tolerance * 60:
                found.append(false(falsehood.time_statement, EVIDENCE["false_time"].format(
                    report=report.id, field=FIELD_LABELS[name], stated=format_local(claimed),
                    actual=format_local(actual), minutes=_minutes_between(actual, claimed), tolerance=tolerance),
                    (name,)))

        severity = said.get("severity")
        if truth is not None and isinstance(severity, Severity):
            supported = grade(rules, incident.category, incident.type, truth.figures)
            if severity.rank < supported.rank:
                found.append(false(falsehood.severity, EVIDENCE["false_severity"].format(
                    report=report.id, stated=SEVERITY_LABELS[severity],
                    truth_at=format_local(truth.as_of), supported=SEVERITY_LABELS[supported]), ("severity",)))

        if not report.correction_note:
            lowered = [f"{FIELD_LABELS[name]}{said[name]}（此前报{last_stated.get(name)}）"
                       for name in falsehood.lowered_without_correction.figures
                       if name in said and _lower(said[name], last_stated.get(name))]
            if lowered:
                found.append(false(falsehood.lowered_without_correction,
                                   EVIDENCE["false_lowered"].format(report=report.id, items="、".join(lowered))))

        required = rules.required_elements[report.kind]
        lacking = [n for n in required.fields if n not in stated.not_on_record and n not in said]
        if truth is not None:
            lacking += [n for n in required.known_figures
                        if truth.figures.get(n) is not None and n not in stated.not_on_record and n not in said]
        if lacking:
            found.append(Finding(
                incident=incident.id, type=FindingType.MISSING, rule=required.rule, source=required.source,
                report=report.id, submitted_at=report.submitted_at, elements=tuple(lacking), drill=drill,
                evidence=EVIDENCE["missing_elements"].format(
                    report=report.id, kind=REPORT_KIND_LABELS[ReportKind(report.kind)],
                    submitted=format_local(report.submitted_at), elements="、".join(FIELD_LABELS[n] for n in lacking))))
        for name in falsehood.lowered_without_correction.figures:
            if name in said:
                last_stated[name] = said[name]
    return found


def audit_incident(rules: ReportingRules, incident: Incident, signals: Sequence[Signal],
                   at: datetime) -> IncidentAudit:
    """Return the incident's obligations and its findings as they stand at *at*."""
    known = as_known_at(incident, at)
    obligations = compute_obligations(rules, known)
    phone = next(o for o in obligations if o.kind is ObligationKind.INITIAL_PHONE)
    concealed = _concealment(known, phone, signals, rules, incident.drill)
    findings: list[Finding] = [concealed] if concealed else []
    findings += _obligation_findings(known, obligations, concealed is not None, incident.drill)
    findings += _report_findings(rules, known, incident.drill)
    return IncidentAudit(incident=incident, obligations=tuple(obligations), findings=tuple(findings))


def summarize(audits: Iterable[IncidentAudit]) -> Summary:
    """Count obligations and findings over real incidents; drills are left out."""
    counts = {"incidents": 0, "obligations": 0, "on_time": 0, "late": 0, "missing": 0, "false": 0, "concealed": 0}
    for audit in audits:
        if audit.incident.drill:
            continue
        counts["incidents"] += 1
        for ob in audit.obligations:
            if ob.status is not ObligationStatus.OPEN:
                counts["obligations"] += 1
            if ob.status is ObligationStatus.MET:
                counts["on_time"] += 1
        for finding in audit.findings:
            counts[finding.type.value] += 1
    return Summary(**counts)


def audit_timeline(rules: ReportingRules, timeline: Timeline) -> AuditResult:
    """Audit every incident of a timeline at its audit_at."""
    by_incident: dict[str, list[Signal]] = {}
    for signal in timeline.signals:
        if signal.incident is not None:
            by_incident.setdefault(signal.incident, []).append(signal)
    with gc_paused():
        audits = tuple(
            audit_incident(rules, incident, by_incident.get(incident.id, ()), timeline.audit_at)
            for incident in timeline.incidents
        )
    return AuditResult(office=timeline.office, audit_at=timeline.audit_at, incidents=audits,
                       summary=summarize(audits))
