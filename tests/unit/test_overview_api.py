"""GET /overview: the project's live instances, storage, backups, backups due next and latest
faults, counted on the service database, six queries whatever the number of instances;
other projects' rows and deleted ones never counted; a fault's admin details never shown."""
import datetime
import uuid

from sqlalchemy import event, select

from api_service.db import models
from api_service.db import models_backups as b
from api_service.db import models_instances as m
from api_service.db import models_schedules as s
from api_service.db import session as db_session
from api_service.db.session import session_scope
from tests.unit.conftest import OTHER_PROJECT, PROJECT

T0 = datetime.datetime(2030, 1, 1, 3, 0, 0)


class Rows:
    """Writes the service database's rows straight, as the flows leave them."""

    def __init__(self):
        with session_scope() as session:
            self.versions = {ds: session.scalars(
                select(models.DatastoreVersion.id).join(models.Datastore)
                .where(models.Datastore.name == ds)).first()
                for ds in ('mariadb', 'postgresql')}

    def instance(self, name, status='ACTIVE', datastore='mariadb', project=PROJECT,
                 size=2, used=None, deleted=False):
        instance_id = str(uuid.uuid4())
        with session_scope() as session:
            session.add(m.Instance(id=instance_id, name=name, project_id=project, status=status,
                                   datastore_version_id=self.versions[datastore], flavor_id='2',
                                   ram_mb=512, vcpus=1, volume_size=size,
                                   volume_used_bytes=used, deleted=deleted))
        return instance_id

    def backup(self, instance_id, size, project=PROJECT, deleted=False, status='COMPLETED'):
        with session_scope() as session:
            session.add(b.Backup(name='b', project_id=project, instance_id=instance_id,
                                 datastore_version_id=self.versions['mariadb'], status=status,
                                 size_bytes=size, deleted=deleted))

    def schedule(self, instance_id, name, minutes, project=PROJECT, enabled=True):
        with session_scope() as session:
            row = s.Schedule(project_id=project, instance_id=instance_id, name=name,
                             pattern='0 3 * * *', enabled=enabled,
                             next_execution_time=T0 + datetime.timedelta(minutes=minutes))
            session.add(row)
            session.flush()
            return row.id

    def fault(self, instance_id, message, minutes, details='', deleted=False):
        with session_scope() as session:
            session.add(m.InstanceFault(instance_id=instance_id, message=message,
                                        details=details, deleted=deleted,
                                        created=T0 + datetime.timedelta(minutes=minutes)))


def overview(client, **kw):
    resp = client.get('/overview', **kw)
    assert resp.status_code == 200, resp.body
    return resp.json_body_or_none['overview']


def test_an_empty_project_is_all_zeros(client, catalogue):
    assert overview(client) == {
        'instances': {'total': 0, 'by_status': [], 'by_datastore': []},
        'storage': {'allocated_gb': 0, 'used_bytes': 0},
        'backups': {'count': 0, 'size_bytes': 0}, 'next_backups': [], 'recent_faults': []}


def test_counts_only_the_projects_live_rows(client, catalogue):
    rows = Rows()
    one = rows.instance('one', used=1000)
    rows.instance('two', status='ERROR', datastore='postgresql', size=5, used=500)
    rows.instance('three', status='BUILD')
    gone = rows.instance('gone', deleted=True, size=50, used=10 ** 9)
    theirs = rows.instance('theirs', project=OTHER_PROJECT, size=70, used=10 ** 9)
    rows.backup(one, 100)
    rows.backup(gone, 20)            # the instance's backup outlives it
    rows.backup(None, None, status='FAILED')
    rows.backup(one, 10 ** 6, deleted=True)
    rows.backup(theirs, 10 ** 6, project=OTHER_PROJECT)

    got = overview(client)

    assert got['instances'] == {
        'total': 3,
        'by_status': [{'status': 'ACTIVE', 'count': 1}, {'status': 'BUILD', 'count': 1},
                      {'status': 'ERROR', 'count': 1}],
        'by_datastore': [{'datastore': 'mariadb', 'count': 2},
                         {'datastore': 'postgresql', 'count': 1}]}
    assert got['storage'] == {'allocated_gb': 2 + 5 + 2, 'used_bytes': 1500}
    assert got['backups'] == {'count': 3, 'size_bytes': 120}
    assert overview(client, project=OTHER_PROJECT)['instances']['total'] == 1


