"""The `emergency-timeline/1` exchange format: parse and check it, and print findings as `emergency-findings/1`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, ValidationError

from emergency.clock import isoformat_local
from emergency.domain.audits import AuditResult, Finding
from emergency.domain.batching import gc_paused
from emergency.domain.enums import Category, Channel, ReportKind, Severity
from emergency.domain.incidents import Figures, Incident, Report, Signal, Statement, Timeline, TruthEntry
from emergency.errors import InputError
from emergency.labels import FINDING_LABELS
from emergency.plans.rules import ReportingRules, StatedField

M = TypeVar("M", bound=BaseModel)

TIMELINE_FORMAT = "emergency-timeline/1"
FINDINGS_FORMAT = "emergency-findings/1"


def parse_aware(value: object) -> datetime:
    """Parse an ISO 8601 time that carries its UTC offset; a time without one is an error, never guessed."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"not an ISO 8601 time: {value!r}") from None
    else:
        raise ValueError(f"expected an ISO 8601 time with offset, got {type(value).__name__}")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"time {value!s} has no UTC offset (write e.g. 2026-03-01T08:10:00+08:00)")
    return parsed


SEVERITY_ALIASES = {
    "特别重大": "I", "重大": "II", "较大": "III", "一般": "IV",
    "Ⅰ": "I", "Ⅱ": "II", "Ⅲ": "III", "Ⅳ": "IV", "1": "I", "2": "II", "3": "III", "4": "IV",
}


def parse_severity(value: object) -> object:
    """Accept I–IV, and the grade's Chinese name or Roman numeral as officials write them."""
    if isinstance(value, str):
        text = value.strip().removesuffix("级").removesuffix("事件").removesuffix("事故")
        return SEVERITY_ALIASES.get(text, text.upper())
    if isinstance(value, int) and not isinstance(value, bool):
        return SEVERITY_ALIASES.get(str(value), value)
    return value


AwareTime = Annotated[datetime, BeforeValidator(parse_aware)]
Grade = Annotated[Severity, BeforeValidator(parse_severity)]
Count = Annotated[StrictInt, Field(ge=0)]
Money = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]


class _In(BaseModel):
    # Unknown keys (notes, expected results, a district's own annotations) are ignored, not errors.
    model_config = ConfigDict(extra="ignore", frozen=True)


class FiguresIn(_In):
    """Casualty and loss figures as written in a file."""

    deaths: Count | None = None
    missing: Count | None = None
    trapped: Count | None = None
    serious_injuries: Count | None = None
    injuries: Count | None = None
    direct_loss_yuan: Money | None = None

    def to_domain(self) -> Figures:
        """Return the domain value."""
        return Figures(self.deaths, self.missing, self.trapped, self.serious_injuries, self.injuries,
                       self.direct_loss_yuan)


class TruthIn(FiguresIn):
    """A verified-facts entry."""

    as_of: AwareTime


class StatedIn(FiguresIn):
    """What a report said."""

    occurred_at: AwareTime | None = None
    known_at: AwareTime | None = None
    location: str | None = None
    severity: Grade | None = None
    summary: str | None = None
    measures: str | None = None
    not_on_record: tuple[StatedField, ...] = ()

    def to_statement(self) -> Statement:
        """Return the domain value."""
        return Statement(
            figures=self.to_domain(), occurred_at=self.occurred_at, known_at=self.known_at,
            location=self.location, severity=self.severity, summary=self.summary, measures=self.measures,
            not_on_record=frozenset(self.not_on_record),
        )


class ReportIn(_In):
    """A report as written in a file."""

    id: str = Field(min_length=1)
    kind: ReportKind
    channel: Channel
    to: str = ""
    submitted_at: AwareTime
    stated: StatedIn | None
    correction_note: str | None = None
    corrects: str | None = None


class IncidentIn(_In):
    """An incident as written in a file."""

    id: str = Field(min_length=1)
    category: Category
    type: str = Field(min_length=1)
    title: str = ""
    location: str = ""
    occurred_at: AwareTime
    known_at: AwareTime
    closed_at: AwareTime | None = None
    drill: bool = False
    severity: Grade | None = None
    severity_reason: str | None = None
    truth: tuple[TruthIn, ...] = ()
    reports: tuple[ReportIn, ...] = ()


class SignalIn(_In):
    """Another channel's record."""

    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    at: AwareTime
    incident: str | None = None
    summary: str = ""


class TimelineIn(_In):
    """A whole timeline file."""

    format: Literal["emergency-timeline/1"]
    office: str = Field(min_length=1)
    audit_at: AwareTime
    incidents: tuple[IncidentIn, ...]
    signals: tuple[SignalIn, ...] = ()


