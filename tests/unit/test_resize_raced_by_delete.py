"""A delete that lands while a resize runs: the quota the resize reserved is given back.

The API reserves a resize's difference when it begins; a delete that begins before the
resize ends releases what the row still says (the old size), so the flow settles the
difference itself. Found by bench/load.py (#15): volumes usage stayed 1 GB after every
instance was gone; a smaller flavor left RAM usage negative.
"""
import pytest

from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.domain import status
from api_service.taskmanager import flows
from tests import stack_invariants
from tests.unit import memory_driver
from tests.unit.test_tenant_faults import active, mem  # noqa: F401  (fixtures)


def _delete_begins(instance_id):
    with session_scope() as session:            # DELETE /instances/{id} answered meanwhile
        status.mark_deleting(session.get(m.Instance, instance_id), 240)


def test_a_volume_resize_raced_by_a_delete_leaves_no_quota_behind(mem, monkeypatch,  # noqa: F811
                                                                   database_url):
    instance_id = active(mem)
    grow = memory_driver.MemoryDriver.resize_volume

    def delete_lands_meanwhile(self, iid, size):
        grow(self, iid, size)
        _delete_begins(iid)
    monkeypatch.setattr(memory_driver.MemoryDriver, 'resize_volume', delete_lands_meanwhile)
    resp = mem.request('POST', '/instances/%s/action' % instance_id,
                       body={'resize': {'volume': {'size': 2}}})
    assert resp.status_code == 202, resp.body
    flows.delete({}, instance_id)
    assert stack_invariants.quota_problems(stack_invariants.Snapshot(database_url)) == []


@pytest.mark.parametrize('start,to', [('1', '2'), ('2', '1')], ids=['larger', 'smaller'])
def test_a_flavor_resize_raced_by_a_delete_leaves_no_quota_behind(mem, monkeypatch,  # noqa: F811
                                                                   database_url, start, to):
    resp = mem.request('POST', '/instances', body={'instance': {
        'name': 'db1', 'flavorRef': start, 'volume': {'size': 1},
        'datastore': {'type': 'mariadb', 'version': '10.11'}}})
    instance_id = resp.json_body_or_none['instance']['id']
    reserve = memory_driver.MemoryDriver.reserve_resize

    def delete_lands_meanwhile(self, iid, ram, cpus):
        reserve(self, iid, ram, cpus)
        _delete_begins(iid)
    monkeypatch.setattr(memory_driver.MemoryDriver, 'reserve_resize', delete_lands_meanwhile)
    resp = mem.request('POST', '/instances/%s/action' % instance_id,
                       body={'resize': {'flavorRef': to}})
    assert resp.status_code == 202, resp.body
    flows.delete({}, instance_id)
    assert stack_invariants.quota_problems(stack_invariants.Snapshot(database_url)) == []
