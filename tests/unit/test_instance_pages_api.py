"""What the dashboard's instance pages read from the API (issue #14): an event names its
backup by id, a backup names its instance (deleted ones too), Disable Root on an instance
whose root is not enabled is a 404 in words (as upstream Trove's RootHistoryNotFound), and
a schedule runs now through the scheduler's own claim."""
import datetime

import pytest

from api_service.db import models
from api_service.db import models_backups as b
from api_service.db import models_instances as m
from api_service.db import models_schedules as s
from api_service.db.session import session_scope
from api_service.domain import events
from api_service.taskmanager import scheduler
from tests.unit.conftest import OTHER_PROJECT
from tests.unit.sql_statements import statements_while
from tests.unit.test_backups_api import active_instance, backup, bapi  # noqa: F401
from tests.unit.test_instances_api import api  # noqa: F401
from tests.unit.test_tenant_faults import FakeRPC, active, mem  # noqa: F401


def message(resp):
    return list(resp.json_body_or_none.values())[0]['message']


# -- events name their backup ----------------------------------------------------------------

BACKUP_ID = '0b7e1c52-3f0e-4c55-9a1d-1f2a3b4c5d6e'


@pytest.mark.parametrize('text, expected', [
    ('backup %s' % BACKUP_ID, BACKUP_ID),
    ('restoring backup %s' % BACKUP_ID, BACKUP_ID),
    ('sent to the guest', None),
    ('backup nightly', None),
    ('', None),
    (None, None),
])
def test_backup_named(text, expected):
    assert events.backup_named(text) == expected


def _backed_up(client):
    """An instance and the id of its backup 'b1', taken through the API."""
    instance_id = active(client)
    resp = client.request('POST', '/backups', body={'backup': {'name': 'b1',
                                                               'instance': instance_id}})
    assert resp.status_code == 202, resp.body
    return instance_id, resp.json_body_or_none['backup']['id']


def _own_backup(instance_id, name, project_id=None):
    """A backup row of the instance's project (or of `project_id`), and a step naming it."""
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id)
        row = b.Backup(name=name, project_id=project_id or instance.project_id,
                       datastore_version_id=instance.datastore_version_id, status='COMPLETED')
        session.add(row)
        session.flush()
        backup_id = row.id
    events.start(instance_id, 'create', name, 'restoring backup %s' % backup_id)
    return backup_id


def test_the_backup_step_carries_the_backup_id(mem):  # noqa: F811
    instance_id, backup_id = _backed_up(mem)

    found = mem.get('/instances/%s/events' % instance_id).json_body_or_none['events']

    by_step = {(e['operation'], e['name']): e for e in found}
    assert by_step[('backup', 'stream to storage')]['backup_id'] == backup_id
    assert by_step[('create', 'placement')]['backup_id'] is None


def _events_by_step(client, instance_id):
    found = client.get('/instances/%s/events' % instance_id).json_body_or_none['events']
    return {e['name']: e for e in found}


def _backup_fields(event):
    return event['backup_id'], event['backup_name'], event['backup_deleted']


def test_events_carry_their_backups_name_and_whether_it_is_deleted(mem):  # noqa: F811
    instance_id, backup_id = _backed_up(mem)
    assert _backup_fields(_events_by_step(mem, instance_id)['stream to storage']) == (
        backup_id, 'b1', False)
    assert _backup_fields(_events_by_step(mem, instance_id)['placement']) == (
        None, None, None)

    with session_scope() as session:    # deleted: its row stays, as history
        session.get(b.Backup, backup_id).deleted = True
    assert _backup_fields(_events_by_step(mem, instance_id)['stream to storage']) == (
        backup_id, 'b1', True)


def test_another_projects_backup_never_joins(mem):  # noqa: F811
    # An admin may restore another project's backup: the step names it, but its name
    # is not this project's to read.
    instance_id = active(mem)
    with session_scope() as session:
        project_id = session.get(m.Instance, instance_id).project_id
    theirs = _own_backup(instance_id, 'theirs', project_id='another-' + project_id)

    assert _backup_fields(_events_by_step(mem, instance_id)['theirs']) == (
        theirs, None, None)


def test_a_step_naming_two_backups_joins_the_one_it_names_first(mem):  # noqa: F811
    instance_id = active(mem)
    first, second = _own_backup(instance_id, 'first'), _own_backup(instance_id, 'second')
    events.start(instance_id, 'create', 'both', 'backup %s after backup %s' % (second, first))

    steps = _events_by_step(mem, instance_id)

    assert _backup_fields(steps['both']) == (second, 'second', False)
    assert [e['name'] for e in steps.values()].count('both') == 1


def test_a_step_keeps_its_backup_when_its_failure_message_names_none(mem):  # noqa: F811
    # The backup is stored when the step starts: a failure's words replacing the message
    # do not unlink the step from the backup it worked on.
    instance_id = active(mem)
    backup_id = _own_backup(instance_id, 'kept')
    event_id = events.start(instance_id, 'restore', 'fetch', 'restoring backup %s' % backup_id)
    events.finish(event_id, events.FAILED, 'The backup storage did not answer.')

    step = _events_by_step(mem, instance_id)['fetch']

    assert step['message'] == 'The backup storage did not answer.'
    assert _backup_fields(step) == (backup_id, 'kept', False)


