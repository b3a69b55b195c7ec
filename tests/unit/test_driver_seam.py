"""The flows speak only to the compute driver interface: they run on a driver held in memory.

The scenario runs in a fresh interpreter (clean `sys.modules`): create, resize the volume,
resize the flavor (refused, then done), restart a guest that had exited, resume after a
restart of the service, restart with a guest that fails, and delete, through the task
manager's flows, with the in-memory driver and a guest that answers at once. It fails if
any local-driver module was imported on the way.
"""
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOCAL_MODULES = ('api_service.drivers.compute.local', 'api_service.drivers.compute.placement')


def test_flows_run_on_the_memory_driver_without_importing_a_local_module(database_url):
    out = subprocess.run([sys.executable, '-m', 'tests.unit.test_driver_seam', database_url],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result['local_modules'] == []
    assert result['steps'] == ['create', 'resize_volume', 'resize_flavor refused',
                               'resize_flavor', 'restart', 'resume', 'restart failing',
                               'restart rolled back', 'delete', 'create with a group']


def _scenario(database_url):
    """Runs in the subprocess; prints what it saw as one JSON line."""
    from api_service.common import config
    config.load([])
    conf = config.CONF
    conf.set_override('connection', database_url, 'database')
    from api_service.rpc import secure
    conf.set_override('master_key', secure.new_key(), 'instance')
    conf.set_override('compute_driver', 'memory')

    from api_service.db import migration
    from api_service.db import models_instances as m
    from api_service.db.session import session_scope
    from api_service.domain import catalogue_admin
    from api_service.domain import instances
    from api_service.domain import status
    from api_service.drivers import compute
    from api_service.rpc import guest_client
    from api_service.taskmanager import flows
    from api_service.taskmanager import service
    from api_service.common.context import RequestContext
    from tests.unit import memory_driver

    migration.sync()
    compute.register('memory', memory_driver.PATH)
    guest_client.GuestAPI = memory_driver.FakeGuest
    driver = compute.get_driver()
    assert isinstance(driver, memory_driver.MemoryDriver)
    catalogue_admin.upsert_datastore_version('redis', '7.0', '7.0.15', 'redis', '/usr/bin',
                                             capabilities='root')
    ctx = RequestContext(project_id='c' * 32, user_id='u')
    steps = []

    def row(instance_id):
        with session_scope() as session:
            instance = session.get(m.Instance, instance_id)
            return None if instance is None else (instance.status, instance.host,
                                                  instance.address, instance.ram_mb,
                                                  instance.volume_size)

    def fault(instance_id):
        with session_scope() as session:
            return session.query(m.InstanceFault.message).filter_by(
                instance_id=instance_id).order_by(m.InstanceFault.created.desc()).first()[0]

    view, build = instances.create(ctx, {'name': 'm1', 'flavorRef': '1', 'volume': {'size': 1},
                                         'datastore': {'type': 'redis', 'version': '7.0'}})
    iid = view.instance.id
    flows.create(ctx, iid, build['databases'], build['users'], build['restore'])
    assert row(iid) == (status.ACTIVE, 'mem-1', '10.9.0.1', 512, 1), row(iid)
    assert driver.guests[iid]['spec'].manager == 'redis' and driver.volumes[iid] == 1
    assert driver.describe(iid).address == '10.9.0.1'
    steps.append('create')

    instances.begin(ctx, iid, 'resize_volume', 60, quota_deltas={'volumes': 1})
    flows.resize_volume(ctx, iid, 2)
    assert row(iid)[0] == status.ACTIVE and driver.volumes[iid] == 2
    steps.append('resize_volume')

    instances.begin(ctx, iid, 'resize_flavor', 60, quota_deltas={'ram': 3584})
    flows.resize_flavor(ctx, iid, '3')
    assert row(iid)[0] == status.ACTIVE and row(iid)[3] == 512, row(iid)
    assert fault(iid) == "Host 'mem-1' has room for 2048 MB; the new flavor needs 4096 MB."
    steps.append('resize_flavor refused')

    instances.begin(ctx, iid, 'resize_flavor', 60, quota_deltas={'ram': 512})
    flows.resize_flavor(ctx, iid, '2')
    assert row(iid)[0] == status.ACTIVE and row(iid)[3] == 1024, row(iid)
    steps.append('resize_flavor')

    driver.stop(iid)                       # the guest died: a restart starts it first
    instances.begin(ctx, iid, 'restart', 60)
    flows.restart(ctx, iid)
    assert row(iid)[0] == status.ACTIVE and driver.guests[iid]['running']
    assert ('start', iid) in driver.calls
    steps.append('restart')

    driver.stop(iid)                       # the host restarted: the task manager resumes it
    service.resume_guests(wait=True)
    assert driver.guests[iid]['running']
    steps.append('resume')

    # Another process's error text stays out of what the tenant reads.
    memory_driver.FakeGuest.failures['restart'] = RuntimeError('Traceback: /srv/secret.py')
    instances.begin(ctx, iid, 'restart', 60)
    flows.restart(ctx, iid)
    assert row(iid)[0] == status.ERROR
    assert fault(iid) == 'Restarting the database failed (RuntimeError).', fault(iid)
    with session_scope() as session:
        details = session.query(m.InstanceFault.details).filter_by(instance_id=iid).order_by(
            m.InstanceFault.created.desc()).first()[0]
    assert '/srv/secret.py' in details
    with session_scope() as session:
        messages = [e.message for e in session.query(m.InstanceEvent).filter_by(instance_id=iid)]
    assert not [text for text in messages if 'secret' in (text or '')], messages
    steps.append('restart failing')

    # The engine refused to start with a group's new value and runs with the previous ones:
    # the tenant reads which parameter and why, and the instance is ACTIVE.
    with session_scope() as session:
        status.finish(session.get(m.Instance, iid))     # as a good report after the failure
    memory_driver.FakeGuest.answers['restart'] = {'status': 'HEALTHY', 'rolled_back': {
        'parameters': ['maxmemory-policy'], 'reason': "argument must be one of 'noeviction', …"}}
    instances.begin(ctx, iid, 'restart', 60)
    flows.restart(ctx, iid)
    assert row(iid)[0] == status.ACTIVE, row(iid)
    assert fault(iid).startswith('The database did not start with maxmemory-policy (the engine '
                                 "said: argument must be one of"), fault(iid)
    with session_scope() as session:
        applied = session.query(m.InstanceEvent).filter_by(
            instance_id=iid, step='apply configuration').one()
    assert (applied.operation, applied.outcome) == ('restart', 'FAILED')
    steps.append('restart rolled back')

    instances.mark_deleting(ctx, iid)
    flows.delete(ctx, iid)
    assert iid not in driver.guests and iid not in driver.volumes
    with session_scope() as session:   # the row stays, marked deleted, its address freed
        gone = session.get(m.Instance, iid)
        assert gone.deleted and gone.deleted_at and gone.address is None
    from api_service.common import exceptions
    try:
        instances.get(ctx, iid)
        raise AssertionError('a deleted instance is visible to its tenant')
    except exceptions.NotFound:
        pass
    steps.append('delete')

    # The attached group's values reach the guest with prepare, before the engine starts.
    from api_service.db import models_configurations as c
    view, build = instances.create(ctx, {'name': 'm2', 'flavorRef': '1', 'volume': {'size': 1},
                                         'datastore': {'type': 'redis', 'version': '7.0'}})
    iid = view.instance.id
    with session_scope() as session:
        group = c.Configuration(project_id=ctx.project_id, name='g',
                                datastore_version_id=view.instance.datastore_version_id,
                                values=json.dumps({'maxmemory-policy': 'allkeys-lru'}))
        session.add(group)
        session.flush()
        session.get(m.Instance, iid).configuration_id = group.id
    flows.create(ctx, iid, build['databases'], build['users'], build['restore'])
    assert memory_driver.FakeGuest.overrides[iid] == {'maxmemory-policy': 'allkeys-lru'}
    steps.append('create with a group')

    local = sorted(name for name in sys.modules if name.startswith(LOCAL_MODULES))
    print(json.dumps({'steps': steps, 'local_modules': local}))


if __name__ == '__main__':
    _scenario(sys.argv[1])
