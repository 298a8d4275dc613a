"""Example pool: study issues and reviewed predictions stored as labelled examples.

Revision ID: bfb983d9020f
Revises: 443ee2d9c451
Create Date: 2026-12-04 21:29:48.412870
"""

from alembic import op
import sqlalchemy as sa


revision = 'bfb983d9020f'
down_revision = '443ee2d9c451'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pool_examples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('repository', sa.String(length=200), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('engine', sa.String(length=40), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('symptom', sa.String(length=40), nullable=False),
    sa.Column('root_cause', sa.String(length=60), nullable=False),
    sa.Column('phase', sa.String(length=40), nullable=True),
    sa.Column('component', sa.String(length=40), nullable=True),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('prediction_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['prediction_id'], ['predictions.id'], name=op.f('fk_pool_examples_prediction_id_predictions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_examples')),
    sa.UniqueConstraint('key', name=op.f('uq_pool_examples_key'))
    )
    with op.batch_alter_table('pool_examples', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pool_examples_source'), ['source'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('pool_examples', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pool_examples_source'))

    op.drop_table('pool_examples')
