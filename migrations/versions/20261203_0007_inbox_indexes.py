"""inbox indexes: the handlers' inbox reads one org's ready tasks in page order from one index (which
also covers the per-tab counts), and its case filters and search scan a partial index of the open
cases instead of looking up the case of every task (queries.inbox).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ready_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_ready_tasks_inbox',
                              ['role', 'org_id', 'due_at', 'created_at', 'id', 'claimed_by_id', 'stage', 'case_id'],
                              unique=False)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_open_search',
                              ['complainant_name', 'contract_title', 'contract_no', 'case_no', 'channel', 'region_code',
                               'status', 'id'],
                              unique=False, postgresql_where=sa.text("status = 'open'"),
                              sqlite_where=sa.text("status = 'open'"))


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_open_search', postgresql_where=sa.text("status = 'open'"),
                            sqlite_where=sa.text("status = 'open'"))
    with op.batch_alter_table('ready_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_ready_tasks_inbox')
