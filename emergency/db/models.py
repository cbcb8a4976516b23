"""Typed ORM models of the reporting core."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emergency.db.base import Base, UTCDateTime


class Office(Base):
    """A street office; its reports form one hash chain."""

    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class IncidentRow(Base):
    """An incident as the office recorded it."""

    __tablename__ = "incidents"
    __table_args__ = (UniqueConstraint("office_id", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    ref: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    known_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    # A drill whose reports may reach their real recipients (`emergency drill run --deliver-to-real`); else a drill's
    # messages are only ever sent on drill channels (plans/delivery.yaml). Never set on a real incident.
    deliver_to_real: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    severity_override: Mapped[str | None] = mapped_column(String(4), nullable=True)
    severity_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    facts: Mapped[list[FactRow]] = relationship(back_populates="incident", order_by="FactRow.as_of")
    reports: Mapped[list[ReportRow]] = relationship(back_populates="incident", order_by="ReportRow.submitted_at")


class FactRow(Base):
    """Verified casualties and loss, valid from as_of (the timeline's `truth`)."""

    __tablename__ = "facts"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime())
    deaths: Mapped[int | None] = mapped_column(Integer, nullable=True)
    missing: Mapped[int | None] = mapped_column(Integer, nullable=True)
    trapped: Mapped[int | None] = mapped_column(Integer, nullable=True)
    serious_injuries: Mapped[int | None] = mapped_column(Integer, nullable=True)
    injuries: Mapped[int | None] = mapped_column(Integer, nullable=True)
    direct_loss_yuan: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    incident: Mapped[IncidentRow] = relationship(back_populates="facts")


class ReportRow(Base):
    """A submitted report: immutable, chained by SHA-256 to the office's previous report."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("incident_id", "ref"), UniqueConstraint("office_id", "chain_seq"))

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    ref: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stated: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    correction_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    corrects_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    chain_seq: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    incident: Mapped[IncidentRow] = relationship(back_populates="reports")


class SignalRow(Base):
    """What another channel learned (12345, 110, media …), linked to an incident when known."""

    __tablename__ = "signals"
    __table_args__ = (UniqueConstraint("office_id", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), nullable=True, index=True)
    ref: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    summary: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ResponseRow(Base):
    """A plan's response level started for an incident, with the plan version locked in (应急响应)."""

    __tablename__ = "responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), unique=True)
    plan_id: Mapped[str] = mapped_column(String(64))
    plan_version: Mapped[str] = mapped_column(String(32))
    plan_hash: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(4))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # The approved version (plan_versions) in force when the response started; None when none was approved yet.
    plan_version_id: Mapped[int | None] = mapped_column(ForeignKey("plan_versions.id"), nullable=True, index=True)


class DraftRow(Base):
    """A report drafted from the recorded facts, waiting for its signer (签发人) before it is sent."""

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("incident_id", "kind", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    sequence: Mapped[int] = mapped_column(Integer)
    obligation: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    stated: Mapped[dict[str, Any]] = mapped_column(JSON)
    changes: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(24), index=True)
    drafted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    signed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), nullable=True)
    document_path: Mapped[str | None] = mapped_column(Text, nullable=True)


class OutboxRow(Base):
    """A message to deliver, written in the transaction that creates it; sent at least once, marked once."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    topic: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    attachment: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), nullable=True)
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    # The real channel a drill message was queued for and kept from: it went to the drill channel instead.
    diverted_from: Mapped[str | None] = mapped_column(String(64), nullable=True)


class CommunityRow(Base):
    """A community (社区) of the street."""

    __tablename__ = "communities"
    __table_args__ = (UniqueConstraint("office_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))


class GridRow(Base):
    """A base grid unit (网格) with its grid leader (网格长)."""

    __tablename__ = "grids"
    __table_args__ = (UniqueConstraint("community_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    leader_name: Mapped[str] = mapped_column(String(64))
    leader_phone: Mapped[str] = mapped_column(String(32))


class ContactRow(Base):
    """Who holds a role the plans name (主任, 带班领导, 应急办 …)."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("office_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    role: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(32))