def test_the_migration_gives_recorded_steps_their_backup(database_url):
    """Steps recorded before 0023 name their backup in their message only."""
    import sqlalchemy as sa
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from api_service.db import migration

    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            cfg = migration._config(connection)
            if MigrationContext.configure(connection).get_current_revision() is None:
                command.upgrade(cfg, '0022')
            else:   # PostgreSQL's copies are made at head
                command.downgrade(cfg, '0022')
            connection.execute(sa.text(
                "INSERT INTO instance_events (id, instance_id, operation, step, started, "
                "outcome, message) VALUES ('e1', 'i', 'create', 'restore', :now, 'SUCCESS', "
                ":named), ('e2', 'i', 'create', 'prepare', :now, 'SUCCESS', 'backup nightly')"),
                dict(now=models.utcnow(), named='restoring backup %s' % BACKUP_ID))
            command.upgrade(cfg, '0023')
            found = dict(connection.execute(sa.text(
                'SELECT id, backup_id FROM instance_events')).all())
            indexes = {i['name'] for i in sa.inspect(connection).get_indexes('instance_events')}
            connection.execute(sa.text('DELETE FROM instance_events'))
            command.upgrade(cfg, 'head')
    finally:
        engine.dispose()
    assert found == {'e1': BACKUP_ID, 'e2': None}
    assert 'ix_instance_events_backup' in indexes


def test_events_and_their_backups_come_in_one_query(mem):  # noqa: F811
    instance_id = active(mem)
    for n in range(4):    # more steps naming more backups cost no more queries
        _own_backup(instance_id, 'b%d' % n)

    found = []
    statements = statements_while(lambda: found.extend(events.for_instance(instance_id)))

    assert sorted(backup[0] for _, backup in found if backup) == ['b0', 'b1', 'b2', 'b3']
    assert len([s for s in statements if s.startswith('SELECT')]) == 1, statements


# -- backups name their instance -------------------------------------------------------------

def _backup_views(api, backup_id):
    listed = {b['id']: b for b in api.get('/backups').json_body_or_none['backups']}[backup_id]
    shown = api.get('/backups/%s' % backup_id).json_body_or_none['backup']
    return listed, shown


def test_backups_name_their_instance_and_say_when_it_is_deleted(bapi):  # noqa: F811
    instance_id = active_instance(bapi)
    backup_id = backup(bapi, instance_id).json_body_or_none['backup']['id']
    with session_scope() as session:
        name = session.get(m.Instance, instance_id).name

    for view in _backup_views(bapi, backup_id):
        assert (view['instance_name'], view['instance_deleted']) == (name, False)

    with session_scope() as session:
        session.get(m.Instance, instance_id).deleted = True
    for view in _backup_views(bapi, backup_id):
        assert (view['instance_name'], view['instance_deleted']) == (name, True)

    with session_scope() as session:    # purged: no row left to name it
        session.delete(session.get(m.Instance, instance_id))
    for view in _backup_views(bapi, backup_id):
        assert (view['instance_name'], view['instance_deleted']) == (None, True)


# -- Disable Root when root is not enabled ----------------------------------------------------

def test_disable_root_when_root_is_not_enabled_is_a_404_in_words(mem):  # noqa: F811
    instance_id = active(mem)
    calls = []
    original = FakeRPC.call

    def recorded(self, ctx, method, **kwargs):
        calls.append(kwargs.get('method', method))
        return original(self, ctx, method, **kwargs)
    FakeRPC.call = recorded
    try:
        resp = mem.request('DELETE', '/instances/%s/root' % instance_id)
    finally:
        FakeRPC.call = original

    assert resp.status_code == 404, resp.body
    assert message(resp) == 'Root is not enabled on this instance: there is nothing to disable.'
    assert 'disable_root' not in calls


# -- Run Now: the scheduler's own claim -------------------------------------------------------

def _schedule(client, instance_id, pattern='0 3 * * *'):
    resp = client.request('POST', '/instances/%s/schedules' % instance_id,
                          body={'schedule': {'name': 'nightly', 'pattern': pattern}})
    assert resp.status_code == 200, resp.body
    return resp.json_body_or_none['schedule']['id']


def test_run_now_makes_the_schedule_due_for_the_schedulers_next_tick(mem):  # noqa: F811
    instance_id = active(mem)
    schedule_id = _schedule(mem, instance_id)
    started = []
    assert scheduler.tick(lambda *args, **kwargs: started.append(args),
                          lambda doomed: None) == 0

    resp = mem.request('POST', '/instances/%s/schedules/%s/run' % (instance_id, schedule_id))

    assert resp.status_code == 202, resp.body
    with session_scope() as session:
        assert session.get(s.Schedule, schedule_id).next_execution_time <= models.utcnow()
    assert scheduler.tick(lambda *args, **kwargs: started.append(args),
                          lambda doomed: None) == 1
    with session_scope() as session:    # claimed once: the next run is the pattern's again
        assert session.get(s.Schedule, schedule_id).next_execution_time > \
            models.utcnow() + datetime.timedelta(seconds=1)


def test_run_now_of_a_disabled_schedule_is_refused_in_words(mem):  # noqa: F811
    instance_id = active(mem)
    schedule_id = _schedule(mem, instance_id)
    with session_scope() as session:
        session.get(s.Schedule, schedule_id).enabled = False

    resp = mem.request('POST', '/instances/%s/schedules/%s/run' % (instance_id, schedule_id))

    assert resp.status_code == 409, resp.body
    assert message(resp) == 'The schedule "nightly" is disabled: enable it to run it now.'


def test_run_now_of_another_projects_schedule_is_a_404(mem):  # noqa: F811
    instance_id = active(mem)
    schedule_id = _schedule(mem, instance_id)

    resp = mem.request('POST', '/instances/%s/schedules/%s/run' % (instance_id, schedule_id),
                       project=OTHER_PROJECT)

    assert resp.status_code == 404, resp.body
    with session_scope() as session:    # untouched: still due at the pattern's time
        assert session.get(s.Schedule, schedule_id).next_execution_time > models.utcnow()
