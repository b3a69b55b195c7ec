"""The SQL a call runs, for tests that prove a page costs a fixed number of queries."""
from sqlalchemy import event

from api_service.db import session as db_session


def statements_while(call):
    """The SQL statements (BEGIN included) run on the service database while `call` runs."""
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    engines = {db_session.get_reader(), db_session.get_factory().kw['bind']}
    for engine in engines:
        event.listen(engine, 'before_cursor_execute', listener)
    try:
        call()
    finally:
        for engine in engines:
            event.remove(engine, 'before_cursor_execute', listener)
    return statements
