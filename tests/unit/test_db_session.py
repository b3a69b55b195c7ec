"""The engine factory: one writers' engine and a readers' engine, on every database."""
import threading

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
