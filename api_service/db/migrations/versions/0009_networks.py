"""Networks instances attach to, and each instance's network and requested address.

The default network is made here, at first start, with a stable id and the subnet of
[local_driver] address_pool; instances that exist already are put on it.

Revision ID: 0009
Revises: 0008
"""
import datetime
import ipaddress

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'

# Stable across restarts and deployments, so clients and tests may name it.
DEFAULT_NETWORK_ID = 'ae757d82-f754-406a-a949-f5471ff50dad'
DEFAULT_SUBNET_ID = 'd0b84925-1111-47df-9276-97d89c1c5eb9'


def _default_cidr():
    from api_service.common.config import CONF
    try:
        pool = CONF.local_driver.address_pool
    except Exception:   # config not loaded (a bare alembic run): the option's default
        pool = '127.10.0.0/16'
    return str(ipaddress.ip_network(pool, strict=False))


def upgrade():
    networks = op.create_table(
        'networks',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(255), nullable=False, unique=True),
        sa.Column('subnet_id', sa.String(36), nullable=False, unique=True),
        sa.Column('cidr', sa.String(64), nullable=False, unique=True),
        sa.Column('is_default', sa.Boolean, nullable=False, default=False),
        sa.Column('created', sa.DateTime, nullable=False))
    op.bulk_insert(networks, [{
        'id': DEFAULT_NETWORK_ID, 'name': 'default', 'subnet_id': DEFAULT_SUBNET_ID,
        'cidr': _default_cidr(), 'is_default': True,
        'created': datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)}])
    with op.batch_alter_table('instances') as batch:
        batch.add_column(sa.Column('network_id', sa.String(36), nullable=True))
        batch.add_column(sa.Column('requested_address', sa.String(64), nullable=True))
    op.execute(sa.text('UPDATE instances SET network_id = :id').bindparams(id=DEFAULT_NETWORK_ID))


def downgrade():
    with op.batch_alter_table('instances') as batch:
        batch.drop_column('requested_address')
        batch.drop_column('network_id')
    op.drop_table('networks')
