"""The street's organisation in the database: communities, grids and their leaders, role holders, duty shifts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from emergency.db.models import CommunityRow, ContactRow, DutyShiftRow, GridRow, Office
from emergency.plans.schema import Street


def load_street_into(session: Session, *, office: Office, street: Street) -> dict[str, int]:
    """Store the street's communities, grids and role holders; running it again updates, never duplicates."""
    counts = {"communities": 0, "grids": 0, "contacts": 0}
    for community in street.communities:
        row = session.scalar(select(CommunityRow).where(CommunityRow.office_id == office.id,
                                                        CommunityRow.code == community.code))
        if row is None:
            row = CommunityRow(office_id=office.id, code=community.code, name=community.name)
            session.add(row)
            session.flush()
        row.name = community.name
        counts["communities"] += 1
        for grid in community.grids:
            g = session.scalar(select(GridRow).where(GridRow.community_id == row.id, GridRow.code == grid.code))
            if g is None:
                g = GridRow(community_id=row.id, code=grid.code, name=grid.name, leader_name=grid.leader,
                            leader_phone=grid.phone)
                session.add(g)
            g.name, g.leader_name, g.leader_phone = grid.name, grid.leader, grid.phone
            counts["grids"] += 1
    for contact in street.contacts:
        c = session.scalar(select(ContactRow).where(ContactRow.office_id == office.id, ContactRow.role == contact.role))
        if c is None:
            c = ContactRow(office_id=office.id, role=contact.role, name=contact.name, title=contact.title,
                           phone=contact.phone)
            session.add(c)
        c.name, c.title, c.phone = contact.name, contact.title, contact.phone
        counts["contacts"] += 1
    session.flush()
    return counts


def add_shift(session: Session, *, office: Office, starts_at: datetime, ends_at: datetime, duty_officer: str,
              leader_on_duty: str, phone: str) -> DutyShiftRow:
    """Store one duty shift."""
    row = DutyShiftRow(office_id=office.id, starts_at=starts_at, ends_at=ends_at, duty_officer=duty_officer,
                       leader_on_duty=leader_on_duty, phone=phone)
    session.add(row)
    session.flush()
    return row


def shift_at(session: Session, *, office: Office, at: datetime) -> DutyShiftRow | None:
    """Return the shift on duty at *at*."""
    return session.scalar(select(DutyShiftRow).where(DutyShiftRow.office_id == office.id,
                                                     DutyShiftRow.starts_at <= at, DutyShiftRow.ends_at > at)
                          .order_by(DutyShiftRow.starts_at.desc()).limit(1))
