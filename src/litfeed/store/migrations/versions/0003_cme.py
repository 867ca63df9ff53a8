"""CME learning cycles, their audit trail and the admin's credit rules

Revision ID: 0003_cme
Revises: 0002
Create Date: 2026-11-26 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003_cme'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cme_activities',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('question', sa.Text(), nullable=True),
    sa.Column('query', sa.Text(), nullable=True),
    sa.Column('sources', sa.Text(), nullable=False),
    sa.Column('application', sa.String(length=20), nullable=True),
    sa.Column('application_text', sa.Text(), nullable=True),
    sa.Column('credit_hundredths', sa.Integer(), nullable=True),
    sa.Column('credit_type', sa.Text(), nullable=True),
    sa.Column('credit_year', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('edit_until', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_cme_activities_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cme_activities'))
    )
    op.create_index('ix_cme_activities_user_id_status', 'cme_activities', ['user_id', 'status'], unique=False)
    op.create_table('cme_audit',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_cme_audit_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cme_audit'))
    )
    op.create_index('ix_cme_audit_activity_id', 'cme_audit', ['activity_id'], unique=False)
    op.create_index('ix_cme_audit_user_id', 'cme_audit', ['user_id'], unique=False)
    op.create_table('cme_settings',
    sa.Column('key', sa.String(length=50), nullable=False),
    sa.Column('value', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_cme_settings_updated_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_cme_settings'))
    )


def downgrade() -> None:
    op.drop_table('cme_settings')
    op.drop_index('ix_cme_audit_user_id', table_name='cme_audit')
    op.drop_index('ix_cme_audit_activity_id', table_name='cme_audit')
    op.drop_table('cme_audit')
    op.drop_index('ix_cme_activities_user_id_status', table_name='cme_activities')
    op.drop_table('cme_activities')
