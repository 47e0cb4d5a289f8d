"""rate limits: failure buckets for public endpoints (wrong query codes)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 15:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rate_limit_buckets',
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_buckets'))
    )


def downgrade():
    op.drop_table('rate_limit_buckets')