def _name_record(raw: Any, loc: tuple[int | str, ...]) -> tuple[str, str | None]:
    """Turn a pydantic location into (record, field): 'incident E1, report R2' and 'submitted_at'."""
    names = {"incidents": "incident", "reports": "report", "truth": "truth entry", "signals": "signal"}
    record: list[str] = []
    fields: list[str] = []
    node: Any = raw
    pending: str | None = None
    for step in loc:
        if isinstance(step, int) and pending is not None:
            item = node[step] if isinstance(node, list) and step < len(node) else None
            ident = item.get("id") if isinstance(item, dict) else None
            if ident is None and isinstance(item, dict) and "as_of" in item:
                ident = f"as of {item['as_of']}"
            record.append(f"{names[pending]} {ident if ident is not None else f'#{step + 1}'}")
            node, pending = item, None
        elif isinstance(step, str) and step in names and not fields:
            pending = step
            node = node.get(step) if isinstance(node, dict) else None
        else:
            fields.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return (", ".join(record) or "timeline"), (".".join(fields) or None)


def load_document(path: Path) -> Any:
    """Read a JSON or YAML file, raising InputError on a missing or malformed file."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(str(path), None, "file not found") from None
    except IsADirectoryError:
        raise InputError(str(path), None, "is a folder, not a file") from None
    except UnicodeDecodeError:
        raise InputError(str(path), None, "is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(str(path), None, f"cannot be read ({exc.strerror})") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            raise InputError(str(path), None, f"malformed YAML{where}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(str(path), None, f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None


def _validated(model: type[TimelineIn], raw: Any, origin: str) -> TimelineIn:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        record, field = _name_record(raw, tuple(error["loc"]))
        why = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            why = "is required"
        raise InputError(f"{origin}: {record}", field, why) from None


def check_event_type(rules: ReportingRules, record: str, category: Category, type_code: str) -> None:
    """Refuse a type outside the event catalogue or of another category."""
    entry = rules.event_type(type_code)
    if entry is None:
        raise InputError(record, "type", f"unknown event type {type_code!r} (not in the event catalogue)")
    if entry.category != category:
        raise InputError(record, "type", f"{type_code!r} is a type of {entry.category.value}, not {category.value}")


def _check(rules: ReportingRules, doc: TimelineIn, origin: str) -> None:
    """Check what the schema cannot: catalogue, order in time, unique and resolvable ids."""
    seen: set[str] = set()
    for inc in doc.incidents:
        _check_incident(rules, inc, seen, origin)
    _check_signals(doc.signals, seen, origin)


def _check_incident(rules: ReportingRules, inc: IncidentIn, seen: set[str], origin: str) -> None:
    """Check one incident (its id is added to *seen*, the ids of the incidents before it)."""
    where = f"{origin}: incident {inc.id}"
    if inc.id in seen:
        raise InputError(where, "id", "appears twice in the file")
    seen.add(inc.id)
    check_event_type(rules, where, inc.category, inc.type)
    if inc.closed_at is not None and inc.closed_at < inc.occurred_at:
        raise InputError(where, "closed_at", "is before occurred_at")
    for truth in inc.truth:
        if truth.as_of < inc.occurred_at:
            raise InputError(f"{where}, truth entry as of {truth.as_of.isoformat()}", "as_of", "is before occurred_at")
    report_ids: set[str] = set()
    for rep in inc.reports:
        if rep.id in report_ids:
            raise InputError(f"{where}, report {rep.id}", "id", "appears twice in the incident")
        report_ids.add(rep.id)
        if rep.submitted_at < inc.occurred_at:
            raise InputError(f"{where}, report {rep.id}", "submitted_at", "is before the incident's occurred_at")


def _check_signals(signals: tuple[SignalIn, ...], seen: set[str], origin: str) -> None:
    for sig in signals:
        if sig.incident is not None and sig.incident not in seen:
            raise InputError(f"{origin}: signal {sig.id}", "incident", f"names no incident in the file ({sig.incident!r})")


def to_incident(inc: IncidentIn) -> Incident:
    """Return the domain value of a parsed incident."""
    return Incident(
        id=inc.id, category=inc.category, type=inc.type, title=inc.title, location=inc.location,
        occurred_at=inc.occurred_at, known_at=inc.known_at, closed_at=inc.closed_at, drill=inc.drill,
        truth=tuple(TruthEntry(t.as_of, t.to_domain()) for t in inc.truth),
        reports=tuple(
            Report(id=r.id, kind=r.kind, channel=r.channel, to=r.to, submitted_at=r.submitted_at,
                   stated=r.stated.to_statement() if r.stated is not None else None,
                   correction_note=r.correction_note, corrects=r.corrects)
            for r in inc.reports
        ),
        severity_override=inc.severity, severity_reason=inc.severity_reason,
    )


def validate_timeline(rules: ReportingRules, raw: Any, origin: str = "timeline") -> TimelineIn:
    """Validate a timeline document; InputError names the record and the field."""
    if not isinstance(raw, dict):
        raise InputError(origin, None, "a timeline must be a JSON object")
    doc = _validated(TimelineIn, raw, origin)
    _check(rules, doc, origin)
    return doc


def parse_timeline(rules: ReportingRules, raw: Any, origin: str = "timeline") -> Timeline:
    """Validate a timeline document and return it as domain values."""
    with gc_paused():
        timeline = _parse_one_by_one(rules, raw, origin)
        if timeline is None:
            timeline = _timeline_of(validate_timeline(rules, raw, origin))
        return timeline


def _timeline_of(doc: TimelineIn) -> Timeline:
    return Timeline(
        office=doc.office, audit_at=doc.audit_at,
        incidents=tuple(to_incident(i) for i in doc.incidents),
        signals=tuple(Signal(s.id, s.source, s.at, s.incident, s.summary) for s in doc.signals),
    )


def _parse_one_by_one(rules: ReportingRules, raw: Any, origin: str) -> Timeline | None:
    """Validate and convert one incident at a time, so that a large file's validated models never all exist at
    once (they take several times the memory of the domain values). Returns None if anything fails validation:
    the caller then validates the whole document, which reports the error exactly as `validate_timeline` does.
    The checks beyond the schema run in `_check`'s order and are raised only once the schema has passed."""
    if not isinstance(raw, dict) or not isinstance(raw.get("incidents"), list):
        return None
    try:
        head = TimelineIn.model_validate({**raw, "incidents": ()})
        incidents: list[Incident] = []
        seen: set[str] = set()
        problem: InputError | None = None
        for item in raw["incidents"]:
            inc = IncidentIn.model_validate(item)
            if problem is None:
                try:
                    _check_incident(rules, inc, seen, origin)
                except InputError as exc:
                    problem = exc
            incidents.append(to_incident(inc))
    except ValidationError:
        return None
    if problem is not None:
        raise problem
    _check_signals(head.signals, seen, origin)
    return Timeline(
        office=head.office, audit_at=head.audit_at, incidents=tuple(incidents),
        signals=tuple(Signal(s.id, s.source, s.at, s.incident, s.summary) for s in head.signals),
    )