class DutyShiftRow(Base):
    """One shift of the duty roster (值班表)."""

    __tablename__ = "duty_shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duty_officer: Mapped[str] = mapped_column(String(64))
    leader_on_duty: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(32))


class ObligationRow(Base):
    """An obligation with a deadline, materialised for the clocks: the stored row is the truth a job re-reads."""

    __tablename__ = "obligations"
    __table_args__ = (UniqueConstraint("key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(32))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), nullable=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), nullable=True, index=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    rule: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    drill: Mapped[bool] = mapped_column(Boolean, default=False)


class ClockEventRow(Base):
    """A reminder, breach or escalation step that fired: one row per (obligation, step), so none fires twice."""

    __tablename__ = "clock_events"
    __table_args__ = (UniqueConstraint("obligation_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligations.id"), index=True)
    step: Mapped[str] = mapped_column(String(32))
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime())
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recipient: Mapped[str] = mapped_column(String(128))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class LiveFindingRow(Base):
    """A breach recorded the moment its deadline passed (迟报 as it happens), with evidence."""

    __tablename__ = "live_findings"
    __table_args__ = (UniqueConstraint("obligation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligations.id"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), nullable=True, index=True)
    type: Mapped[str] = mapped_column(String(16))
    obligation: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rule: Mapped[str] = mapped_column(String(128))
    evidence: Mapped[str] = mapped_column(Text)


class HazardSourceRow(Base):
    """A hazard source or risk point of the register (危险源/风险点台账), keyed by the ledger's own code."""

    __tablename__ = "hazard_sources"
    __table_args__ = (UniqueConstraint("office_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    source_type: Mapped[str] = mapped_column(String(32))
    risk_level: Mapped[str] = mapped_column(String(16))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), nullable=True, index=True)
    owner_unit: Mapped[str] = mapped_column(String(200), default="")
    contact: Mapped[str] = mapped_column(String(64), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    location: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InspectionRow(Base):
    """One inspection of a source for one period; (source, period) is unique, so planning never adds it twice."""

    __tablename__ = "inspections"
    __table_args__ = (UniqueConstraint("source_id", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("hazard_sources.id"))
    period_key: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(64))
    starts_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    assigned_to: Mapped[str | None] = mapped_column(String(64), nullable=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    done_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    result: Mapped[str | None] = mapped_column(String(16), nullable=True)
    checked_items: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    photos: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    notice_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HazardRow(Base):
    """A hazard (隐患) found on inspection or reported, followed from finding to 销号."""

    __tablename__ = "hazards"
    __table_args__ = (UniqueConstraint("office_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("hazard_sources.id"), nullable=True, index=True)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"), nullable=True, index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), nullable=True, index=True)
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    number: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(Text, default="")
    grade: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    measures: Mapped[str] = mapped_column(Text, default="")
    responsible_person: Mapped[str] = mapped_column(String(64), default="")
    owner_unit: Mapped[str] = mapped_column(String(200), default="")
    deadline: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    status: Mapped[str] = mapped_column(String(24), index=True)
    reported_by: Mapped[str] = mapped_column(String(64))
    found_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fixed_reported_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    fixed_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    verified_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reported_to_district_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    notice_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    events: Mapped[list[HazardEventRow]] = relationship(back_populates="hazard", order_by="HazardEventRow.id")


class HazardEventRow(Base):
    """One step of a hazard's life, with who took it and when (found, notice, extension, fix, 复查, 销号 …)."""

    __tablename__ = "hazard_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    hazard: Mapped[HazardRow] = relationship(back_populates="events")


class MonitoringPointRow(Base):
    """A monitoring point polled over HTTP (积水点水位, 地下空间燃气浓度 …), with conditional-request state."""

    __tablename__ = "monitoring_points"
    __table_args__ = (UniqueConstraint("office_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(16), default="")
    url: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(Text, default="")
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), nullable=True, index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), nullable=True, index=True)
    etag: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MonitoringReadingRow(Base):
    """One reading of a monitoring point; (point, at) is unique, so a re-poll never stores it twice."""

    __tablename__ = "monitoring_readings"
    __table_args__ = (UniqueConstraint("point_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("monitoring_points.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    value: Mapped[float] = mapped_column(Float)
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FeedSourceRow(Base):
    """An upstream CAP feed (Atom/RSS or a single CAP document) the office polls, with conditional-request state."""

    __tablename__ = "feed_sources"
    __table_args__ = (UniqueConstraint("office_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(1000))
    etag: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WarningRow(Base):
    """The office's current view of one warning (预警): an upstream CAP chain, a monitoring point's, or its own."""

    __tablename__ = "warnings"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    origin: Mapped[str] = mapped_column(String(16))
    warning_type: Mapped[str] = mapped_column(String(32))
    event: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str | None] = mapped_column(String(8), nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    real: Mapped[bool] = mapped_column(Boolean, default=True)
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    sender: Mapped[str] = mapped_column(Text, default="")
    sender_name: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str | None] = mapped_column(String(16), nullable=True)
    urgency: Mapped[str | None] = mapped_column(String(16), nullable=True)
    certainty: Mapped[str | None] = mapped_column(String(16), nullable=True)
    headline: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    instruction: Mapped[str] = mapped_column(Text, default="")
    area_desc: Mapped[str] = mapped_column(Text, default="")
    onset: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expires: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # cap_messages.id of the chain's first and latest message (upstream only); plain integers, not foreign keys,
    # because cap_messages.warning_id already points here and a cycle of foreign keys would need ALTER on SQLite.
    root_message_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    current_message_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    identifier: Mapped[str | None] = mapped_column(String(128), nullable=True, unique=True)
    monitoring_point_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_points.id"), nullable=True,
                                                            index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lift_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    events: Mapped[list[WarningEventRow]] = relationship(back_populates="warning", order_by="WarningEventRow.id")


class CapMessageRow(Base):
    """A CAP 1.2 message as received, with what the office decided; (identifier, sender, sent) de-duplicates."""

    __tablename__ = "cap_messages"
    __table_args__ = (UniqueConstraint("office_id", "identifier", "sender", "sent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    identifier: Mapped[str] = mapped_column(String(255))
    sender: Mapped[str] = mapped_column(String(255))
    sent: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_text: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    msg_type: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(16))
    references: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    raw_xml: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(35), nullable=True)
    event: Mapped[str | None] = mapped_column(Text, nullable=True)
    sender_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    severity: Mapped[str | None] = mapped_column(String(16), nullable=True)
    urgency: Mapped[str | None] = mapped_column(String(16), nullable=True)
    certainty: Mapped[str | None] = mapped_column(String(16), nullable=True)
    onset: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expires: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    headline: Mapped[str | None] = mapped_column(Text, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    instruction: Mapped[str | None] = mapped_column(Text, nullable=True)
    area_desc: Mapped[str | None] = mapped_column(Text, nullable=True)
    warning_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    level: Mapped[str | None] = mapped_column(String(8), nullable=True)
    area_match: Mapped[str] = mapped_column(String(16))
    area_match_detail: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    warning_id: Mapped[int | None] = mapped_column(ForeignKey("warnings.id"), nullable=True, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class WarningEventRow(Base):
    """One step of a warning's life (issued, updated, raised, lowered, lifted, cancelled), with its CAP identifier."""

    __tablename__ = "warning_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(16))
    level: Mapped[str | None] = mapped_column(String(8), nullable=True)
    # The CAP identifier and sent time this version carries when exported (own and monitoring warnings).
    identifier: Mapped[str | None] = mapped_column(String(128), nullable=True, unique=True)
    sent: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("cap_messages.id"), nullable=True)
    actor: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    warning: Mapped[WarningRow] = relationship(back_populates="events")


class WarningNoticeRow(Base):
    """A warning passed down (预警信息通知) to one community or grid, and its acknowledgement (签收)."""

    __tablename__ = "warning_notices"
    __table_args__ = (UniqueConstraint("key"), UniqueConstraint("ack_token"))

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("warning_events.id"), nullable=True)
    recipient_kind: Mapped[str] = mapped_column(String(16))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), nullable=True, index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), nullable=True, index=True)
    recipient_name: Mapped[str] = mapped_column(String(100))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"), nullable=True)
    docx_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ack_token: Mapped[str] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ack_channel: Mapped[str | None] = mapped_column(String(16), nullable=True)


class PlanVersionRow(Base):
    """An approved version of a plan (应急预案), stored with the hash of its canonical content."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("office_id", "slug", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_path: Mapped[str] = mapped_column(Text, default="")
    approved_by: Mapped[str] = mapped_column(String(100))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime())
    effective_from: Mapped[date] = mapped_column(Date)
    # The instant the next approved version took effect; None while this one is (or will be) in force.
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    superseded_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    review_due: Mapped[date] = mapped_column(Date, index=True)
    review_reason: Mapped[str] = mapped_column(String(16))
    review_note: Mapped[str] = mapped_column(Text, default="")
    review_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DrillRow(Base):
    """A drill (应急演练) of a plan: scheduled, then held with its evaluation and the problems it found."""

    __tablename__ = "drills"
    __table_args__ = (UniqueConstraint("office_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text, default="")
    plan_slug: Mapped[str] = mapped_column(String(64), index=True)
    plan_version_id: Mapped[int | None] = mapped_column(ForeignKey("plan_versions.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    scenario: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(Text, default="")
    organiser: Mapped[str] = mapped_column(String(100), default="")
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    participants: Mapped[list[Any]] = mapped_column(JSON, default=list)
    evaluation: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), index=True)
    drill_incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), nullable=True)
    document_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SupplyStoreRow(Base):
    """A store of emergency supplies (应急物资储备点) with its keeper."""

    __tablename__ = "supply_stores"
    __table_args__ = (UniqueConstraint("office_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(Text, default="")
    keeper: Mapped[str] = mapped_column(String(64), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SupplyItemRow(Base):
    """A kind of supply (物资品种): code, name, unit and category; the office's own minimum, if it set one."""

    __tablename__ = "supply_items"
    __table_args__ = (UniqueConstraint("office_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    spec: Mapped[str] = mapped_column(Text, default="")
    min_stock: Mapped[Decimal | None] = mapped_column(Numeric(18, 3), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SupplyBatchRow(Base):
    """A batch of one item in one store, with its book quantity and expiry date (保质期/有效期)."""

    __tablename__ = "supply_batches"
    __table_args__ = (UniqueConstraint("store_id", "item_id", "batch_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("supply_stores.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("supply_items.id"), index=True)
    batch_no: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 3))
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    received_on: Mapped[date] = mapped_column(Date)
    supplier: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SupplyMovementRow(Base):
    """A change of book stock; `quantity` is signed (+ in/returned, - out/issued/written off, ± stocktake)."""

    __tablename__ = "supply_movements"
    __table_args__ = (UniqueConstraint("key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("supply_stores.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("supply_items.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("supply_batches.id"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(24))
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 3))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    by: Mapped[str] = mapped_column(String(64))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), nullable=True, index=True)
    support_request_id: Mapped[int | None] = mapped_column(ForeignKey("support_requests.id"), nullable=True)
    stocktake_id: Mapped[int | None] = mapped_column(ForeignKey("stocktakes.id"), nullable=True)
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StocktakeRow(Base):
    """A stocktake (盘点) of one store: each line counted against the book."""

    __tablename__ = "stocktakes"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("supply_stores.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by: Mapped[str] = mapped_column(String(64))
    lines: Mapped[list[Any]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SupportRequestRow(Base):
    """A request to the district for people, funds or materials (人、财、物支援请示), tracked to its answer."""

    __tablename__ = "support_requests"
    __table_args__ = (UniqueConstraint("office_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), nullable=True, index=True)
    number: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    items: Mapped[list[Any]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    addressed_to: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    document_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    status: Mapped[str] = mapped_column(String(24), index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    arrivals: Mapped[list[SupportArrivalRow]] = relationship(back_populates="request",
                                                             order_by="SupportArrivalRow.id")


class SupportArrivalRow(Base):
    """What arrived against a support request (people, money or materials), and who received it."""

    __tablename__ = "support_arrivals"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    what: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(18, 3), nullable=True)
    unit: Mapped[str] = mapped_column(String(16), default="")
    received_by: Mapped[str] = mapped_column(String(64))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("supply_stores.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    request: Mapped[SupportRequestRow] = relationship(back_populates="arrivals")
