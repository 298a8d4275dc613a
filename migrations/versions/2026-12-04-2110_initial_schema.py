"""Initial schema: deliveries, issues, jobs and predictions.

Revision ID: 443ee2d9c451
Revises: (none)
Create Date: 2026-12-04 21:10:55.013758
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '443ee2d9c451'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('issues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('repository', sa.String(length=200), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('github_id', sa.BigInteger(), nullable=True),
    sa.Column('node_id', sa.String(length=100), nullable=True),
    sa.Column('engine', sa.String(length=40), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=100), nullable=True),
    sa.Column('html_url', sa.String(length=500), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=True),
    sa.Column('labels', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('github_created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('github_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issues')),
    sa.UniqueConstraint('repository', 'number', name='uq_issues_repository_number')
    )
    with op.batch_alter_table('issues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issues_engine'), ['engine'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_guid', sa.String(length=100), nullable=False),
    sa.Column('hook_id', sa.BigInteger(), nullable=True),
    sa.Column('event', sa.String(length=60), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=True),
    sa.Column('repository', sa.String(length=200), nullable=True),
    sa.Column('issue_number', sa.Integer(), nullable=True),
    sa.Column('issue_id', sa.Integer(), nullable=True),
    sa.Column('sender', sa.String(length=100), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['issue_id'], ['issues.id'], name=op.f('fk_deliveries_issue_id_issues'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('delivery_guid', name=op.f('uq_deliveries_delivery_guid'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliveries_event'), ['event'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_issue_id'), ['issue_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_received_at'), ['received_at'], unique=False)

    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=True),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('run_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_by', sa.String(length=100), nullable=True),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('result', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], name=op.f('fk_jobs_delivery_id_deliveries'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['issue_id'], ['issues.id'], name=op.f('fk_jobs_issue_id_issues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_issue_id'), ['issue_id'], unique=False)
        batch_op.create_index('ix_jobs_status_run_after', ['status', 'run_after'], unique=False)

    op.create_table('predictions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('repository', sa.String(length=200), nullable=False),
    sa.Column('issue_number', sa.Integer(), nullable=False),
    sa.Column('engine', sa.String(length=40), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('predictor', sa.String(length=20), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('prompt_version', sa.String(length=64), nullable=False),
    sa.Column('taxonomy_version', sa.String(length=40), nullable=False),
    sa.Column('response_format', sa.String(length=40), nullable=True),
    sa.Column('symptom', sa.String(length=40), nullable=False),
    sa.Column('symptom_confidence', sa.Float(), nullable=False),
    sa.Column('symptom_confidence_raw', sa.Float(), nullable=False),
    sa.Column('root_cause_category', sa.String(length=40), nullable=True),
    sa.Column('root_cause_category_confidence', sa.Float(), nullable=True),
    sa.Column('root_cause', sa.String(length=60), nullable=True),
    sa.Column('root_cause_confidence', sa.Float(), nullable=True),
    sa.Column('root_cause_confidence_raw', sa.Float(), nullable=True),
    sa.Column('phase', sa.String(length=40), nullable=True),
    sa.Column('phase_confidence', sa.Float(), nullable=True),
    sa.Column('component', sa.String(length=40), nullable=True),
    sa.Column('component_confidence', sa.Float(), nullable=True),
    sa.Column('calibration', sa.String(length=20), nullable=False),
    sa.Column('needs_review', sa.Boolean(), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('examples', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('raw_answer', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('prompt_tokens', sa.Integer(), nullable=False),
    sa.Column('completion_tokens', sa.Integer(), nullable=False),
    sa.Column('cached_prefix_tokens', sa.Integer(), nullable=False),
    sa.Column('latency_ms', sa.Float(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['issue_id'], ['issues.id'], name=op.f('fk_predictions_issue_id_issues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_predictions_job_id_jobs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_predictions'))
    )
    with op.batch_alter_table('predictions', schema=None) as batch_op:
        batch_op.create_index('ix_predictions_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_predictions_issue_id'), ['issue_id'], unique=False)
        batch_op.create_index('ix_predictions_repository_created_at', ['repository', 'created_at'], unique=False)
        batch_op.create_index('ix_predictions_root_cause_created_at', ['root_cause', 'created_at'], unique=False)
        batch_op.create_index('ix_predictions_symptom_created_at', ['symptom', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('predictions', schema=None) as batch_op:
        batch_op.drop_index('ix_predictions_symptom_created_at')
        batch_op.drop_index('ix_predictions_root_cause_created_at')
        batch_op.drop_index('ix_predictions_repository_created_at')
        batch_op.drop_index(batch_op.f('ix_predictions_issue_id'))
        batch_op.drop_index('ix_predictions_created_at_id')

    op.drop_table('predictions')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_status_run_after')
        batch_op.drop_index(batch_op.f('ix_jobs_issue_id'))

    op.drop_table('jobs')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_received_at'))
        batch_op.drop_index(batch_op.f('ix_deliveries_issue_id'))
        batch_op.drop_index(batch_op.f('ix_deliveries_event'))

    op.drop_table('deliveries')
    with op.batch_alter_table('issues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issues_engine'))

    op.drop_table('issues')
