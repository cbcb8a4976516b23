"""reporting core: offices, incidents, facts, reports, signals

Revision ID: 0001
Revises:
Create Date: 2026-11-26 09:19:36.397172
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import emergency.db.base


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('offices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offices')),
    sa.UniqueConstraint('name', name=op.f('uq_offices_name'))
    )
    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('location', sa.Text(), nullable=False),
    sa.Column('occurred_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('known_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('drill', sa.Boolean(), nullable=False),
    sa.Column('severity_override', sa.String(length=4), nullable=True),
    sa.Column('severity_reason', sa.Text(), nullable=True),
    sa.Column('created_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_incidents_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
    sa.UniqueConstraint('office_id', 'ref', name=op.f('uq_incidents_office_id_ref'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_office_id'), ['office_id'], unique=False)

    op.create_table('facts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('as_of', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deaths', sa.Integer(), nullable=True),
    sa.Column('missing', sa.Integer(), nullable=True),
    sa.Column('trapped', sa.Integer(), nullable=True),
    sa.Column('serious_injuries', sa.Integer(), nullable=True),
    sa.Column('injuries', sa.Integer(), nullable=True),
    sa.Column('direct_loss_yuan', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('recorded_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_facts_incident_id_incidents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facts'))
    )
    with op.batch_alter_table('facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_facts_incident_id'), ['incident_id'], unique=False)

    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('recipient', sa.Text(), nullable=False),
    sa.Column('submitted_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('stated', sa.JSON(), nullable=True),
    sa.Column('correction_note', sa.Text(), nullable=True),
    sa.Column('corrects_ref', sa.String(length=64), nullable=True),
    sa.Column('chain_seq', sa.Integer(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_reports_incident_id_incidents')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_reports_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('incident_id', 'ref', name=op.f('uq_reports_incident_id_ref')),
    sa.UniqueConstraint('office_id', 'chain_seq', name=op.f('uq_reports_office_id_chain_seq'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reports_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_office_id'), ['office_id'], unique=False)

    op.create_table('signals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('recorded_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_signals_incident_id_incidents')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_signals_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signals')),
    sa.UniqueConstraint('office_id', 'ref', name=op.f('uq_signals_office_id_ref'))
    )
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signals_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signals_office_id'), ['office_id'], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:

    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signals_office_id'))
        batch_op.drop_index(batch_op.f('ix_signals_incident_id'))

    op.drop_table('signals')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_office_id'))
        batch_op.drop_index(batch_op.f('ix_reports_incident_id'))

    op.drop_table('reports')
    with op.batch_alter_table('facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_facts_incident_id'))

    op.drop_table('facts')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidents_office_id'))
        batch_op.drop_index(batch_op.f('ix_incidents_occurred_at'))

    op.drop_table('incidents')
    op.drop_table('offices')
    # ### end Alembic commands ###
