"""Backup deletes end in DELETED or in DELETE_FAILED with a reason the owner reads, and the
janitor retries until the objects are gone: against a store that refuses the first deletes."""
import datetime
import threading

import pytest

from api_service.db import models
from api_service.db import models_backups as b
from api_service.db.session import session_scope
from api_service.domain import backup_deletes
from api_service.domain import backups as backups_domain
from api_service.drivers.storage import LocalObjectStore, StorageError
from api_service.taskmanager import flows
from api_service.taskmanager import service
from tests.unit.conftest import OTHER_PROJECT
from tests.unit.test_backups_api import (  # noqa: F401  (fixtures)
    active_instance, api, backup, backups_in_use, bapi, complete)


class RefusingStore(LocalObjectStore):
    """The local store, refusing its first `refusals` deletes as a store in trouble does."""

    def __init__(self, root, refusals, error=None):
        super().__init__(root)
        self.refusals = refusals
        self.error = error or StorageError(details='swift DELETE /v1/AUTH_x/c/k: HTTP 503')
        self.deletes = 0

    def delete(self, key):
        self.deletes += 1
        if self.refusals:
            self.refusals -= 1
            raise self.error
        return super().delete(key)


@pytest.fixture
def store(bapi, conf, tmp_path, monkeypatch):
    conf.set_override('storage_root', str(tmp_path / 'objects'), 'backup')
    made = RefusingStore(str(tmp_path / 'objects'), refusals=0)
    monkeypatch.setattr(backups_domain, 'object_store', lambda: made)
    yield made
    conf.clear_override('storage_root', 'backup')


def completed_backup(api, store, instance_id=None, **extra):
    """A COMPLETED backup with its object in the store; (id, location)."""
    instance_id = instance_id or active_instance(api)
    backup_id = backup(api, instance_id, **extra).json_body_or_none['backup']['id']
    complete(backup_id)
    with session_scope() as session:
        location = session.get(b.Backup, backup_id).location
    with store.open_writer(location) as writer:
        writer.write(b'the backup')
        writer.commit()
    return backup_id, location


def row(backup_id):
    with session_scope() as session:
        found = session.get(b.Backup, backup_id)
        session.expunge(found)
        return found


def shown(api, backup_id, **kwargs):
    resp = api.get('/backups/%s' % backup_id, **kwargs)
    return resp.json_body_or_none['backup'] if resp.status_code == 200 else resp.status_code


def listed(api):
    return {x['id']: x['status'] for x in api.get('/backups').json_body_or_none['backups']}


def later(seconds):
    return models.utcnow() + datetime.timedelta(seconds=seconds)


def cast_ids(api):
    method, _, kwargs = api.backup_casts[-1]
    assert method == 'delete_backups'
    return kwargs['backup_ids']


def test_a_refused_delete_is_delete_failed_with_a_reason_until_retries_remove_it(bapi, store):
    backup_id, location = completed_backup(bapi, store)
    assert backups_in_use() == 1
    store.refusals = 2
    assert bapi.request('DELETE', '/backups/%s' % backup_id).status_code == 202
    # The intent is recorded before any object is touched; the quota is returned once, now.
    assert shown(bapi, backup_id)['status'] == 'DELETING'
    assert listed(bapi) == {backup_id: 'DELETING'}
    assert backups_in_use() == 0
    assert cast_ids(bapi) == [backup_id]

    flows.delete_backups({}, cast_ids(bapi))
    failed = shown(bapi, backup_id)
    assert failed['status'] == 'DELETE_FAILED'
    reason = failed['fail_reason']
    assert reason.startswith("The backup's data could not be deleted: the backup storage failed.")
    assert 'retried automatically' in reason and 'delete the backup again' in reason
    assert 'HTTP' not in reason and 'AUTH_x' not in reason   # the store's details are not hers
    assert listed(bapi) == {backup_id: 'DELETE_FAILED'}      # as Trove lists them
    assert shown(bapi, backup_id, project=OTHER_PROJECT) == 404
    assert store.exists(location)

    # The janitor waits for the backoff, then retries; refused again, it waits longer.
    assert backup_deletes.claim_due() == []
    assert backup_deletes.claim_due(now=later(11)) == [backup_id]
    assert backup_deletes.claim_due(now=later(11)) == []     # claimed once
    flows.delete_backups({}, [backup_id])
    again = row(backup_id)
    assert again.status == 'DELETE_FAILED' and again.delete_attempts == 2
    assert again.delete_next_attempt > later(15)
    assert store.exists(location)

    # Deleting it again retries at once, and this time the store lets go.
    assert bapi.request('DELETE', '/backups/%s' % backup_id).status_code == 202
    assert shown(bapi, backup_id)['status'] == 'DELETING'
    flows.delete_backups({}, cast_ids(bapi))
    assert store.deletes == 3 and not store.exists(location)
    assert shown(bapi, backup_id) == 404 and listed(bapi) == {}
    gone = row(backup_id)          # the row stays, as history
    assert gone.status == 'DELETED' and gone.deleted and gone.deleted_at is not None
    assert gone.delete_next_attempt is None and gone.fail_reason is None
    assert backups_in_use() == 0   # released once, not once per DELETE
    assert backup_deletes.claim_due(now=later(3600)) == []


