"""A MariaDB service database for the unit tests that run again on it: one throw-away server
per module (tests/mariadbserver.py), a fresh database per test. Importing `database_url`
into a test module overrides the SQLite/PostgreSQL parameters of tests/unit/conftest.py
there."""
import itertools

import pytest

from tests import mariadbserver

_names = itertools.count(1)


@pytest.fixture(scope='module')
def mariadb_server():
    with mariadbserver.running() as server:
        yield server


@pytest.fixture
def database_url(mariadb_server):
    """A fresh, empty MariaDB database (the `conf` fixture migrates it); dropped afterwards."""
    name = 'dbaas_%d' % next(_names)
    yield mariadb_server.create_database(name)
    mariadb_server.drop_database(name)
