"""Instance metrics (#14): a fixed-size ring of samples per instance.

The conductor writes each heartbeat's sample into slot (epoch // interval) % (86400 //
interval) of its instance ([metrics] interval_seconds), overwriting what that slot held a
day earlier: at most a day's slots per instance. An instance's rows go when it is deleted.

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'


def upgrade():
    op.create_table(
        'instance_metrics',
        sa.Column('instance_id', sa.String(36), primary_key=True),
        sa.Column('slot', sa.Integer, primary_key=True, autoincrement=False),
        sa.Column('sampled_at', sa.DateTime, nullable=False),
        sa.Column('cpu_percent', sa.Float, nullable=True),
        sa.Column('memory_bytes', sa.BigInteger, nullable=True),
        sa.Column('connections', sa.Integer, nullable=True),
        sa.Column('queries_per_second', sa.Float, nullable=True),
        sa.Column('volume_used_bytes', sa.BigInteger, nullable=True))


def downgrade():
    op.drop_table('instance_metrics')
