"""fraud identity-reveal requests and oversight gaps (complaint tracking, footage retention)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 08:55:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import lantern.db  # noqa: F401

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
