"""Index predictions on (issue_id, id), for the newest prediction of each issue.

The review queue keeps only the newest prediction of each issue (max(id) grouped by issue_id).
With this index PostgreSQL reads that from the index alone instead of visiting every row of
the table; bench/history_bench.py measured the queue at one million predictions.

Revision ID: a1648f301c1a
Revises: 97e4efc31359
Create Date: 2026-12-04 22:05:00.000000
"""

from alembic import op


revision = 'a1648f301c1a'
down_revision = '97e4efc31359'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('predictions', schema=None) as batch_op:
        batch_op.create_index('ix_predictions_issue_id_id', ['issue_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('predictions', schema=None) as batch_op:
        batch_op.drop_index('ix_predictions_issue_id_id')
