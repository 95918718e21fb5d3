"""portal reports: Open311 service requests, photos, updates, subscriptions

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 08:55:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import lantern.db  # noqa: F401

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
