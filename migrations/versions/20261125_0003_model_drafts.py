"""model drafts: one working copy per process key

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 15:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('model_drafts',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_model_drafts_updated_by_id_users')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_model_drafts'))
    )


def downgrade():
    op.drop_table('model_drafts')
