"""monitor tracks: vehicles' history out of the input log's index

A vehicle's positions are now read from ``monitor_tracks`` (one row per vehicle, UTC hour and
batch, filled by the track stream from the input log), and the input log loses its
(vehicle, time) index, which cost the gateway's writer most of its commit time. Existing
positions need no copying here: the track stream starts at position id 0 and moves them on its
first runs; until then the timeline reads them from the log.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 15:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lantern.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitor_tracks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("vehicle_id", sa.String(length=40), nullable=False),
        sa.Column("hour", lantern.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_position_id", sa.BigInteger(), nullable=False),
        sa.Column("last_position_id", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("points", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_tracks")),
    )
    with op.batch_alter_table("monitor_tracks", schema=None) as batch_op:
        batch_op.create_index("ix_monitor_tracks_vehicle_hour", ["vehicle_id", "hour"], unique=False)
        batch_op.create_index("ix_monitor_tracks_hour", ["hour"], unique=False)
    with op.batch_alter_table("monitor_positions", schema=None) as batch_op:
        batch_op.drop_index("ix_monitor_positions_vehicle_time")


def downgrade() -> None:
    with op.batch_alter_table("monitor_positions", schema=None) as batch_op:
        batch_op.create_index("ix_monitor_positions_vehicle_time", ["vehicle_id", "time"], unique=False)
    with op.batch_alter_table("monitor_tracks", schema=None) as batch_op:
        batch_op.drop_index("ix_monitor_tracks_hour")
        batch_op.drop_index("ix_monitor_tracks_vehicle_hour")
    op.drop_table("monitor_tracks")
