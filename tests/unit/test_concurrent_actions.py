"""Two requests for one instance at once: the state machine lets exactly one operation in.

On PostgreSQL and MariaDB two API workers run their transactions at the same time, so the
status a transition checks is read under the instance's row lock (without it both requests
below get 202 on PostgreSQL); SQLite's writers run one at a time anyway.
"""
import threading
import time

from sqlalchemy import event

from api_service.db import session as db_session

from tests.unit.test_backups_api import active_instance, backup, bapi  # noqa: F401
from tests.unit.test_instances_api import api  # noqa: F401  (fixture)


def twice_at_once(call):
    """call() from two threads at once, each statement slowed to a remote database's round
    trip so that both have read the status before either writes it, unless one waits."""
    slow = lambda *_: time.sleep(0.005)  # noqa: E731
    start, answers = threading.Barrier(2), []

    def one():
        start.wait()
        answers.append(call().status_code)
    # On the service's own engines, not on every Engine: tests/pgserver.py's thread that
    # copies template databases runs statements meanwhile, and a listener added to or removed
    # from the Engine class under it breaks its iteration.
    engines = [db_session.get_factory().kw['bind'], db_session.get_reader()]
    for engine in engines:
        event.listen(engine, 'after_cursor_execute', slow)
    try:
        callers = [threading.Thread(target=one) for _ in range(2)]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join(30)
        assert not any(caller.is_alive() for caller in callers), 'a request never answered'
    finally:
        for engine in engines:
            event.remove(engine, 'after_cursor_execute', slow)
    return sorted(answers)


def test_two_restarts_at_once_start_one(api):  # noqa: F811
    instance_id = active_instance(api)
    assert twice_at_once(lambda: api.request(
        'POST', '/instances/%s/action' % instance_id, body={'restart': {}})) == [202, 409]
    assert [cast[0] for cast in api.recorder.casts].count('restart') == 1


def test_two_backups_at_once_start_one(bapi):  # noqa: F811
    instance_id = active_instance(bapi)
    assert twice_at_once(lambda: backup(bapi, instance_id)) == [202, 409]
    assert len(bapi.backup_casts) == 1


def test_a_heartbeat_read_before_a_restart_does_not_undo_it(api, monkeypatch):  # noqa: F811
    from api_service.conductor import service as conductor
    from api_service.domain import instances as instances_domain
    from api_service.rpc import secure
    instance_id = active_instance(api)
    key = instances_domain.instance_key(instance_id)
    paused, go_on = threading.Event(), threading.Event()
    utcnow = conductor.models.utcnow

    def pause_the_heartbeat():
        # Called by the heartbeat just after it read the instance, before it writes.
        if threading.current_thread().name == 'heartbeat':
            paused.set()
            go_on.wait(10)
        return utcnow()
    monkeypatch.setattr(conductor.models, 'utcnow', pause_the_heartbeat)
    heartbeat = threading.Thread(name='heartbeat', target=conductor.ConductorEndpoint().heartbeat,
                                 args=({}, instance_id, secure.seal(
                                     key, {'status': 'SHUTDOWN', 'used_bytes': 1})))
    heartbeat.start()
    assert paused.wait(10)
    answers = []
    restart = threading.Thread(target=lambda: answers.append(api.request(
        'POST', '/instances/%s/action' % instance_id, body={'restart': {}}).status_code))
    restart.start()
    restart.join(0.5)      # it waits for the heartbeat's transaction, or ends meanwhile
    go_on.set()
    heartbeat.join(10)
    restart.join(10)
    assert answers == [202]
    # Whatever the order, the restart is the last word: REBOOT, not the heartbeat's SHUTDOWN.
    assert api.get('/instances/%s' % instance_id).json_body_or_none['instance']['status'] \
        == 'REBOOT'


def test_the_janitor_never_overwrites_a_delete_committed_after_it_looked(api):  # noqa: F811
    # The janitor finds the build overdue while a delete holds the row: it must not turn the
    # DELETING status the delete commits into ERROR (it looks again on its next tick).
    import datetime

    from api_service.db import models
    from api_service.db import models_instances as m
    from api_service.db.session import session_scope
    from api_service.domain import status
    from api_service.taskmanager import janitor
    instance_id = active_instance(api)
    with session_scope() as session:
        row = session.get(m.Instance, instance_id)
        status.begin(row, 'restart', 60)
        row.task_deadline = models.utcnow() - datetime.timedelta(seconds=1)
    deleting, janitor_done, retried = threading.Event(), threading.Event(), []

    def delete_holding_the_row():
        with session_scope() as session:
            row = session.scalars(m.Instance.__table__.select().where(
                m.Instance.id == instance_id).with_for_update()).first()
            assert row is not None
            instance = session.get(m.Instance, instance_id)
            status.mark_deleting(instance, 60)
            session.flush()
            deleting.set()
            janitor_done.wait(5)    # on SQLite the janitor waits for this commit instead
    deleter = threading.Thread(target=delete_holding_the_row)
    deleter.start()
    assert deleting.wait(10)
    sweeper = threading.Thread(target=lambda: retried.extend(janitor.expire_deadlines()))
    sweeper.start()
    sweeper.join(3)
    janitor_done.set()
    deleter.join(10)
    sweeper.join(20)
    with session_scope() as session:
        assert session.get(m.Instance, instance_id).status == 'DELETING'
