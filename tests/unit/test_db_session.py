"""The engine factory: one writers' engine and a readers' engine, on every database."""
import os
import threading
import time

from sqlalchemy import text

from api_service.db import session


def test_a_process_whose_first_query_is_a_read_gets_its_engine(conf):
    # An API worker's first request may be a list: read_scope() before any session_scope().
    session.reset()
    answered = []

    def first_read():
        with session.read_scope() as conn:
            answered.append(conn.execute(text('SELECT 1')).scalar())

    reader = threading.Thread(target=first_read, daemon=True)
    reader.start()
    reader.join(10)
    assert answered == [1], 'the first read_scope() never got an engine (deadlock)'
    session.reset()


# -- a service database that restarts (#15) ---------------------------------------------------
# These run on a PostgreSQL server of their own, which they stop and start: the session's
# shared server makes template copies in the background and must stay up.

import logging  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import exc as sa_exc  # noqa: E402

from api_service.api import faults  # noqa: E402
from api_service.common import config  # noqa: E402
from api_service.common import exceptions  # noqa: E402
from api_service.db import migration  # noqa: E402
from tests import pgserver  # noqa: E402
from tests.unit.conftest import Client, fake_auth  # noqa: E402

UNREACHABLE = ('The service database is unreachable; the request may not have been '
               'done: try again shortly.')


@pytest.fixture(scope='module')
def restartable_server():
    with pgserver.running() as server:
        url = server.create_database('restarts')
        yield server, url


@pytest.fixture
def restartable(restartable_server, tmp_path):
    """CONF on the restartable server's migrated database; the server is up again after."""
    server, url = restartable_server
    config.load([])
    config.CONF.set_override('connection', url, 'database')
    config.CONF.set_override('policy_file', str(tmp_path / 'policy.yaml'), 'api')
    session.reset()
    migration.sync()
    try:
        yield server
    finally:
        if not os.path.exists(os.path.join(server.root, 'data', 'postmaster.pid')):
            server.start_postmaster()
        session.reset()
        for name in ('connect_retry_seconds', 'connection'):
            config.CONF.clear_override(name, 'database')
        config.CONF.clear_override('policy_file', 'api')


class _Signal(logging.Handler):
    """Sets an event when the session module logs a message containing `words`."""

    def __init__(self, words):
        super().__init__()
        self.words, self.seen = words, threading.Event()

    def emit(self, record):
        if self.words in record.getMessage():
            self.seen.set()


def _app_client():
    from api_service.api import app
    return Client(app.build_app(auth_middleware=fake_auth))


def test_a_connection_opened_while_the_server_restarts_waits_for_it(restartable):
    config.CONF.set_override('connect_retry_seconds', 30, 'database')
    with session.session_scope() as s:       # the pool holds a connection the stop will cut
        s.execute(text('SELECT 1'))
    restartable.stop_postmaster()
    retrying = _Signal('retrying')
    session.LOG.addHandler(retrying)
    answered = []

    def query():
        with session.session_scope() as s:
            answered.append(s.execute(text('SELECT 1')).scalar())

    worker = threading.Thread(target=query, daemon=True)
    try:
        worker.start()
        assert retrying.seen.wait(20), 'no connection attempt met the stopped server'
        assert answered == []
        restartable.start_postmaster()
        worker.join(30)
    finally:
        session.LOG.removeHandler(retrying)
    assert answered == [1], 'the query did not get through once the server was back'


def test_past_the_retry_window_a_request_gets_503_in_words_then_works_again(restartable):
    client = _app_client()
    assert client.get('/instances').status_code == 200
    config.CONF.set_override('connect_retry_seconds', 0.5, 'database')
    restartable.stop_postmaster()
    started = time.monotonic()
    resp = client.get('/instances')
    waited = time.monotonic() - started
    assert resp.status_code == 503, resp.body
    assert resp.json_body_or_none == {'serviceUnavailable': {'code': 503,
                                                             'message': UNREACHABLE}}
    assert 0.4 <= waited < 5, 'the request waited %.1f s, not about the retry window' % waited
    restartable.start_postmaster()
    assert client.get('/instances').status_code == 200


def test_outside_requests_the_error_is_typed(restartable):
    # The task manager's and conductor's loops log it and go on with their next round.
    config.CONF.set_override('connect_retry_seconds', 0.2, 'database')
    restartable.stop_postmaster()
    with pytest.raises(exceptions.DatabaseUnavailable):
        with session.read_scope() as conn:
            conn.execute(text('SELECT 1'))


def test_a_statement_cut_by_the_restart_is_recognised_as_the_database_gone(restartable):
    config.CONF.set_override('connect_retry_seconds', 0.2, 'database')
    with pytest.raises(sa_exc.DBAPIError) as caught:
        with session.session_scope() as s:
            s.execute(text('SELECT 1'))          # a transaction is open on a connection
            restartable.stop_postmaster()        # 'fast' ends every session
            s.execute(text('SELECT 1'))
    assert faults._database_went_away(caught.value)


def _raising(error):
    def app(environ, start_response):
        raise error
    return faults.FaultWrapper(app)


def _call(wsgi_app):
    import webob
    resp = webob.Request.blank('/v1.0/x/instances').get_response(wsgi_app)
    return resp.status_code, resp.json_body


class _Orig(Exception):
    def __init__(self, sqlstate):
        super().__init__('driver text naming /a/socket')
        self.sqlstate = sqlstate


def test_fault_wrapper_answers_a_gone_database_503_and_other_database_errors_500():
    gone = sa_exc.OperationalError('SELECT 1', {}, _Orig('57P01'))
    cut = sa_exc.DBAPIError('SELECT 1', {}, _Orig(None), connection_invalidated=True)
    wrong = sa_exc.IntegrityError('INSERT', {}, _Orig('23505'))
    assert _call(_raising(gone)) == (503, {'serviceUnavailable': {'code': 503,
                                                                  'message': UNREACHABLE}})
    assert _call(_raising(cut))[0] == 503
    status, body = _call(_raising(wrong))
    assert status == 500 and 'socket' not in str(body)
    assert _call(_raising(exceptions.DatabaseUnavailable()))[0] == 503