@pytest.fixture
def quick_retries(conf):
    conf.set_override('delete_retry_interval', 1, 'backup')
    conf.set_override('delete_retry_max_interval', 4, 'backup')
    yield
    conf.clear_override('delete_retry_interval', 'backup')
    conf.clear_override('delete_retry_max_interval', 'backup')


def test_the_janitor_loop_retries_with_a_bounded_backoff_until_the_objects_are_gone(
        bapi, store, quick_retries, monkeypatch):
    assert [backup_deletes.retry_delay(n) for n in range(1, 7)] == [1, 2, 4, 4, 4, 4]
    backup_id, location = completed_backup(bapi, store)
    store.refusals = 4
    bapi.request('DELETE', '/backups/%s' % backup_id)     # its cast is lost: nobody runs it
    clock = [models.utcnow()]
    monkeypatch.setattr(models, 'utcnow', lambda: clock[0])
    monkeypatch.setattr(service, '_run', lambda func, *args: func(*args))
    monkeypatch.setattr(service.janitor, 'expire_deadlines', lambda: [])

    class Ticks:
        """The janitor's stop event: each wait is a tick, the clock moving a minute on."""
        count = 0

        def wait(self, timeout):
            self.count += 1
            clock[0] += datetime.timedelta(seconds=60 if self.count > 1 else 0)
            return self.count > 12 or not store.exists(location)

    service.janitor_forever(Ticks())
    # The lost cast's attempt lapsed (delete_attempt_timeout) and the janitor took it up.
    assert store.deletes == 5 and not store.exists(location)
    assert row(backup_id).status == 'DELETED'


def test_a_delete_whose_task_manager_died_is_taken_up_once_its_attempt_lapses(bapi, store):
    backup_id, location = completed_backup(bapi, store)
    bapi.request('DELETE', '/backups/%s' % backup_id)     # the task manager never runs it
    assert backup_deletes.claim_due(now=later(60)) == []   # its attempt may still be running
    claimed = backup_deletes.claim_due(now=later(301))
    assert claimed == [backup_id]
    flows.delete_backups({}, claimed)
    assert row(backup_id).status == 'DELETED' and not store.exists(location)
    flows.delete_backups({}, claimed)                        # a late duplicate: nothing to do
    assert store.deletes == 1


def test_a_chain_delete_ends_each_backup_and_leaves_no_object(bapi, store):
    full, full_object = completed_backup(bapi, store)
    instance_id = row(full).instance_id
    child, child_object = completed_backup(bapi, store, instance_id, parent_id=full)
    assert backups_in_use() == 2
    store.refusals = 1
    assert bapi.request('DELETE', '/backups/%s?delete_chain=true' % full).status_code == 202
    assert sorted(cast_ids(bapi)) == sorted([full, child])
    assert backups_in_use() == 0
    flows.delete_backups({}, [full, child])
    assert row(full).status == 'DELETE_FAILED' and row(child).status == 'DELETED'
    assert store.exists(full_object) and not store.exists(child_object)
    flows.delete_backups({}, backup_deletes.claim_due(now=later(11)))
    assert row(full).status == 'DELETED' and not store.exists(full_object)
    assert backups_in_use() == 0


def test_a_parent_whose_children_are_being_deleted_can_be_deleted_alone(bapi, store):
    full, _ = completed_backup(bapi, store)
    child, _ = completed_backup(bapi, store, row(full).instance_id, parent_id=full)
    store.refusals = 1
    bapi.request('DELETE', '/backups/%s' % child)
    flows.delete_backups({}, cast_ids(bapi))
    assert row(child).status == 'DELETE_FAILED'
    assert bapi.request('DELETE', '/backups/%s' % full).status_code == 202
    assert cast_ids(bapi) == [full]