def read_timeline(rules: ReportingRules, path: Path) -> Timeline:
    """Read and validate a timeline file."""
    with gc_paused():
        return parse_timeline(rules, load_document(path), str(path))


def finding_to_json(finding: Finding) -> dict[str, Any]:
    """Return a finding in the `emergency-findings/1` shape."""
    local: Callable[[datetime | None], str | None] = lambda at: isoformat_local(at) if at else None  # noqa: E731
    out: dict[str, Any] = {
        "incident": finding.incident,
        "type": finding.type.value,
        "label": FINDING_LABELS[finding.type],
        "report": finding.report,
        "obligation": finding.obligation.value if finding.obligation else None,
        "due_at": local(finding.due_at),
        "submitted_at": local(finding.submitted_at),
        "minutes_late": finding.minutes_late,
        "rule": f"{finding.rule} — {finding.source}",
        "rule_id": finding.rule,
        "evidence": finding.evidence,
        "drill": finding.drill,
    }
    if finding.elements:
        out["elements"] = list(finding.elements)
    return out


def findings_document(result: AuditResult) -> dict[str, Any]:
    """Return the whole `emergency-findings/1` object."""
    s = result.summary
    return {
        "format": FINDINGS_FORMAT,
        "office": result.office,
        "audit_at": isoformat_local(result.audit_at),
        "findings": [finding_to_json(f) for f in result.findings],
        "summary": {"incidents": s.incidents, "obligations": s.obligations, "on_time": s.on_time,
                    "late": s.late, "missing": s.missing, "false": s.false, "concealed": s.concealed},
    }


def validate_model(model: type[M], raw: Any, record: str) -> M:
    """Validate *raw* against *model*; an error names the record and the field."""
    if not isinstance(raw, dict):
        raise InputError(record, None, "must be a mapping of fields to values")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or None
        why = "is required" if error["type"] == "missing" else error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            why = "is not a known field"
        raise InputError(record, field, why) from None
