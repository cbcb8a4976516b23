"""deadline clocks

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:31:26.753243
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import emergency.db.base


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('obligations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=32), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('draft_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=False),
    sa.Column('due_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rule', sa.String(length=128), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('met_at', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('breached_at', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('drill', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_obligations_draft_id_drafts')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_obligations_incident_id_incidents')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_obligations_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_obligations')),
    sa.UniqueConstraint('key', name=op.f('uq_obligations_key'))
    )
    with op.batch_alter_table('obligations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_obligations_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_obligations_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_obligations_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_obligations_updated_at'), ['updated_at'], unique=False)

    op.create_table('clock_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('obligation_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('scheduled_for', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('fired_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recipient', sa.String(length=128), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['obligation_id'], ['obligations.id'], name=op.f('fk_clock_events_obligation_id_obligations')),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_clock_events_outbox_id_outbox')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clock_events')),
    sa.UniqueConstraint('obligation_id', 'step', name=op.f('uq_clock_events_obligation_id_step'))
    )
    with op.batch_alter_table('clock_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clock_events_obligation_id'), ['obligation_id'], unique=False)

    op.create_table('live_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('obligation_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('obligation', sa.String(length=32), nullable=False),
    sa.Column('due_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rule', sa.String(length=128), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_live_findings_incident_id_incidents')),
    sa.ForeignKeyConstraint(['obligation_id'], ['obligations.id'], name=op.f('fk_live_findings_obligation_id_obligations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_findings')),
    sa.UniqueConstraint('obligation_id', name=op.f('uq_live_findings_obligation_id'))
    )
    with op.batch_alter_table('live_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_live_findings_incident_id'), ['incident_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('live_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_live_findings_incident_id'))

    op.drop_table('live_findings')
    with op.batch_alter_table('clock_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clock_events_obligation_id'))

    op.drop_table('clock_events')
    with op.batch_alter_table('obligations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_obligations_updated_at'))
        batch_op.drop_index(batch_op.f('ix_obligations_status'))
        batch_op.drop_index(batch_op.f('ix_obligations_incident_id'))
        batch_op.drop_index(batch_op.f('ix_obligations_due_at'))

    op.drop_table('obligations')