def test_deleting_a_failed_backup_returns_no_quota_it_no_longer_holds(bapi, store):
    kept, _ = completed_backup(bapi, store)
    instance_id = row(kept).instance_id
    failed = backup(bapi, instance_id).json_body_or_none['backup']['id']
    backups_domain.fail(instance_id, failed, 'The backup failed.')
    assert backups_in_use() == 1
    assert bapi.request('DELETE', '/backups/%s' % failed).status_code == 202
    assert backups_in_use() == 1
    flows.delete_backups({}, cast_ids(bapi))
    assert row(failed).status == 'DELETED' and backups_in_use() == 1


def test_a_backup_being_made_is_not_deleted_even_in_a_chain(bapi, store):
    full, _ = completed_backup(bapi, store)
    building = backup(bapi, row(full).instance_id, parent_id=full).json_body_or_none['backup']
    resp = bapi.request('DELETE', '/backups/%s?delete_chain=true' % full)
    assert resp.status_code == 409 and building['id'] in resp.body.decode()
    assert row(full).status == 'COMPLETED' and backups_in_use() == 2


def test_two_deletes_at_once_return_the_quota_once(bapi, store):
    from tests.unit.test_concurrent_actions import twice_at_once
    backup_id, _ = completed_backup(bapi, store)
    kept, _ = completed_backup(bapi, store, row(backup_id).instance_id)
    assert backups_in_use() == 2
    assert twice_at_once(lambda: bapi.request('DELETE', '/backups/%s' % backup_id)) == [202, 202]
    assert backups_in_use() == 1 and row(backup_id).status == 'DELETING'


def test_a_store_failing_otherwise_gives_a_plain_reason(bapi, store):
    backup_id, _ = completed_backup(bapi, store)
    store.refusals, store.error = 1, PermissionError(13, 'Permission denied', '/srv/objects/x')
    bapi.request('DELETE', '/backups/%s' % backup_id)
    flows.delete_backups({}, cast_ids(bapi))
    reason = shown(bapi, backup_id)['fail_reason']
    assert reason.startswith("The backup's data could not be deleted: the backup storage failed.")
    assert '/srv' not in reason and 'Permission' not in reason


def test_two_attempts_at_once_end_in_deleted(bapi, store):
    backup_id, location = completed_backup(bapi, store)
    bapi.request('DELETE', '/backups/%s' % backup_id)
    threads = [threading.Thread(target=flows.delete_backups, args=({}, [backup_id]))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert row(backup_id).status == 'DELETED' and not store.exists(location)


def test_the_migration_takes_up_backups_deleted_before_it(database_url):
    """Rows the old code hid may have left objects behind: the janitor gets to delete them."""
    import sqlalchemy as sa
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from api_service.db import migration

    engine = sa.create_engine(database_url)
    now = models.utcnow()
    legacy = dict(name='n', project_id='p', datastore_version_id='v', status='COMPLETED',
                  engine_metadata='{}', created=now, updated=now)
    try:
        with engine.begin() as connection:
            cfg = migration._config(connection)
            if MigrationContext.configure(connection).get_current_revision() is None:
                command.upgrade(cfg, '0009')
            else:   # PostgreSQL's copies are made at head
                command.downgrade(cfg, '0009')
            backups = sa.table('backups', *(sa.column(name) for name in (
                'id', 'location', 'deleted', *legacy)))
            connection.execute(backups.insert(), [
                dict(legacy, id='hidden-with-object', location='backups/x/data', deleted=True),
                dict(legacy, id='hidden-without-object', location=None, deleted=True),
                dict(legacy, id='live', location='backups/y/data', deleted=False)])
            command.upgrade(cfg, 'head')
            rows = {r.id: r for r in connection.execute(sa.text(
                'SELECT id, status, deleted, deleted_at, delete_attempts, delete_next_attempt '
                'FROM backups'))}
    finally:
        engine.dispose()
    assert rows['hidden-with-object'].status == 'DELETING'
    assert rows['hidden-with-object'].delete_next_attempt is not None
    assert rows['hidden-without-object'].status == 'DELETED'
    assert rows['hidden-without-object'].deleted_at is not None
    live = rows['live']
    assert (live.status, bool(live.deleted), live.delete_attempts, live.delete_next_attempt) == (
        'COMPLETED', False, 0, None)
