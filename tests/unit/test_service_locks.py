"""Named service locks hold across transactions on every service database."""
import threading
import time

import pytest

from api_service.db import locks
from api_service.db.session import session_scope


def test_a_held_lock_blocks_a_second_transaction_until_the_first_ends(conf):
    taken = {}

    def second():
        with session_scope() as session:
            locks.hold(session, locks.PLACEMENT)
            taken['at'] = time.monotonic()

    with session_scope() as session:
        locks.hold(session, locks.PLACEMENT)
        waiter = threading.Thread(target=second)
        waiter.start()
        waiter.join(0.5)
        assert waiter.is_alive() and 'at' not in taken, 'the second transaction did not wait'
        released = time.monotonic()
    waiter.join(10)
    assert not waiter.is_alive() and taken['at'] >= released


def test_an_unknown_lock_is_a_programming_error(conf):
    with session_scope() as session, pytest.raises(LookupError, match="'nonesuch'"):
        locks.hold(session, 'nonesuch')


# PostgreSQL alone: it would wait for ever (SQLite's writers wait on its busy timeout).
@pytest.mark.parametrize('database_url', ['postgresql'], indirect=True)
def test_a_wait_is_bounded_and_says_who_held_the_lock(conf):
    outcome = {}

    def second():
        try:
            with session_scope() as session:
                locks.hold(session, locks.PLACEMENT, wait_seconds=0.2)
        except locks.Busy as error:
            outcome['busy'] = str(error)

    with session_scope() as session:
        locks.hold(session, locks.PLACEMENT)
        waiter = threading.Thread(target=second)
        waiter.start()
        waiter.join(10)
    assert outcome['busy'] == ('The placement lock was held for more than 0.2 seconds by '
                               'another task manager.')
