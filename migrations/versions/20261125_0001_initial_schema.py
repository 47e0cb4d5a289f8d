"""initial schema: orgs users definitions instances cases projections audit outbox calendar

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 14:17:00.040966
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cache_versions',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_cache_versions'))
    )
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('calendar_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('is_workday', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('source_doc', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_overrides')),
    sa.UniqueConstraint('day', name=op.f('uq_calendar_overrides_day'))
    )
    op.create_table('calendar_years',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('source_doc', sa.String(length=200), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_years'))
    )
    op.create_table('case_sequences',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_no', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_case_sequences'))
    )
    op.create_table('orgs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('superior_org_id', sa.Integer(), nullable=True),
    sa.Column('competent_org_id', sa.Integer(), nullable=True),
    sa.Column('is_credit_office', sa.Boolean(), nullable=False),
    sa.Column('accepts_complaints', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['competent_org_id'], ['orgs.id'], name=op.f('fk_orgs_competent_org_id_orgs')),
    sa.ForeignKeyConstraint(['superior_org_id'], ['orgs.id'], name=op.f('fk_orgs_superior_org_id_orgs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orgs')),
    sa.UniqueConstraint('code', name=op.f('uq_orgs_code'))
    )
    with op.batch_alter_table('orgs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orgs_region_code'), ['region_code'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_users_org_id_orgs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_org_id'), ['org_id'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('process_definitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('spec_json', sa.Text(), nullable=False),
    sa.Column('has_lanes', sa.Boolean(), nullable=False),
    sa.Column('deployed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deployed_by_id', sa.Integer(), nullable=True),
    sa.Column('change_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['deployed_by_id'], ['users.id'], name=op.f('fk_process_definitions_deployed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_definitions')),
    sa.UniqueConstraint('key', 'version', name=op.f('uq_process_definitions_key_version'))
    )
    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_definitions_key'), ['key'], unique=False)

    op.create_table('process_instances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('state_json', sa.Text(), nullable=False),
    sa.Column('serializer_version', sa.String(length=10), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_timer_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['definition_id'], ['process_definitions.id'], name=op.f('fk_process_instances_definition_id_process_definitions')),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_process_instances_started_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_instances'))
    )
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_instances_definition_id'), ['definition_id'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_no', sa.String(length=20), nullable=False),
    sa.Column('query_code_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('stage', sa.String(length=30), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('channel', sa.String(length=30), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=True),
    sa.Column('idempotency_key', sa.String(length=100), nullable=True),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('complainant_kind', sa.String(length=30), nullable=False),
    sa.Column('complainant_name', sa.String(length=200), nullable=False),
    sa.Column('complainant_uscc', sa.String(length=18), nullable=True),
    sa.Column('contact_name', sa.String(length=100), nullable=False),
    sa.Column('contact_phone', sa.String(length=30), nullable=False),
    sa.Column('respondent_org_id', sa.Integer(), nullable=False),
    sa.Column('accepting_org_id', sa.Integer(), nullable=False),
    sa.Column('handling_org_id', sa.Integer(), nullable=True),
    sa.Column('supervising_org_id', sa.Integer(), nullable=True),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('contract_title', sa.String(length=300), nullable=False),
    sa.Column('contract_no', sa.String(length=100), nullable=True),
    sa.Column('contract_signed_on', sa.Date(), nullable=True),
    sa.Column('scope_area', sa.String(length=40), nullable=False),
    sa.Column('amount_total', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('amount_claimed', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('facts', sa.Text(), nullable=False),
    sa.Column('demands', sa.Text(), nullable=False),
    sa.Column('submission', sa.JSON(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['accepting_org_id'], ['orgs.id'], name=op.f('fk_cases_accepting_org_id_orgs')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_cases_created_by_id_users')),
    sa.ForeignKeyConstraint(['handling_org_id'], ['orgs.id'], name=op.f('fk_cases_handling_org_id_orgs')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], name=op.f('fk_cases_instance_id_process_instances')),
    sa.ForeignKeyConstraint(['respondent_org_id'], ['orgs.id'], name=op.f('fk_cases_respondent_org_id_orgs')),
    sa.ForeignKeyConstraint(['supervising_org_id'], ['orgs.id'], name=op.f('fk_cases_supervising_org_id_orgs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('case_no', name=op.f('uq_cases_case_no')),
    sa.UniqueConstraint('channel', 'external_id', name=op.f('uq_cases_channel_external_id')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_cases_idempotency_key')),
    sa.UniqueConstraint('instance_id', name=op.f('uq_cases_instance_id'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_accepting_org_id'), ['accepting_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_complainant_name'), ['complainant_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_complainant_uscc'), ['complainant_uscc'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_contract_no'), ['contract_no'], unique=False)
        batch_op.create_index('ix_cases_dedupe_key_open', ['dedupe_key', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_handling_org_id'), ['handling_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_region_code'), ['region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_respondent_org_id'), ['respondent_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_stage'), ['stage'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_supervising_org_id'), ['supervising_org_id'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=120), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_audit_events_case_id_cases')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], name=op.f('fk_audit_events_instance_id_process_instances')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('seq', name=op.f('uq_audit_events_seq'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_instance_id'), ['instance_id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('topic', sa.String(length=60), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_outbox_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_outbox_pending', ['next_attempt_at'], unique=False, postgresql_where=sa.text('delivered_at IS NULL'), sqlite_where=sa.text('delivered_at IS NULL'))

    op.create_table('ready_tasks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('spec_id', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('process_id', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('stage', sa.String(length=30), nullable=False),
    sa.Column('form', sa.String(length=200), nullable=True),
    sa.Column('ui_form', sa.String(length=200), nullable=True),
    sa.Column('instructions', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_rule', sa.String(length=80), nullable=True),
    sa.Column('due_basis', sa.JSON(), nullable=True),
    sa.Column('claimed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_ready_tasks_case_id_cases')),
    sa.ForeignKeyConstraint(['claimed_by_id'], ['users.id'], name=op.f('fk_ready_tasks_claimed_by_id_users')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], name=op.f('fk_ready_tasks_instance_id_process_instances')),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_ready_tasks_org_id_orgs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ready_tasks'))
    )
    with op.batch_alter_table('ready_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ready_tasks_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ready_tasks_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_ready_tasks_org_due', ['org_id', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ready_tasks_role'), ['role'], unique=False)

    op.create_table('task_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('spec_id', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('stage', sa.String(length=30), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('completed_by_label', sa.String(length=120), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_task_log_case_id_cases')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['users.id'], name=op.f('fk_task_log_completed_by_id_users')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], name=op.f('fk_task_log_instance_id_process_instances')),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_task_log_org_id_orgs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_log'))
    )
    with op.batch_alter_table('task_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_log_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_log_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_log_task_id'), ['task_id'], unique=False)

    op.create_table('timers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('spec_id', sa.String(length=120), nullable=False),
    sa.Column('attached_to', sa.String(length=120), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_timers_case_id_cases')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], name=op.f('fk_timers_instance_id_process_instances')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timers'))
    )
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timers_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_timers_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_timers_pending_due', ['due_at'], unique=False, postgresql_where=sa.text('fired_at IS NULL'), sqlite_where=sa.text('fired_at IS NULL'))

    # ### end Alembic commands ###


def downgrade():
    op.drop_table('cache_versions')
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.drop_index('ix_timers_pending_due', postgresql_where=sa.text('fired_at IS NULL'), sqlite_where=sa.text('fired_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_timers_instance_id'))
        batch_op.drop_index(batch_op.f('ix_timers_case_id'))

    op.drop_table('timers')
    with op.batch_alter_table('task_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_log_task_id'))
        batch_op.drop_index(batch_op.f('ix_task_log_instance_id'))
        batch_op.drop_index(batch_op.f('ix_task_log_case_id'))

    op.drop_table('task_log')
    with op.batch_alter_table('ready_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ready_tasks_role'))
        batch_op.drop_index('ix_ready_tasks_org_due')
        batch_op.drop_index(batch_op.f('ix_ready_tasks_instance_id'))
        batch_op.drop_index(batch_op.f('ix_ready_tasks_case_id'))

    op.drop_table('ready_tasks')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending', postgresql_where=sa.text('delivered_at IS NULL'), sqlite_where=sa.text('delivered_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_outbox_case_id'))

    op.drop_table('outbox')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_instance_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_case_id'))

    op.drop_table('audit_events')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_supervising_org_id'))
        batch_op.drop_index(batch_op.f('ix_cases_status'))
        batch_op.drop_index(batch_op.f('ix_cases_stage'))
        batch_op.drop_index(batch_op.f('ix_cases_respondent_org_id'))
        batch_op.drop_index(batch_op.f('ix_cases_region_code'))
        batch_op.drop_index(batch_op.f('ix_cases_received_at'))
        batch_op.drop_index(batch_op.f('ix_cases_handling_org_id'))
        batch_op.drop_index('ix_cases_dedupe_key_open')
        batch_op.drop_index(batch_op.f('ix_cases_contract_no'))
        batch_op.drop_index(batch_op.f('ix_cases_complainant_uscc'))
        batch_op.drop_index(batch_op.f('ix_cases_complainant_name'))
        batch_op.drop_index(batch_op.f('ix_cases_accepting_org_id'))

    op.drop_table('cases')
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_instances_definition_id'))

    op.drop_table('process_instances')
    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_definitions_key'))

    op.drop_table('process_definitions')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_org_id'))

    op.drop_table('users')
    with op.batch_alter_table('orgs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orgs_region_code'))

    op.drop_table('orgs')
    op.drop_table('case_sequences')
    op.drop_table('calendar_years')
    op.drop_table('calendar_overrides')
    op.drop_table('audit_head')
    # ### end Alembic commands ###
