"""Report use cases: submit (immutable, hash-chained), and verify the chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from emergency.clock import isoformat_local, to_local
from emergency.db.models import IncidentRow, Office, ReportRow
from emergency.domain.enums import Channel, ReportKind
from emergency.domain.reports import GENESIS, chain_hash
from emergency.errors import InputError
from emergency.services.incidents import check_not_future
from emergency.timelines import AwareTime, StatedIn


class NewReport(BaseModel):
    """What `report submit` takes, on the command line or from a JSON/YAML file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = Field(default=None, min_length=1, max_length=64)
    kind: ReportKind
    channel: Channel
    to: str = Field(min_length=1)
    submitted_at: AwareTime | None = None
    stated: StatedIn | None
    correction_note: str | None = None
    corrects: str | None = None


def stated_to_json(stated: StatedIn | None) -> dict[str, Any] | None:
    """Return a statement as stored and exchanged: ISO times in Asia/Shanghai, plain numbers, no empty keys."""
    if stated is None:
        return None
    out: dict[str, Any] = {}
    for name, value in stated.model_dump(exclude_none=True).items():
        if isinstance(value, datetime):
            out[name] = isoformat_local(value)
        elif isinstance(value, Decimal):
            out[name] = int(value) if value == value.to_integral_value() else float(value)
        elif name == "not_on_record":
            if value:
                out[name] = sorted(value)
        else:
            out[name] = value
    return out


def report_content(office_name: str, incident_ref: str, row: ReportRow) -> dict[str, Any]:
    """Return what the hash covers: everything the report says and where it belongs."""
    return {
        "office": office_name,
        "incident": incident_ref,
        "report": row.ref,
        "seq": row.chain_seq,
        "kind": row.kind,
        "channel": row.channel,
        "to": row.recipient,
        "submitted_at": row.submitted_at.astimezone(UTC).isoformat(),
        "stated": row.stated,
        "correction_note": row.correction_note,
        "corrects": row.corrects_ref,
    }


def submit_report(session: Session, *, office: Office, incident: IncidentRow, data: NewReport,
                  now: datetime, check_order: bool = True, check_future: bool = True) -> ReportRow:
    """Store a submitted report, chained to the office's previous one; it is never changed afterwards."""
    submitted_at = data.submitted_at or now
    record = f"incident {incident.ref}, report {data.id or '(new)'}"
    if submitted_at < incident.occurred_at:
        raise InputError(record, "submitted_at", "is before the incident's occurred_at")
    if check_future:
        check_not_future(record, "submitted_at", submitted_at, now)
    existing = list(session.scalars(select(ReportRow).where(ReportRow.incident_id == incident.id)).all())
    if check_order and data.kind is not ReportKind.INITIAL and not any(
            r.kind == ReportKind.INITIAL.value and r.submitted_at <= submitted_at for r in existing):
        raise InputError(record, "kind", f"a {data.kind.value} report needs an initial report (首报) first")
    if data.corrects is not None and not any(r.ref == data.corrects for r in existing):
        raise InputError(record, "corrects", f"names no report of this incident ({data.corrects!r})")
    ref = data.id or f"R{len(existing) + 1}"
    if any(r.ref == ref for r in existing):
        raise InputError(record, "id", f"report {ref} already exists for this incident")
    last = session.execute(
        select(ReportRow.chain_seq, ReportRow.content_hash).where(ReportRow.office_id == office.id)
        .order_by(ReportRow.chain_seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    row = ReportRow(
        office_id=office.id, incident_id=incident.id, ref=ref, kind=data.kind.value, channel=data.channel.value,
        recipient=data.to, submitted_at=submitted_at, stated=stated_to_json(data.stated),
        correction_note=data.correction_note, corrects_ref=data.corrects, chain_seq=seq, prev_hash=prev,
        content_hash="", recorded_at=now,
    )
    row.content_hash = chain_hash(prev, report_content(office.name, incident.ref, row))
    incident.reports.append(row)  # keeps a loaded collection current within the unit of work
    session.flush()
    return row


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """A stored report whose hash no longer matches what it says."""

    incident: str
    report: str
    seq: int
    why: str


def verify_chain(session: Session, *, office: Office) -> tuple[int, list[ChainProblem]]:
    """Recompute the office's hash chain; return how many reports were checked and each one changed."""
    problems: list[ChainProblem] = []
    prev = GENESIS
    expected_seq = 1
    count = 0
    refs = dict(session.execute(
        select(IncidentRow.id, IncidentRow.ref).where(IncidentRow.office_id == office.id)).tuples().all())
    rows = session.scalars(select(ReportRow).where(ReportRow.office_id == office.id).order_by(ReportRow.chain_seq))
    for row in rows:
        count += 1
        incident_ref = refs.get(row.incident_id, f"#{row.incident_id}")
        if row.chain_seq != expected_seq:
            problems.append(ChainProblem(incident_ref, row.ref, row.chain_seq,
                                         f"chain position {row.chain_seq}, expected {expected_seq}: a report was removed"))
        if row.prev_hash != prev:
            problems.append(ChainProblem(incident_ref, row.ref, row.chain_seq,
                                         "its link to the previous report does not match: the chain was altered"))
        recomputed = chain_hash(row.prev_hash, report_content(office.name, incident_ref, row))
        if recomputed != row.content_hash:
            recorded = f"{to_local(row.recorded_at):%Y-%m-%d %H:%M}"
            problems.append(ChainProblem(incident_ref, row.ref, row.chain_seq,
                                         f"content changed after submission (recorded {recorded})"))
        prev = row.content_hash
        expected_seq = row.chain_seq + 1
    return count, problems


def count_reports(session: Session, *, office: Office) -> int:
    """Return how many reports the office has submitted."""
    return session.scalar(select(func.count()).select_from(ReportRow).where(ReportRow.office_id == office.id)) or 0
