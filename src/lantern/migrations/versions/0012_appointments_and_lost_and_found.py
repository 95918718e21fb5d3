"""appointments and lost and found

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 08:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lantern.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    utc = lantern.db.UTCDateTime(timezone=True)
    op.create_table(
        "appt_halls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("address_zh", sa.String(length=300), nullable=False),
        sa.Column("address_en", sa.String(length=300), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("min_notice_minutes", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appt_halls")),
        sa.UniqueConstraint("code", name=op.f("uq_appt_halls_code")),
    )
    op.create_table(
        "appt_hall_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("opens_min", sa.Integer(), nullable=False),
        sa.Column("closes_min", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["appt_halls.id"], name=op.f("fk_appt_hall_hours_hall_id_appt_halls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appt_hall_hours")),
    )
    op.create_index(op.f("ix_appt_hall_hours_hall_id"), "appt_hall_hours", ["hall_id"])
    op.create_table(
        "appt_closed_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["appt_halls.id"], name=op.f("fk_appt_closed_days_hall_id_appt_halls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appt_closed_days")),
        sa.UniqueConstraint("hall_id", "day", name=op.f("uq_appt_closed_days_hall_id_day")),
    )
    op.create_index(op.f("ix_appt_closed_days_hall_id"), "appt_closed_days", ["hall_id"])
    op.create_table(
        "appt_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", utc, nullable=False),
        sa.Column("ends_at", utc, nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        # The database, not the application, keeps bookings within capacity (docs/portal.md).
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name=op.f("ck_appt_slots_booked_within_capacity")),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["appt_halls.id"], name=op.f("fk_appt_slots_hall_id_appt_halls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appt_slots")),
        sa.UniqueConstraint("hall_id", "starts_at", name=op.f("uq_appt_slots_hall_id_starts_at")),
    )
    op.create_index(op.f("ix_appt_slots_hall_id"), "appt_slots", ["hall_id"])
    op.create_index(op.f("ix_appt_slots_starts_at"), "appt_slots", ["starts_at"])
    op.create_table(
        "appt_bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("active_slot_id", sa.Integer(), nullable=True),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("person_hash", sa.String(length=64), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("cancelled_at", utc, nullable=True),
        sa.Column("checked_in_at", utc, nullable=True),
        sa.Column("checked_in_by", sa.String(length=100), nullable=False),
        sa.Column("queue_day", sa.Date(), nullable=True),
        sa.Column("queue_number", sa.Integer(), nullable=True),
        sa.Column("reminder_sent_at", utc, nullable=True),
        sa.Column("no_show_at", utc, nullable=True),
        sa.Column("reschedules", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["hall_id"], ["appt_halls.id"], name=op.f("fk_appt_bookings_hall_id_appt_halls")),
        sa.ForeignKeyConstraint(["slot_id"], ["appt_slots.id"], name=op.f("fk_appt_bookings_slot_id_appt_slots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appt_bookings")),
        sa.UniqueConstraint("code", name=op.f("uq_appt_bookings_code")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_appt_bookings_token_hash")),
        sa.UniqueConstraint("active_slot_id", "person_hash", name=op.f("uq_appt_bookings_active_slot_id_person_hash")),
        sa.UniqueConstraint(
            "hall_id", "queue_day", "queue_number", name=op.f("uq_appt_bookings_hall_id_queue_day_queue_number")
        ),
    )
    for column in ("hall_id", "slot_id", "person_hash", "status"):
        op.create_index(op.f(f"ix_appt_bookings_{column}"), "appt_bookings", [column])
    op.create_table(
        "lf_found_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("found_at", utc, nullable=False),
        sa.Column("found_place", sa.String(length=300), nullable=False),
        sa.Column("district_code", sa.String(length=40), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("storage_place", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("registered_by", sa.String(length=100), nullable=False),
        sa.Column("registered_at", utc, nullable=False),
        sa.Column("handed_over_at", utc, nullable=True),
        sa.Column("handed_to_name", sa.String(length=100), nullable=False),
        sa.Column("id_checked", sa.Boolean(), nullable=True),
        sa.Column("handed_over_by", sa.String(length=100), nullable=False),
        sa.Column("unclaimed_flagged_at", utc, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lf_found_items")),
        sa.UniqueConstraint("code", name=op.f("uq_lf_found_items_code")),
    )
    for column in ("category", "found_at", "status", "unclaimed_flagged_at"):
        op.create_index(op.f(f"ix_lf_found_items_{column}"), "lf_found_items", [column])
    op.create_table(
        "lf_lost_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracking_code", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lost_from", utc, nullable=False),
        sa.Column("lost_to", utc, nullable=False),
        sa.Column("lost_place", sa.String(length=300), nullable=False),
        sa.Column("district_code", sa.String(length=40), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("matched_item_id", sa.Integer(), nullable=True),
        sa.Column("returned_at", utc, nullable=True),
        sa.ForeignKeyConstraint(
            ["matched_item_id"], ["lf_found_items.id"], name=op.f("fk_lf_lost_reports_matched_item_id_lf_found_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lf_lost_reports")),
        sa.UniqueConstraint("tracking_code", name=op.f("uq_lf_lost_reports_tracking_code")),
    )
    for column in ("category", "lost_to", "status"):
        op.create_index(op.f(f"ix_lf_lost_reports_{column}"), "lf_lost_reports", [column])
    op.create_table(
        "lf_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lost_id", sa.Integer(), nullable=False),
        sa.Column("found_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("decision", sa.String(length=12), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", utc, nullable=False),
        sa.ForeignKeyConstraint(
            ["lost_id"], ["lf_lost_reports.id"], name=op.f("fk_lf_matches_lost_id_lf_lost_reports"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["found_id"], ["lf_found_items.id"], name=op.f("fk_lf_matches_found_id_lf_found_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lf_matches")),
        sa.UniqueConstraint("lost_id", "found_id", name=op.f("uq_lf_matches_lost_id_found_id")),
    )
    op.create_index(op.f("ix_lf_matches_lost_id"), "lf_matches", ["lost_id"])
    op.create_index(op.f("ix_lf_matches_found_id"), "lf_matches", ["found_id"])


def downgrade() -> None:
    for table in (
        "lf_matches",
        "lf_lost_reports",
        "lf_found_items",
        "appt_bookings",
        "appt_slots",
        "appt_closed_days",
        "appt_hall_hours",
        "appt_halls",
    ):
        op.drop_table(table)
