"""warnings: CAP messages, warnings, notices, monitoring points and readings, feed sources

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 13:05:58.774032
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import emergency.db.base


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('feed_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('etag', sa.Text(), nullable=True),
    sa.Column('last_modified', sa.String(length=64), nullable=True),
    sa.Column('last_polled_at', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_feed_sources_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_sources')),
    sa.UniqueConstraint('office_id', 'url', name=op.f('uq_feed_sources_office_id_url'))
    )
    with op.batch_alter_table('feed_sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_sources_office_id'), ['office_id'], unique=False)

    op.create_table('monitoring_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('location', sa.Text(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('etag', sa.Text(), nullable=True),
    sa.Column('last_modified', sa.String(length=64), nullable=True),
    sa.Column('last_polled_at', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_monitoring_points_community_id_communities')),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_monitoring_points_grid_id_grids')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_monitoring_points_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_points')),
    sa.UniqueConstraint('office_id', 'code', name=op.f('uq_monitoring_points_office_id_code'))
    )
    with op.batch_alter_table('monitoring_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitoring_points_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitoring_points_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitoring_points_office_id'), ['office_id'], unique=False)

    op.create_table('monitoring_readings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('raw', sa.JSON(), nullable=True),
    sa.Column('received_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['point_id'], ['monitoring_points.id'], name=op.f('fk_monitoring_readings_point_id_monitoring_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_readings')),
    sa.UniqueConstraint('point_id', 'at', name=op.f('uq_monitoring_readings_point_id_at'))
    )
    with op.batch_alter_table('monitoring_readings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitoring_readings_at'), ['at'], unique=False)

    op.create_table('warnings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('warning_type', sa.String(length=32), nullable=False),
    sa.Column('event', sa.Text(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('real', sa.Boolean(), nullable=False),
    sa.Column('drill', sa.Boolean(), nullable=False),
    sa.Column('sender', sa.Text(), nullable=False),
    sa.Column('sender_name', sa.Text(), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=True),
    sa.Column('urgency', sa.String(length=16), nullable=True),
    sa.Column('certainty', sa.String(length=16), nullable=True),
    sa.Column('headline', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('instruction', sa.Text(), nullable=False),
    sa.Column('area_desc', sa.Text(), nullable=False),
    sa.Column('onset', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('root_message_id', sa.Integer(), nullable=True),
    sa.Column('current_message_id', sa.Integer(), nullable=True),
    sa.Column('identifier', sa.String(length=128), nullable=True),
    sa.Column('monitoring_point_id', sa.Integer(), nullable=True),
    sa.Column('issued_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lifted_at', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lift_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['monitoring_point_id'], ['monitoring_points.id'], name=op.f('fk_warnings_monitoring_point_id_monitoring_points')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_warnings_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warnings')),
    sa.UniqueConstraint('identifier', name=op.f('uq_warnings_identifier'))
    )
    with op.batch_alter_table('warnings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_warnings_issued_at'), ['issued_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_warnings_monitoring_point_id'), ['monitoring_point_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_warnings_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_warnings_status'), ['status'], unique=False)

    op.create_table('cap_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('identifier', sa.String(length=255), nullable=False),
    sa.Column('sender', sa.String(length=255), nullable=False),
    sa.Column('sent', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_text', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('msg_type', sa.String(length=16), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('references', sa.JSON(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('raw_xml', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=True),
    sa.Column('event', sa.Text(), nullable=True),
    sa.Column('sender_name', sa.Text(), nullable=True),
    sa.Column('severity', sa.String(length=16), nullable=True),
    sa.Column('urgency', sa.String(length=16), nullable=True),
    sa.Column('certainty', sa.String(length=16), nullable=True),
    sa.Column('onset', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('headline', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('instruction', sa.Text(), nullable=True),
    sa.Column('area_desc', sa.Text(), nullable=True),
    sa.Column('warning_type', sa.String(length=32), nullable=True),
    sa.Column('level', sa.String(length=8), nullable=True),
    sa.Column('area_match', sa.String(length=16), nullable=False),
    sa.Column('area_match_detail', sa.Text(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('warning_id', sa.Integer(), nullable=True),
    sa.Column('received_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_cap_messages_office_id_offices')),
    sa.ForeignKeyConstraint(['warning_id'], ['warnings.id'], name=op.f('fk_cap_messages_warning_id_warnings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cap_messages')),
    sa.UniqueConstraint('office_id', 'identifier', 'sender', 'sent', name=op.f('uq_cap_messages_office_id_identifier_sender_sent'))
    )
    with op.batch_alter_table('cap_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cap_messages_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cap_messages_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cap_messages_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_cap_messages_warning_id'), ['warning_id'], unique=False)

    op.create_table('warning_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warning_id', sa.Integer(), nullable=False),
    sa.Column('at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=True),
    sa.Column('identifier', sa.String(length=128), nullable=True),
    sa.Column('sent', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['cap_messages.id'], name=op.f('fk_warning_events_message_id_cap_messages')),
    sa.ForeignKeyConstraint(['warning_id'], ['warnings.id'], name=op.f('fk_warning_events_warning_id_warnings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warning_events')),
    sa.UniqueConstraint('identifier', name=op.f('uq_warning_events_identifier'))
    )
    with op.batch_alter_table('warning_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_warning_events_warning_id'), ['warning_id'], unique=False)

    op.create_table('warning_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('warning_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('recipient_kind', sa.String(length=16), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('recipient_name', sa.String(length=100), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('docx_path', sa.Text(), nullable=True),
    sa.Column('created_at', emergency.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ack_token', sa.String(length=64), nullable=False),
    sa.Column('acknowledged_at', emergency.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=64), nullable=True),
    sa.Column('ack_channel', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_warning_notices_community_id_communities')),
    sa.ForeignKeyConstraint(['event_id'], ['warning_events.id'], name=op.f('fk_warning_notices_event_id_warning_events')),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_warning_notices_grid_id_grids')),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_warning_notices_outbox_id_outbox')),
    sa.ForeignKeyConstraint(['warning_id'], ['warnings.id'], name=op.f('fk_warning_notices_warning_id_warnings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warning_notices')),
    sa.UniqueConstraint('ack_token', name=op.f('uq_warning_notices_ack_token')),
    sa.UniqueConstraint('key', name=op.f('uq_warning_notices_key'))
    )
    with op.batch_alter_table('warning_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_warning_notices_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_warning_notices_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_warning_notices_warning_id'), ['warning_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('warning_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_warning_notices_warning_id'))
        batch_op.drop_index(batch_op.f('ix_warning_notices_grid_id'))
        batch_op.drop_index(batch_op.f('ix_warning_notices_community_id'))

    op.drop_table('warning_notices')
    with op.batch_alter_table('warning_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_warning_events_warning_id'))

    op.drop_table('warning_events')
    with op.batch_alter_table('cap_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cap_messages_warning_id'))
        batch_op.drop_index(batch_op.f('ix_cap_messages_sha256'))
        batch_op.drop_index(batch_op.f('ix_cap_messages_received_at'))
        batch_op.drop_index(batch_op.f('ix_cap_messages_office_id'))

    op.drop_table('cap_messages')
    with op.batch_alter_table('warnings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_warnings_status'))
        batch_op.drop_index(batch_op.f('ix_warnings_office_id'))
        batch_op.drop_index(batch_op.f('ix_warnings_monitoring_point_id'))
        batch_op.drop_index(batch_op.f('ix_warnings_issued_at'))

    op.drop_table('warnings')
    with op.batch_alter_table('monitoring_readings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitoring_readings_at'))

    op.drop_table('monitoring_readings')
    with op.batch_alter_table('monitoring_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitoring_points_office_id'))
        batch_op.drop_index(batch_op.f('ix_monitoring_points_grid_id'))
        batch_op.drop_index(batch_op.f('ix_monitoring_points_community_id'))

    op.drop_table('monitoring_points')
    with op.batch_alter_table('feed_sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_sources_office_id'))

    op.drop_table('feed_sources')
