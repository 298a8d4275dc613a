"""Reviews (human decisions), API tokens, and indexes for the history queries.

Revision ID: 97e4efc31359
Revises: bfb983d9020f
Create Date: 2026-12-04 21:35:29.392921
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '97e4efc31359'
down_revision = 'bfb983d9020f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('scopes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prediction_id', sa.Integer(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.Column('verdict', sa.String(length=20), nullable=False),
    sa.Column('reviewer', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('symptom', sa.String(length=40), nullable=True),
    sa.Column('root_cause', sa.String(length=60), nullable=True),
    sa.Column('root_cause_category', sa.String(length=40), nullable=True),
    sa.Column('phase', sa.String(length=40), nullable=True),
    sa.Column('component', sa.String(length=40), nullable=True),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['issue_id'], ['issues.id'], name=op.f('fk_reviews_issue_id_issues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['prediction_id'], ['predictions.id'], name=op.f('fk_reviews_prediction_id_predictions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews'))
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index('ix_reviews_created_at', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_issue_id'), ['issue_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_prediction_id'), ['prediction_id'], unique=False)
        batch_op.create_index('uq_reviews_current_prediction', ['prediction_id'], unique=True, postgresql_where=sa.text('is_current'), sqlite_where=sa.text('is_current'))

    with op.batch_alter_table('predictions', schema=None) as batch_op:
        batch_op.create_index('ix_predictions_category_created_at', ['root_cause_category', 'created_at'], unique=False)
        batch_op.create_index('ix_predictions_engine_created_at', ['engine', 'created_at'], unique=False)
        batch_op.create_index('ix_predictions_needs_review_confidence', ['needs_review', 'symptom_confidence'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('predictions', schema=None) as batch_op:
        batch_op.drop_index('ix_predictions_needs_review_confidence')
        batch_op.drop_index('ix_predictions_engine_created_at')
        batch_op.drop_index('ix_predictions_category_created_at')

    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index('uq_reviews_current_prediction', postgresql_where=sa.text('is_current'), sqlite_where=sa.text('is_current'))
        batch_op.drop_index(batch_op.f('ix_reviews_prediction_id'))
        batch_op.drop_index(batch_op.f('ix_reviews_issue_id'))
        batch_op.drop_index('ix_reviews_created_at')

    op.drop_table('reviews')
    op.drop_table('api_tokens')
