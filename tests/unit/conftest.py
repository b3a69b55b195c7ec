"""Unit-test fixtures: a fresh service database and the WSGI app with a stand-in for Keystone.

Every test that uses the database runs twice, on SQLite and on PostgreSQL (`test_x[sqlite]`,
`test_x[postgresql]`): one PostgreSQL server per session (tests/pgserver.py, Debian's build),
migrated once into a template database that each test gets a fresh copy of. A missing
PostgreSQL fails those tests; it never skips them.

keystonemiddleware itself is exercised by the functional tests against real Keystone;
here a small filter turns test headers into the identity headers it would set.
"""
import json
import os

import pytest
import webob

from api_service.common import config
from api_service.common import policy
from api_service.db import migration
from api_service.db import session
from tests import pgserver

PROJECT = 'a' * 32
# A Fernet key that seals module contents in unit tests (tests read it to unseal).
MODULE_KEY = 'x' * 43 + '='
OTHER_PROJECT = 'b' * 32


def fake_auth(app):
    def middleware(environ, start_response):
        token = environ.get('HTTP_X_AUTH_TOKEN')
        if token:
            project, _, roles = token.partition(':')
            environ.update({'HTTP_X_IDENTITY_STATUS': 'Confirmed',
                            'HTTP_X_PROJECT_ID': project, 'HTTP_X_USER_ID': 'user-' + project,
                            'HTTP_X_ROLES': roles or 'member'})
        else:
            environ['HTTP_X_IDENTITY_STATUS'] = 'Invalid'
        return app(environ, start_response)
    return middleware


DATABASES = ['sqlite', 'postgresql']
_TEMPLATE = 'dbaas_template'


@pytest.fixture(scope='session')
def postgres_server():
    """One throw-away PostgreSQL server for the session, stopped and removed at its end."""
    with pgserver.running() as server:
        yield server


@pytest.fixture(scope='session')
def postgres_databases(postgres_server):
    """Copies of a database migrated to head once, made ahead of the tests that take them."""
    url = postgres_server.create_database(_TEMPLATE)
    config.load([])
    config.CONF.set_override('connection', url, 'database')
    session.reset()
    try:
        migration.sync()
    finally:
        # CREATE DATABASE … TEMPLATE refuses a template anyone is connected to.
        session.reset()
        config.CONF.clear_override('connection', 'database')
    copies = pgserver.TemplateCopies(postgres_server, _TEMPLATE)
    yield copies
    copies.close()


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path):
    """A fresh, migrated service database of the parameter's kind; dropped afterwards."""
    if request.param == 'sqlite':
        yield 'sqlite:///%s' % (tmp_path / 'db.sqlite')
        return
    server = request.getfixturevalue('postgres_server')
    name = request.getfixturevalue('postgres_databases').take()
    yield server.url(name)
    server.drop_database(name)


@pytest.fixture
def conf(tmp_path, database_url):
    config.load([])
    config.CONF.set_override('connection', database_url, 'database')
    config.CONF.set_override('policy_file', str(tmp_path / 'policy.yaml'), 'api')
    config.CONF.set_override('module_key', MODULE_KEY)
    session.reset()
    policy.reset()
    migration.sync()
    yield config.CONF
    session.reset()
    policy.reset()
    config.CONF.clear_override('connection', 'database')
    config.CONF.clear_override('policy_file', 'api')
    config.CONF.clear_override('module_key')


class Client:
    """Calls the WSGI app in-process, as a project member unless told otherwise."""

    def __init__(self, app):
        self.app = app

    def request(self, method, path, body=None, raw=None, project=PROJECT, roles='member',
                token=True, url_project=None, headers=None):
        url = '/v1.0/%s%s' % (url_project or project, path) if not path.startswith('/v1.0') \
            and not path.startswith('/openapi') and path != '/' else path
        req = webob.Request.blank(url, method=method)
        if token:
            req.headers['X-Auth-Token'] = '%s:%s' % (project, roles)
        if raw is not None:
            req.body = raw if isinstance(raw, bytes) else raw.encode()
            req.content_type = 'application/json'
        elif body is not None:
            req.body = json.dumps(body).encode()
            req.content_type = 'application/json'
        for key, value in (headers or {}).items():
            req.headers[key] = value
        resp = req.get_response(self.app)
        resp.json_body_or_none = json.loads(resp.body) if resp.body else None
        return resp

    def get(self, path, **kw):
        return self.request('GET', path, **kw)


@pytest.fixture
def client(conf):
    from api_service.api import app
    return Client(app.build_app(auth_middleware=fake_auth))


@pytest.fixture
def catalogue(conf, tmp_path):
    from api_service.domain import catalogue_admin
    catalogue_admin.upsert_datastore_version('mariadb', '10.11', '10.11.19', 'mariadb', '/usr/sbin')
    catalogue_admin.upsert_datastore_version('postgresql', '15', '15.18', 'postgresql', '/pg15')
    catalogue_admin.upsert_datastore_version('postgresql', '18', '18.6', 'postgresql', '/pg18')
    for fid, name, ram, cpus in (('1', 'db.tiny', 256, 1), ('2', 'db.small', 512, 1),
                                 ('3', 'db.medium', 1024, 2)):
        catalogue_admin.upsert_flavor(fid, name, ram, cpus)
    for name in ('standard', 'fast'):
        catalogue_admin.upsert_volume_type(name, os.path.join(str(tmp_path), name))
    return catalogue_admin
