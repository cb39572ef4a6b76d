"""a version on each rolled-day mark, checked by the database: a cron of an older deployment cannot
mark a day rolled into rollup tables it does not know

Revision ID: a9c0ffee0009
Revises: f8c0ffee0008
Create Date: 2026-12-02 01:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a9c0ffee0009"
down_revision: str | None = "f8c0ffee0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# lib/core/rollups.py's ROLLUP_VERSION. Between the deploy hook's migration and the new code going
# live, the old deployment's cron still runs: its marks (no version, or an older one) now fail this
# check, and the day's whole roll rolls back with them. A migration that changes what a rollup holds
# deletes the older marks and moves the check to the new version.
VERSION = 1


def upgrade() -> None:
    # Today's marks were written by the code of f8c0ffee0008's rollups: version 1.
    op.add_column("stats_rolled_days", sa.Column("version", sa.SmallInteger(), nullable=True))
    op.execute(f"UPDATE stats_rolled_days SET version = {VERSION}")
    op.alter_column("stats_rolled_days", "version", nullable=False)
    op.create_check_constraint("current_version", "stats_rolled_days", f"version = {VERSION}")


def downgrade() -> None:
    op.drop_constraint("current_version", "stats_rolled_days", type_="check")
    op.drop_column("stats_rolled_days", "version")
