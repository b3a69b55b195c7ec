"""Two task managers placing at once never overcommit a host.

Each task manager is its own OS process running the create flow (`flows.create`, which
places through `get_driver().place`) on the same service database, stopped after the
placement step. They race to place more instances than one nearly full host can hold;
the placement lock (`db.locks.PLACEMENT`, a row lock on PostgreSQL and MariaDB) is all
that keeps them from both taking the last room. With `locks.hold` made a no-op the
[postgresql] run overcommits the host every time (10 runs of 10); the [sqlite] run passes
either way, as SQLite's writers begin IMMEDIATE and so run one at a time.
"""
import multiprocessing
import time

from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from api_service.db import models_instances as m
from api_service.db.session import session_scope
from tests.unit.test_instances_api import api, create  # noqa: F401  (fixture)

FLAVOR_RAM = 512                  # db.small, what create() asks for
HOST_RAM = 4096
ALREADY_PLACED = 3                # 1536 MB used: room for five more
RACING = 12                       # six per task manager
HOSTS = ['h1:nova:%d:64' % HOST_RAM]
ROUND_TRIP = 0.005                # seconds added to each statement of the task managers


def task_manager(overrides, instance_ids, start, results):
    """One task manager process: build each instance as far as placement, as fast as it can."""
    from api_service.common import config
    from api_service.drivers.compute import local
    from api_service.taskmanager import flows

    config.load([])
    for (group, name), value in overrides.items():
        config.CONF.set_override(name, value, group)
    # Every statement costs a round trip, as to a database on another machine: the gap
    # between reading a host's usage and writing the placement is as wide as in production.
    event.listen(Engine, 'after_cursor_execute', lambda *_: time.sleep(ROUND_TRIP))

    def stop_after_placement(_driver, _instance_id):
        raise flows.Abandoned()   # the flow logs it and leaves the instance placed, in BUILD
    local.LocalDriver.provision_volume = stop_after_placement

    start.wait()
    for instance_id in instance_ids:
        flows.create(None, instance_id, [], [])
    results.put(len(instance_ids))


def test_two_task_managers_never_overcommit_a_host(api, conf):  # noqa: F811
    conf.set_override('hosts', HOSTS, 'local_driver')
    conf.set_override('max_instances_per_tenant', ALREADY_PLACED + RACING, 'quota')
    ids = [create(api).json_body_or_none['instance']['id']
           for _ in range(ALREADY_PLACED + RACING)]
    with session_scope() as session:
        for instance_id in ids[:ALREADY_PLACED]:
            session.get(m.Instance, instance_id).host = 'h1'
    racing = ids[ALREADY_PLACED:]

    overrides = {(group, name): getattr(getattr(conf, group), name) for group, name in (
        ('database', 'connection'), ('local_driver', 'hosts'),
        ('local_driver', 'address_pool'), ('instance', 'master_key'))}
    spawn = multiprocessing.get_context('spawn')
    start, results = spawn.Barrier(2), spawn.Queue()
    managers = [spawn.Process(target=task_manager, args=(overrides, racing[i::2], start, results))
                for i in range(2)]
    for process in managers:
        process.start()
    for process in managers:
        process.join(120)
    assert [p.exitcode for p in managers] == [0, 0]
    assert sorted(results.get(timeout=5) for _ in managers) == [RACING // 2, RACING // 2]

    with session_scope() as session:
        used = session.scalar(select(func.sum(m.Instance.ram_mb)).where(
            m.Instance.host == 'h1', m.Instance.deleted.is_(False)))
        rows = {i.id: i for i in session.scalars(
            select(m.Instance).where(m.Instance.id.in_(racing)))}
        faults = {f.instance_id: f.message for f in session.scalars(
            select(m.InstanceFault).where(m.InstanceFault.instance_id.in_(racing)))}
    placed = [i for i in racing if rows[i].host == 'h1']
    losers = [i for i in racing if rows[i].host is None]
    assert used <= HOST_RAM, 'overcommitted: %d MB placed on a %d MB host' % (used, HOST_RAM)
    # The host is filled exactly: every placement saw every other.
    assert len(placed) == (HOST_RAM - ALREADY_PLACED * FLAVOR_RAM) // FLAVOR_RAM
    assert len(placed) + len(losers) == RACING
    assert all(rows[i].status == 'BUILD' and rows[i].address for i in placed)
    assert all(rows[i].address is None for i in losers)
    assert len({rows[i].address for i in placed}) == len(placed)
    for instance_id in losers:
        assert rows[instance_id].status == 'ERROR'
        assert faults[instance_id].startswith('No host') \
            and 'room for %d MB' % FLAVOR_RAM in faults[instance_id], faults[instance_id]
