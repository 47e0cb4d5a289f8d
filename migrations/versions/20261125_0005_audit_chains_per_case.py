"""audit chains per case: one hash chain per case / case-less instance / system, so appends for
different cases do not queue on one head row. Existing entries become the chain 'global'.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 15:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_chains',
    sa.Column('chain', sa.String(length=60), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('chain', name=op.f('pk_audit_chains'))
    )
    op.execute("INSERT INTO audit_chains (chain, seq, last_hash) SELECT 'global', seq, last_hash FROM audit_head")
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain', sa.String(length=60), nullable=False, server_default='global'))
        batch_op.drop_constraint('uq_audit_events_seq', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_chain_seq'), ['chain', 'seq'])
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('chain', server_default=None)


def downgrade():
    raise NotImplementedError("per-case chains cannot be folded back into one chain without re-hashing")