def test_next_backups_are_the_enabled_schedules_of_live_instances_soonest_first(client,
                                                                                 catalogue):
    rows = Rows()
    one, two = rows.instance('one'), rows.instance('two')
    gone = rows.instance('gone', deleted=True)
    theirs = rows.instance('theirs', project=OTHER_PROJECT)
    later = rows.schedule(one, 'later', 90)
    soon = rows.schedule(two, 'soon', 10)
    rows.schedule(one, 'paused', 1, enabled=False)
    rows.schedule(gone, 'orphan', 2)
    rows.schedule(theirs, 'theirs', 3, project=OTHER_PROJECT)
    for minutes in range(100, 106):
        rows.schedule(one, 'many %d' % minutes, minutes)

    got = overview(client)['next_backups']

    assert len(got) == 5
    assert got[0] == {'schedule_id': soon, 'schedule_name': 'soon',
                      'next_run': '2030-01-01T03:10:00', 'instance_id': two,
                      'instance_name': 'two'}
    assert [g['schedule_id'] for g in got[:2]] == [soon, later]
    assert [g['schedule_name'] for g in got[2:]] == ['many 100', 'many 101', 'many 102']


def test_recent_faults_are_each_live_instances_latest_without_admin_details(client,
                                                                             catalogue):
    rows = Rows()
    one, two = rows.instance('one', status='ERROR'), rows.instance('two')
    gone = rows.instance('gone', deleted=True)
    theirs = rows.instance('theirs', project=OTHER_PROJECT)
    rows.fault(one, 'first failure', 1, details='Traceback: secret')
    rows.fault(one, 'The backup failed.', 5, details='Traceback: secret')
    rows.fault(two, 'older one', 3)
    rows.fault(two, 'hidden', 9, deleted=True)
    rows.fault(gone, 'of a deleted instance', 10)
    rows.fault(theirs, 'theirs', 11)

    got = overview(client)['recent_faults']

    assert got == [
        {'instance_id': one, 'instance_name': 'one', 'instance_status': 'ERROR',
         'message': 'The backup failed.', 'created': '2030-01-01T03:05:00'},
        {'instance_id': two, 'instance_name': 'two', 'instance_status': 'ACTIVE',
         'message': 'older one', 'created': '2030-01-01T03:03:00'}]
    assert 'secret' not in client.get('/overview', roles='admin').body.decode()


def test_six_queries_whatever_the_number_of_instances(client, catalogue):
    rows = Rows()
    statements = []

    def counted(_conn, _cursor, statement, *_args):
        statements.append(statement)

    def queries():
        del statements[:]
        event.listen(db_session.get_reader(), 'before_cursor_execute', counted)
        try:
            overview(client)
        finally:
            event.remove(db_session.get_reader(), 'before_cursor_execute', counted)
        return [q for q in statements if 'instances' in q or 'backup' in q]

    small = len(queries())
    for n in range(40):
        instance_id = rows.instance('i%d' % n)
        rows.fault(instance_id, 'f', n)
        rows.schedule(instance_id, 's', n)
        rows.backup(instance_id, n)
    assert small == len(queries()) == 6


def test_readers_see_it_and_nobody_else(client, catalogue):
    assert client.get('/overview', roles='reader').status_code == 200
    assert client.get('/overview', roles='service').status_code == 403
    assert client.get('/overview', project=OTHER_PROJECT, url_project=PROJECT).status_code == 403
