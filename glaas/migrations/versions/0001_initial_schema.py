"""initial schema: records, grants, accounts, and the full-text index (FTS5 on SQLite,
tsvector + GIN on PostgreSQL) over search_docs.body

Revision ID: 0001
Revises: 
Create Date: 2026-12-04 16:24:24.846576
"""
import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('artifacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('source_type', sa.String(length=32), nullable=True),
    sa.Column('file_type', sa.String(length=64), nullable=True),
    sa.Column('extension', sa.String(length=32), nullable=True),
    sa.Column('is_composite', sa.Boolean(), nullable=False),
    sa.Column('metadata', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_artifacts')),
    sa.UniqueConstraint('hash', name=op.f('uq_artifacts_hash'))
    )
    with op.batch_alter_table('artifacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_artifacts_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_artifacts_extension'), ['extension'], unique=False)
        batch_op.create_index(batch_op.f('ix_artifacts_file_type'), ['file_type'], unique=False)

    op.create_table('grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('owner_key', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grants')),
    sa.UniqueConstraint('kind', 'resource_id', 'owner_key', name='uq_grants_kind_resource_owner')
    )
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.create_index('ix_grants_owner_kind', ['owner_key', 'kind'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('owner_key', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key', 'owner_key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('labels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_kind', sa.String(length=16), nullable=False),
    sa.Column('entity_key', sa.String(length=128), nullable=False),
    sa.Column('owner_key', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('flat', sa.Text(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_labels')),
    sa.UniqueConstraint('entity_kind', 'entity_key', 'owner_key', 'version', name='uq_labels_entity_owner_version')
    )
    op.create_table('rate_limits',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('window_start', sa.BigInteger(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', 'window_start', name=op.f('pk_rate_limits'))
    )
    op.create_table('search_docs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_docs')),
    sa.UniqueConstraint('kind', 'resource_id', name='uq_search_docs_kind_resource')
    )
    op.create_index('ix_search_docs_created', 'search_docs', ['created_at', 'id'], unique=False)
    op.create_table('sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=128), nullable=False),
    sa.Column('git_repo', sa.Text(), nullable=True),
    sa.Column('git_commit', sa.String(length=64), nullable=True),
    sa.Column('git_branch', sa.Text(), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sessions')),
    sa.UniqueConstraint('hash', name=op.f('uq_sessions_hash'))
    )
    op.create_table('telemetry_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.Float(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telemetry_events'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=True),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('name', name=op.f('uq_users_name'))
    )
    op.create_table('composite_components',
    sa.Column('composite_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['artifacts.id'], name=op.f('fk_composite_components_component_id_artifacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['composite_id'], ['artifacts.id'], name=op.f('fk_composite_components_composite_id_artifacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('composite_id', 'path', name=op.f('pk_composite_components'))
    )
    with op.batch_alter_table('composite_components', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_composite_components_component_id'), ['component_id'], unique=False)

    op.create_table('device_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_code_hash', sa.String(length=64), nullable=False),
    sa.Column('user_code', sa.String(length=16), nullable=False),
    sa.Column('client_id', sa.String(length=200), nullable=False),
    sa.Column('scopes', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.Column('interval_s', sa.Integer(), nullable=False),
    sa.Column('last_polled_at', sa.Float(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_device_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_codes')),
    sa.UniqueConstraint('device_code_hash', name=op.f('uq_device_codes_device_code_hash')),
    sa.UniqueConstraint('user_code', name=op.f('uq_device_codes_user_code'))
    )
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=128), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('command', sa.Text(), nullable=False),
    sa.Column('argv', sa.JSON(), nullable=True),
    sa.Column('cwd', sa.Text(), nullable=True),
    sa.Column('timestamp', sa.Float(), nullable=True),
    sa.Column('duration_seconds', sa.Float(), nullable=True),
    sa.Column('exit_code', sa.Integer(), nullable=True),
    sa.Column('job_type', sa.String(length=32), nullable=True),
    sa.Column('step_number', sa.Integer(), nullable=True),
    sa.Column('git_repo', sa.Text(), nullable=True),
    sa.Column('git_commit', sa.String(length=64), nullable=True),
    sa.Column('git_branch', sa.Text(), nullable=True),
    sa.Column('git_dirty', sa.Boolean(), nullable=True),
    sa.Column('gpu_model', sa.Text(), nullable=True),
    sa.Column('runtime', sa.JSON(), nullable=True),
    sa.Column('packages', sa.JSON(), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_jobs_session_id_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    sa.UniqueConstraint('uid', name=op.f('uq_jobs_uid'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_exit_code'), ['exit_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_git_commit'), ['git_commit'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_git_repo'), ['git_repo'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_gpu_model'), ['gpu_model'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_session_id'), ['session_id'], unique=False)

    op.create_table('shares',
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_shares_grant_id_grants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_shares_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('grant_id', 'user_id', name=op.f('pk_shares'))
    )
    with op.batch_alter_table('shares', schema=None) as batch_op:
        batch_op.create_index('ix_shares_user', ['user_id'], unique=False)

    op.create_table('tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('scopes', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=True),
    sa.Column('revoked_at', sa.Float(), nullable=True),
    sa.Column('last_used_at', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_tokens_token_hash'))
    )
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('edges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('artifact_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['artifact_id'], ['artifacts.id'], name=op.f('fk_edges_artifact_id_artifacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_edges_job_id_jobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_edges')),
    sa.UniqueConstraint('job_id', 'direction', 'artifact_id', 'path', name='uq_edges_job_dir_artifact_path')
    )
    with op.batch_alter_table('edges', schema=None) as batch_op:
        batch_op.create_index('ix_edges_artifact_direction', ['artifact_id', 'direction'], unique=False)

    op.create_table('job_packages',
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('version', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_job_packages_job_id_jobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', 'name', name=op.f('pk_job_packages'))
    )
    with op.batch_alter_table('job_packages', schema=None) as batch_op:
        batch_op.create_index('ix_job_packages_name_version', ['name', 'version'], unique=False)
    _create_fulltext_index()


def _create_fulltext_index() -> None:
    """The dialect-specific full-text index; glaas/queries/search.py is its only reader."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_docs ADD COLUMN tsv tsvector "
                   "GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED")
        op.execute("CREATE INDEX ix_search_docs_tsv ON search_docs USING GIN (tsv)")
        # Prefix lookups on hashes use the btree in C order whatever the database's collation.
        op.execute("CREATE INDEX ix_artifacts_hash_c ON artifacts (hash COLLATE \"C\")")
        return
    op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(body, content='search_docs', content_rowid='id')")
    op.execute("CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN "
               "INSERT INTO search_fts(rowid, body) VALUES (new.id, new.body); END")
    op.execute("CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN "
               "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.id, old.body); END")
    op.execute("CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN "
               "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.id, old.body); "
               "INSERT INTO search_fts(rowid, body) VALUES (new.id, new.body); END")


def _drop_fulltext_index() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_artifacts_hash_c")
        return
    for trigger in ("search_docs_ai", "search_docs_ad", "search_docs_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS search_fts")


def downgrade() -> None:
    _drop_fulltext_index()
    with op.batch_alter_table('job_packages', schema=None) as batch_op:
        batch_op.drop_index('ix_job_packages_name_version')

    op.drop_table('job_packages')
    with op.batch_alter_table('edges', schema=None) as batch_op:
        batch_op.drop_index('ix_edges_artifact_direction')

    op.drop_table('edges')
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tokens_user_id'))

    op.drop_table('tokens')
    with op.batch_alter_table('shares', schema=None) as batch_op:
        batch_op.drop_index('ix_shares_user')

    op.drop_table('shares')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_session_id'))
        batch_op.drop_index(batch_op.f('ix_jobs_gpu_model'))
        batch_op.drop_index(batch_op.f('ix_jobs_git_repo'))
        batch_op.drop_index(batch_op.f('ix_jobs_git_commit'))
        batch_op.drop_index(batch_op.f('ix_jobs_exit_code'))
        batch_op.drop_index(batch_op.f('ix_jobs_created_at'))

    op.drop_table('jobs')
    op.drop_table('device_codes')
    with op.batch_alter_table('composite_components', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_composite_components_component_id'))

    op.drop_table('composite_components')
    op.drop_table('users')
    op.drop_table('telemetry_events')
    op.drop_table('sessions')
    op.drop_table('search_docs')
    op.drop_table('rate_limits')
    op.drop_table('labels')
    op.drop_table('idempotency_keys')
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.drop_index('ix_grants_owner_kind')

    op.drop_table('grants')
    with op.batch_alter_table('artifacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_artifacts_file_type'))
        batch_op.drop_index(batch_op.f('ix_artifacts_extension'))
        batch_op.drop_index(batch_op.f('ix_artifacts_created_at'))

    op.drop_table('artifacts')
