"""Signals: what other channels learned, kept as evidence for the 瞒报 audit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from emergency.db.models import IncidentRow, Office, SignalRow
from emergency.errors import InputError


def record_signal(session: Session, *, office: Office, incident: IncidentRow | None, ref: str | None, source: str,
                  at: datetime, summary: str, now: datetime) -> SignalRow:
    """Store a signal, optionally linked to an incident."""
    if not source.strip():
        raise InputError(f"signal {ref or '(new)'}", "source", "is empty")
    if ref is None:
        count = session.scalar(select(func.count()).select_from(SignalRow).where(SignalRow.office_id == office.id)) or 0
        ref = f"S{count + 1}"
    if session.scalar(select(SignalRow.id).where(SignalRow.office_id == office.id, SignalRow.ref == ref)):
        raise InputError(f"signal {ref}", "id", "already exists")
    row = SignalRow(office_id=office.id, incident_id=incident.id if incident else None, ref=ref, source=source,
                    at=at, summary=summary, recorded_at=now)
    session.add(row)
    session.flush()
    return row
