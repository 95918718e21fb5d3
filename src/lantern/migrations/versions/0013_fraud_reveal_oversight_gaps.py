"""fraud identity-reveal requests and oversight gaps (complaint tracking, footage retention)

Anti-fraud: identity-reveal requests to partners (the answer encrypted), a timeline per case,
and a case's closing outcome and reason. Oversight: steps marked not needed when a case
closes, the time retention removed a footage reference, a unique index on the hash of a
complaint's public tracking code (it is looked up by that hash), and on each case step what the
deadlines job already did (colour alerted, overdue step counted), backfilled from the alerts and
indicator events earlier runs left.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 08:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lantern.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

OPEN_OBLIGATION = "done_at IS NULL AND rule_id <> ''"  # as in lantern.models.oversight, frozen here


def upgrade() -> None:
    op.create_table(
        "fraud_case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", lantern.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["fraud_cases.id"],
            name=op.f("fk_fraud_case_events_case_id_fraud_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_case_events")),
    )
    op.create_index(op.f("ix_fraud_case_events_case_id"), "fraud_case_events", ["case_id"])
    op.create_table(
        "fraud_reveal_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("partner", sa.String(length=120), nullable=False),
        sa.Column("purpose_ref", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column("requested_at", lantern.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=False),
        sa.Column("decided_at", lantern.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=False),
        sa.Column("answered_by", sa.String(length=120), nullable=False),
        sa.Column("answered_at", lantern.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answer_enc", sa.Text(), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["fraud_cases.id"],
            name=op.f("fk_fraud_reveal_requests_case_id_fraud_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_reveal_requests")),
    )
    op.create_index(op.f("ix_fraud_reveal_requests_case_id"), "fraud_reveal_requests", ["case_id"])
    op.create_index("ix_fraud_reveal_requests_partner_status", "fraud_reveal_requests", ["partner", "status"])

    # Only ADD COLUMN and CREATE INDEX, which SQLite does in place even in batch mode: a batch
    # that rebuilt a table would drop the old one with foreign keys on, and ON DELETE CASCADE
    # would empty its children (steps' extensions, complaints' timelines). New NOT NULL columns
    # get a plain server default so existing rows are filled.
    with op.batch_alter_table("fraud_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=30), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("closed_by", sa.String(length=120), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("close_reason", sa.String(length=1000), nullable=False, server_default=""))
    with op.batch_alter_table("oversight_case_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("not_needed", sa.String(length=600), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("alerted_level", sa.String(length=10), nullable=False, server_default="none"))
        batch_op.add_column(sa.Column("overdue_counted", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("oversight_enforcement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("footage_purged_at", lantern.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("oversight_complaints", schema=None) as batch_op:
        # Tracking codes are random (60 bits), so existing hashes are already distinct.
        batch_op.create_index(batch_op.f("ix_oversight_complaints_access_hash"), ["access_hash"], unique=True)
    _backfill_step_progress()
    # The deadlines job's scan reads this partial covering index alone (see the model).
    op.create_index(
        "ix_oversight_case_steps_open_scan",
        "oversight_case_steps",
        ["done_at", "id", "rule_id", "started_at", "period", "responsible_officer", "alerted_level", "overdue_counted"],
        sqlite_where=sa.text(OPEN_OBLIGATION),
        postgresql_where=sa.text(OPEN_OBLIGATION),
    )


def _backfill_step_progress() -> None:
    """Mark what earlier deadline runs did, so an upgraded database raises no alert or event twice.

    The job keyed its alerts ``oversight:deadline:<step>:<yellow|red>`` and its overdue events
    ``(overdue_step, step:<step>)``; both are unique indexes, so each look-up is one probe.
    """
    steps = sa.table(
        "oversight_case_steps",
        sa.column("id", sa.Integer()),
        sa.column("rule_id", sa.String()),
        sa.column("alerted_level", sa.String()),
        sa.column("overdue_counted", sa.Boolean()),
    )
    alerts = sa.table("alerts", sa.column("dedupe_key", sa.String()))
    events = sa.table("oversight_officer_events", sa.column("indicator", sa.String()), sa.column("ref", sa.String()))
    step_text = sa.cast(steps.c.id, sa.String())
    for level in ("yellow", "red"):  # red last: the highest colour alerted wins
        key = sa.literal("oversight:deadline:", sa.String()) + step_text + sa.literal(f":{level}", sa.String())
        op.execute(
            steps.update()
            .where(steps.c.rule_id != "", sa.exists().where(alerts.c.dedupe_key == key))
            .values(alerted_level=level)
        )
    ref = sa.literal("step:", sa.String()) + step_text
    op.execute(
        steps.update()
        .where(steps.c.rule_id != "", sa.exists().where(events.c.indicator == "overdue_step", events.c.ref == ref))
        .values(overdue_counted=True)
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite >= 3.35 does it in place), not a batch rebuild: see upgrade().
    op.drop_index(op.f("ix_oversight_complaints_access_hash"), table_name="oversight_complaints")
    op.drop_index("ix_oversight_case_steps_open_scan", table_name="oversight_case_steps")
    op.drop_column("oversight_enforcement", "footage_purged_at")
    for column in ("overdue_counted", "alerted_level", "not_needed"):
        op.drop_column("oversight_case_steps", column)
    for column in ("close_reason", "closed_by", "outcome"):
        op.drop_column("fraud_cases", column)
    op.drop_index("ix_fraud_reveal_requests_partner_status", table_name="fraud_reveal_requests")
    op.drop_index(op.f("ix_fraud_reveal_requests_case_id"), table_name="fraud_reveal_requests")
    op.drop_table("fraud_reveal_requests")
    op.drop_index(op.f("ix_fraud_case_events_case_id"), table_name="fraud_case_events")
    op.drop_table("fraud_case_events")
