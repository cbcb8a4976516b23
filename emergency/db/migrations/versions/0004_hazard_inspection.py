"""hazard inspection: sources, inspections, hazards and their events

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 12:39:20.627465
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import emergency.db.base


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('hazard_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('source_type', sa.String(length=32), nullable=False),
    sa.Column('risk_level', sa.String(length=16), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('owner_unit', sa.String(length=200), nullable=False),
    sa.Column('contact', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('location', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_hazard_sources_community_id_communities')),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_hazard_sources_grid_id_grids')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_hazard_sources_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hazard_sources')),
    sa.UniqueConstraint('office_id', 'code', name=op.f('uq_hazard_sources_office_id_code'))
    )
    with op.batch_alter_table('hazard_sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hazard_sources_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazard_sources_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazard_sources_office_id'), ['office_id'], unique=False)

    op.create_table('inspections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('period_key', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('due_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('assigned_to', sa.String(length=64), nullable=True),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('done_at', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_by', sa.String(length=64), nullable=True),
    sa.Column('result', sa.String(length=16), nullable=True),
    sa.Column('checked_items', sa.JSON(), nullable=True),
    sa.Column('photos', sa.JSON(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('notice_sent', sa.Boolean(), nullable=False),
    sa.Column('created_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_inspections_grid_id_grids')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_inspections_office_id_offices')),
    sa.ForeignKeyConstraint(['source_id'], ['hazard_sources.id'], name=op.f('fk_inspections_source_id_hazard_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections')),
    sa.UniqueConstraint('source_id', 'period_key', name=op.f('uq_inspections_source_id_period_key'))
    )
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspections_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspections_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspections_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspections_status'), ['status'], unique=False)

    op.create_table('hazards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('inspection_id', sa.Integer(), nullable=True),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('drill', sa.Boolean(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('location', sa.Text(), nullable=False),
    sa.Column('grade', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('measures', sa.Text(), nullable=False),
    sa.Column('responsible_person', sa.String(length=64), nullable=False),
    sa.Column('owner_unit', sa.String(length=200), nullable=False),
    sa.Column('deadline', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('reported_by', sa.String(length=64), nullable=False),
    sa.Column('found_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('fixed_reported_by', sa.String(length=64), nullable=True),
    sa.Column('fixed_reported_at', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('verified_by', sa.String(length=64), nullable=True),
    sa.Column('verified_at', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reported_to_district_at', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('notice_path', sa.Text(), nullable=True),
    sa.Column('created_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_hazards_community_id_communities')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_hazards_inspection_id_inspections')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_hazards_office_id_offices')),
    sa.ForeignKeyConstraint(['source_id'], ['hazard_sources.id'], name=op.f('fk_hazards_source_id_hazard_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hazards')),
    sa.UniqueConstraint('office_id', 'number', name=op.f('uq_hazards_office_id_number'))
    )
    with op.batch_alter_table('hazards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hazards_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazards_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazards_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazards_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazards_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazards_status'), ['status'], unique=False)

    op.create_table('hazard_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hazard_id', sa.Integer(), nullable=False),
    sa.Column('at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['hazard_id'], ['hazards.id'], name=op.f('fk_hazard_events_hazard_id_hazards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hazard_events'))
    )
    with op.batch_alter_table('hazard_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hazard_events_hazard_id'), ['hazard_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('hazard_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hazard_events_hazard_id'))

    op.drop_table('hazard_events')
    with op.batch_alter_table('hazards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hazards_status'))
        batch_op.drop_index(batch_op.f('ix_hazards_source_id'))
        batch_op.drop_index(batch_op.f('ix_hazards_office_id'))
        batch_op.drop_index(batch_op.f('ix_hazards_inspection_id'))
        batch_op.drop_index(batch_op.f('ix_hazards_deadline'))
        batch_op.drop_index(batch_op.f('ix_hazards_community_id'))

    op.drop_table('hazards')
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspections_status'))
        batch_op.drop_index(batch_op.f('ix_inspections_office_id'))
        batch_op.drop_index(batch_op.f('ix_inspections_grid_id'))
        batch_op.drop_index(batch_op.f('ix_inspections_due_on'))

    op.drop_table('inspections')
    with op.batch_alter_table('hazard_sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hazard_sources_office_id'))
        batch_op.drop_index(batch_op.f('ix_hazard_sources_grid_id'))
        batch_op.drop_index(batch_op.f('ix_hazard_sources_community_id'))

    op.drop_table('hazard_sources')
