"""anti-fraud centre: partners' transactions and calls, reports, typology hits, victim warnings

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lantern.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fraud_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(length=120), nullable=False),
        sa.Column("tx_ref", sa.String(length=80), nullable=False),
        sa.Column("time", lantern.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("from_account", sa.String(length=64), nullable=False),
        sa.Column("to_account", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("new_payee", sa.Boolean(), nullable=False),
        sa.Column("payer_phone", sa.String(length=64), nullable=True),
        sa.Column("received_at", lantern.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_transactions")),
        sa.UniqueConstraint("partner", "tx_ref", name=op.f("uq_fraud_transactions_partner_tx_ref")),
    )
    op.create_index("ix_fraud_transactions_from_account_time", "fraud_transactions", ["from_account", "time"])
    op.create_index("ix_fraud_transactions_to_account_time", "fraud_transactions", ["to_account", "time"])
    op.create_index(op.f("ix_fraud_transactions_time"), "fraud_transactions", ["time"])
    op.create_table(
        "fraud_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(length=120), nullable=False),
        sa.Column("record_key", sa.String(length=64), nullable=False),
        sa.Column("time", lantern.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("from_number", sa.String(length=64), nullable=False),
        sa.Column("to_number", sa.String(length=64), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("received_at", lantern.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_calls")),
        sa.UniqueConstraint("record_key", name=op.f("uq_fraud_calls_record_key")),
    )
    op.create_index(op.f("ix_fraud_calls_time"), "fraud_calls", ["time"])
    op.create_index(op.f("ix_fraud_calls_from_number"), "fraud_calls", ["from_number"])
    op.create_index("ix_fraud_calls_to_number_time", "fraud_calls", ["to_number", "time"])
    op.create_table(
        "fraud_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(length=120), nullable=False),
        sa.Column("report_ref", sa.String(length=80), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("label", sa.String(length=30), nullable=False),
        sa.Column("time", lantern.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", lantern.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_reports")),
        sa.UniqueConstraint("partner", "report_ref", name=op.f("uq_fraud_reports_partner_report_ref")),
    )
    op.create_index(op.f("ix_fraud_reports_subject"), "fraud_reports", ["subject"])
    op.create_table(
        "fraud_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("typology", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lantern.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["fraud_transactions.id"],
            name=op.f("fk_fraud_hits_transaction_id_fraud_transactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_hits")),
        sa.UniqueConstraint(
            "transaction_id", "typology", "account", name=op.f("uq_fraud_hits_transaction_id_typology_account")
        ),
    )
    op.create_index(op.f("ix_fraud_hits_transaction_id"), "fraud_hits", ["transaction_id"])
    op.create_index(op.f("ix_fraud_hits_account"), "fraud_hits", ["account"])
    op.create_table(
        "fraud_warnings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("due_at", lantern.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("outcome_by", sa.String(length=120), nullable=False),
        sa.Column("outcome_at", lantern.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", lantern.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["fraud_transactions.id"],
            name=op.f("fk_fraud_warnings_transaction_id_fraud_transactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_warnings")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_fraud_warnings_transaction_id")),
    )
    op.create_table(
        "fraud_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("investigator", sa.String(length=120), nullable=False),
        sa.Column("accounts", sa.JSON(), nullable=False),
        sa.Column("alert_ids", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("flow", sa.Float(), nullable=False),
        sa.Column("opened_at", lantern.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", lantern.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_cases")),
    )


def downgrade() -> None:
    op.drop_table("fraud_cases")
    op.drop_table("fraud_warnings")
    op.drop_index(op.f("ix_fraud_hits_account"), table_name="fraud_hits")
    op.drop_index(op.f("ix_fraud_hits_transaction_id"), table_name="fraud_hits")
    op.drop_table("fraud_hits")
    op.drop_index(op.f("ix_fraud_reports_subject"), table_name="fraud_reports")
    op.drop_table("fraud_reports")
    op.drop_index("ix_fraud_calls_to_number_time", table_name="fraud_calls")
    op.drop_index(op.f("ix_fraud_calls_from_number"), table_name="fraud_calls")
    op.drop_index(op.f("ix_fraud_calls_time"), table_name="fraud_calls")
    op.drop_table("fraud_calls")
    op.drop_index(op.f("ix_fraud_transactions_time"), table_name="fraud_transactions")
    op.drop_index("ix_fraud_transactions_to_account_time", table_name="fraud_transactions")
    op.drop_index("ix_fraud_transactions_from_account_time", table_name="fraud_transactions")
    op.drop_table("fraud_transactions")
