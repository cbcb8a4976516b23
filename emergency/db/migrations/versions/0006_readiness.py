"""readiness: plan versions, drills, supply stores/items/batches/movements/stocktakes, support requests and arrivals

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 13:40:26.106220
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import emergency.db.base


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('plan_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('source_path', sa.Text(), nullable=False),
    sa.Column('approved_by', sa.String(length=100), nullable=False),
    sa.Column('approved_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('superseded_at', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.Column('review_due', sa.Date(), nullable=False),
    sa.Column('review_reason', sa.String(length=16), nullable=False),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.Column('review_flagged_at', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_plan_versions_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_versions')),
    sa.UniqueConstraint('office_id', 'slug', 'sha256', name=op.f('uq_plan_versions_office_id_slug_sha256'))
    )
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_versions_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_versions_review_due'), ['review_due'], unique=False)

    op.create_table('supply_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('spec', sa.Text(), nullable=False),
    sa.Column('min_stock', sa.Numeric(precision=18, scale=3), nullable=True),
    sa.Column('created_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_supply_items_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_items')),
    sa.UniqueConstraint('office_id', 'code', name=op.f('uq_supply_items_office_id_code'))
    )
    with op.batch_alter_table('supply_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_items_office_id'), ['office_id'], unique=False)

    op.create_table('supply_stores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('location', sa.Text(), nullable=False),
    sa.Column('keeper', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_supply_stores_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_stores')),
    sa.UniqueConstraint('office_id', 'code', name=op.f('uq_supply_stores_office_id_code'))
    )
    with op.batch_alter_table('supply_stores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_stores_office_id'), ['office_id'], unique=False)

    op.create_table('drills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('plan_slug', sa.String(length=64), nullable=False),
    sa.Column('plan_version_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('scenario', sa.Text(), nullable=False),
    sa.Column('location', sa.Text(), nullable=False),
    sa.Column('organiser', sa.String(length=100), nullable=False),
    sa.Column('scheduled_for', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('held_at', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('participants', sa.JSON(), nullable=False),
    sa.Column('evaluation', sa.Text(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('drill_incident_id', sa.Integer(), nullable=True),
    sa.Column('document_path', sa.Text(), nullable=True),
    sa.Column('created_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['drill_incident_id'], ['incidents.id'], name=op.f('fk_drills_drill_incident_id_incidents')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_drills_office_id_offices')),
    sa.ForeignKeyConstraint(['plan_version_id'], ['plan_versions.id'], name=op.f('fk_drills_plan_version_id_plan_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drills')),
    sa.UniqueConstraint('office_id', 'number', name=op.f('uq_drills_office_id_number'))
    )
    with op.batch_alter_table('drills', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drills_held_at'), ['held_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_drills_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_drills_plan_slug'), ['plan_slug'], unique=False)
        batch_op.create_index(batch_op.f('ix_drills_scheduled_for'), ['scheduled_for'], unique=False)
        batch_op.create_index(batch_op.f('ix_drills_status'), ['status'], unique=False)

    op.create_table('stocktakes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['supply_stores.id'], name=op.f('fk_stocktakes_store_id_supply_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktakes'))
    )
    with op.batch_alter_table('stocktakes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stocktakes_store_id'), ['store_id'], unique=False)

    op.create_table('supply_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('batch_no', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('supplier', sa.String(length=200), nullable=False),
    sa.Column('created_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['supply_items.id'], name=op.f('fk_supply_batches_item_id_supply_items')),
    sa.ForeignKeyConstraint(['store_id'], ['supply_stores.id'], name=op.f('fk_supply_batches_store_id_supply_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_batches')),
    sa.UniqueConstraint('store_id', 'item_id', 'batch_no', name=op.f('uq_supply_batches_store_id_item_id_batch_no'))
    )
    with op.batch_alter_table('supply_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_batches_expires_on'), ['expires_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_batches_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_batches_store_id'), ['store_id'], unique=False)

    op.create_table('support_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('addressed_to', sa.Text(), nullable=False),
    sa.Column('requested_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('document_path', sa.Text(), nullable=True),
    sa.Column('due_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('answered_at', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by', sa.String(length=64), nullable=True),
    sa.Column('closed_at', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('drill', sa.Boolean(), nullable=False),
    sa.Column('created_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_support_requests_incident_id_incidents')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_support_requests_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_requests')),
    sa.UniqueConstraint('office_id', 'number', name=op.f('uq_support_requests_office_id_number'))
    )
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_requests_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_requests_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_requests_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_requests_requested_at'), ['requested_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_requests_status'), ['status'], unique=False)

    op.create_table('supply_movements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('support_request_id', sa.Integer(), nullable=True),
    sa.Column('stocktake_id', sa.Integer(), nullable=True),
    sa.Column('drill', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['supply_batches.id'], name=op.f('fk_supply_movements_batch_id_supply_batches')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_supply_movements_incident_id_incidents')),
    sa.ForeignKeyConstraint(['item_id'], ['supply_items.id'], name=op.f('fk_supply_movements_item_id_supply_items')),
    sa.ForeignKeyConstraint(['stocktake_id'], ['stocktakes.id'], name=op.f('fk_supply_movements_stocktake_id_stocktakes')),
    sa.ForeignKeyConstraint(['store_id'], ['supply_stores.id'], name=op.f('fk_supply_movements_store_id_supply_stores')),
    sa.ForeignKeyConstraint(['support_request_id'], ['support_requests.id'], name=op.f('fk_supply_movements_support_request_id_support_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_movements')),
    sa.UniqueConstraint('key', name=op.f('uq_supply_movements_key'))
    )
    with op.batch_alter_table('supply_movements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_movements_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_movements_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_movements_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_movements_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_movements_store_id'), ['store_id'], unique=False)

    op.create_table('support_arrivals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('what', sa.Text(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=3), nullable=True),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('received_by', sa.String(length=64), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'], name=op.f('fk_support_arrivals_request_id_support_requests')),
    sa.ForeignKeyConstraint(['store_id'], ['supply_stores.id'], name=op.f('fk_support_arrivals_store_id_supply_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_arrivals'))
    )
    with op.batch_alter_table('support_arrivals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_arrivals_request_id'), ['request_id'], unique=False)

    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan_version_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_responses_plan_version_id'), ['plan_version_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_responses_plan_version_id_plan_versions'), 'plan_versions', ['plan_version_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_responses_plan_version_id_plan_versions'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_responses_plan_version_id'))
        batch_op.drop_column('plan_version_id')

    with op.batch_alter_table('support_arrivals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_arrivals_request_id'))

    op.drop_table('support_arrivals')
    with op.batch_alter_table('supply_movements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_movements_store_id'))
        batch_op.drop_index(batch_op.f('ix_supply_movements_item_id'))
        batch_op.drop_index(batch_op.f('ix_supply_movements_incident_id'))
        batch_op.drop_index(batch_op.f('ix_supply_movements_batch_id'))
        batch_op.drop_index(batch_op.f('ix_supply_movements_at'))

    op.drop_table('supply_movements')
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_requests_status'))
        batch_op.drop_index(batch_op.f('ix_support_requests_requested_at'))
        batch_op.drop_index(batch_op.f('ix_support_requests_office_id'))
        batch_op.drop_index(batch_op.f('ix_support_requests_incident_id'))
        batch_op.drop_index(batch_op.f('ix_support_requests_due_at'))

    op.drop_table('support_requests')
    with op.batch_alter_table('supply_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_batches_store_id'))
        batch_op.drop_index(batch_op.f('ix_supply_batches_item_id'))
        batch_op.drop_index(batch_op.f('ix_supply_batches_expires_on'))

    op.drop_table('supply_batches')
    with op.batch_alter_table('stocktakes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stocktakes_store_id'))

    op.drop_table('stocktakes')
    with op.batch_alter_table('drills', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drills_status'))
        batch_op.drop_index(batch_op.f('ix_drills_scheduled_for'))
        batch_op.drop_index(batch_op.f('ix_drills_plan_slug'))
        batch_op.drop_index(batch_op.f('ix_drills_office_id'))
        batch_op.drop_index(batch_op.f('ix_drills_held_at'))

    op.drop_table('drills')
    with op.batch_alter_table('supply_stores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_stores_office_id'))

    op.drop_table('supply_stores')
    with op.batch_alter_table('supply_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_items_office_id'))

    op.drop_table('supply_items')
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_versions_review_due'))
        batch_op.drop_index(batch_op.f('ix_plan_versions_office_id'))

    op.drop_table('plan_versions')
