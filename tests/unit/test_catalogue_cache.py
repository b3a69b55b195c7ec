"""The in-memory catalogue: reused while its generation holds, re-read as soon as it moves."""
import subprocess
import sys

from sqlalchemy import insert

from api_service.db import models
from api_service.db.session import session_scope
from api_service.domain import catalogue_cache


def flavor_names(client):
    return [f['name'] for f in client.get('/flavors').json_body_or_none['flavors']]


def volume_type_names(client):
    return [t['name'] for t in client.get('/volume-types').json_body_or_none['volume_types']]


def datastore_names(client, query=''):
    return [d['name'] for d in client.get('/datastores' + query).json_body_or_none['datastores']]


def test_a_write_that_does_not_count_itself_is_not_seen_so_the_list_is_cached(client, catalogue):
    assert 'db.huge' not in flavor_names(client)
    with session_scope() as session:     # behind the catalogue's back: no bump
        session.execute(insert(models.Flavor).values(id='9', name='db.huge', ram=9000, vcpus=4))
    assert 'db.huge' not in flavor_names(client)
    with session_scope() as session:
        catalogue_cache.bump(session)
    assert 'db.huge' in flavor_names(client)


def test_every_catalogue_change_is_seen_by_the_next_list(client, catalogue):
    assert datastore_names(client) == ['mariadb', 'postgresql']
    catalogue.upsert_datastore_version('redis', '7.0', '7.0.15', 'redis', '/usr/bin')
    assert datastore_names(client) == ['mariadb', 'postgresql', 'redis']
    assert datastore_names(client, '?limit=1&marker=mariadb') == ['postgresql']

    assert 'db.large' not in flavor_names(client)
    catalogue.upsert_flavor('4', 'db.large', 2048, 2)
    assert flavor_names(client)[-1] == 'db.large'
    catalogue.upsert_flavor('4', 'db.larger', 2048, 2)
    assert flavor_names(client)[-1] == 'db.larger'

    assert 'slow' not in volume_type_names(client)
    catalogue.upsert_volume_type('slow', '/slow')
    assert 'slow' in volume_type_names(client)


def test_a_change_from_another_process_is_seen(client, catalogue, conf):
    assert 'db.other' not in flavor_names(client)
    code = ('from api_service.common import config\n'
            'config.load([])\n'
            'config.CONF.set_override("connection", %r, "database")\n'
            'from api_service.domain import catalogue_admin\n'
            'catalogue_admin.upsert_flavor("7", "db.other", 4096, 2)\n'
            % conf.database.connection)
    subprocess.run([sys.executable, '-c', code], check=True)
    assert 'db.other' in flavor_names(client)
