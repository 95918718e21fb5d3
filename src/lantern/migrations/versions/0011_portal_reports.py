"""portal reports: Open311 service requests, photos, updates, subscriptions

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 08:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lantern.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracking_code", sa.String(length=16), nullable=False),
        sa.Column("service_code", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("address_text", sa.String(length=300), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("h3_cell", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_notes", sa.String(length=1000), nullable=False),
        sa.Column("agency_responsible", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("submitted_by", sa.String(length=120), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", lantern.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", lantern.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expected_at", lantern.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["address_id"], ["addresses.id"], name=op.f("fk_portal_reports_address_id_addresses"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_portal_reports_district_id_districts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_portal_reports_user_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["portal_reports.id"],
            name=op.f("fk_portal_reports_duplicate_of_id_portal_reports"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_portal_reports_incident_id_incidents"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_portal_reports_alert_id_alerts"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_reports")),
        sa.UniqueConstraint("tracking_code", name=op.f("uq_portal_reports_tracking_code")),
    )
    with op.batch_alter_table("portal_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_reports_service_code"), ["service_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_portal_reports_district_id"), ["district_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_portal_reports_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_portal_reports_requested_at"), ["requested_at"], unique=False)

    op.create_table(
        "portal_report_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=20), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", lantern.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["portal_reports.id"],
            name=op.f("fk_portal_report_photos_report_id_portal_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_report_photos")),
    )
    with op.batch_alter_table("portal_report_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_report_photos_report_id"), ["report_id"], unique=False)

    op.create_table(
        "portal_report_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("at", lantern.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("public_note", sa.String(length=1000), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["portal_reports.id"],
            name=op.f("fk_portal_report_events_report_id_portal_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_report_events")),
    )
    with op.batch_alter_table("portal_report_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_report_events_report_id"), ["report_id"], unique=False)

    op.create_table(
        "portal_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", lantern.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["portal_reports.id"],
            name=op.f("fk_portal_subscriptions_report_id_portal_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_subscriptions")),
        sa.UniqueConstraint("token", name=op.f("uq_portal_subscriptions_token")),
    )
    with op.batch_alter_table("portal_subscriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_subscriptions_report_id"), ["report_id"], unique=False)


def downgrade() -> None:
    op.drop_table("portal_subscriptions")
    op.drop_table("portal_report_events")
    op.drop_table("portal_report_photos")
    op.drop_table("portal_reports")
