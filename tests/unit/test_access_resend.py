"""Guests get their instance's access sources again when the task manager starts and when an
instance restarts: guests made before access was enforced never got any, and a change of
[access] service_cidrs changes what private means. Run on the in-memory compute driver with
its guest that answers at once (tests/unit/memory_driver.py), on SQLite and PostgreSQL.
"""
import datetime
import json
import logging

import pytest

from api_service.common.context import RequestContext
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.domain import access
from api_service.domain import instances
from api_service.drivers import compute
from api_service.rpc import guest_client
from api_service.rpc import secure
from api_service.taskmanager import flows
from api_service.taskmanager import service
from tests.unit import memory_driver

CTX = RequestContext(project_id='c' * 32, user_id='u')


@pytest.fixture
def mem(conf, monkeypatch):
    conf.set_override('master_key', secure.new_key(), 'instance')
    conf.set_override('compute_driver', 'memory')
    compute.register('memory', memory_driver.PATH)
    from api_service.domain import catalogue_admin
    catalogue_admin.upsert_datastore_version('mariadb', '10.11', '10.11.19', 'mariadb',
                                             '/usr/sbin',
                                             capabilities='access,databases,root,users')
    catalogue_admin.upsert_datastore_version('redis', '7.0', '7.0.15', 'redis', '/usr/bin',
                                             capabilities='root')
    monkeypatch.setattr(guest_client, 'GuestAPI', memory_driver.FakeGuest)
    monkeypatch.setattr(memory_driver.FakeGuest, 'calls', [])
    monkeypatch.setattr(memory_driver.FakeGuest, 'failures', {})
    yield compute.get_driver()
    conf.clear_override('compute_driver')
    conf.clear_override('master_key', 'instance')
    conf.clear_override('service_cidrs', 'access')
    compute.DRIVERS.pop('memory', None)
    compute.get_driver.cache_clear()


def build(name, datastore='mariadb', version='10.11', **access_request):
    view, spec = instances.create(CTX, {
        'name': name, 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': datastore, 'version': version},
        **({'access': access_request} if access_request else {})})
    flows.create(CTX, view.instance.id, spec['databases'], spec['users'], spec['restore'])
    with session_scope() as session:
        assert session.get(m.Instance, view.instance.id).status == 'ACTIVE'
    return view.instance.id


def sent():
    """{instance id: (sources, timeout)} of the apply_access calls the guests got."""
    return {call[1]: (call[2], call[3]) for call in memory_driver.FakeGuest.calls
            if call[0] == 'apply_access'}


def record(instance_id, is_public, cidrs):
    """As an instance made before access was enforced (or by an older release) has it."""
    with session_scope() as session:
        row = session.get(m.Instance, instance_id)
        row.is_public, row.allowed_cidrs = is_public, json.dumps(cidrs)


def test_task_manager_start_sends_every_live_guest_its_sources(mem, conf, caplog):
    private = build('private')
    narrowed = build('narrowed', is_public=True, allowed_cidrs=['127.10.0.5/32'])
    old = build('old')
    redis = build('redis', 'redis', '7.0')
    record(old, False, ['127.10.0.7/32'])      # only a private network address: admits none now
    mem.stop(private)                           # its agent exited with the host
    memory_driver.FakeGuest.calls.clear()
    memory_driver.FakeGuest.failures['apply_access'] = RuntimeError('the agent is broken')

    with caplog.at_level(logging.WARNING):
        service.resume_guests(wait=True)

    # One call each, short, for the versions that enforce access (not Redis); the first
    # guest asked fails, and the others still get theirs.
    calls = [c for c in memory_driver.FakeGuest.calls if c[0] == 'apply_access']
    assert sorted(c[1] for c in calls) == sorted([private, narrowed, old])
    assert {c[3] for c in calls} == {flows.RESEND_ACCESS_TIMEOUT}
    assert flows.RESEND_ACCESS_TIMEOUT < guest_client.APPLY_ACCESS_TIMEOUT
    assert redis not in sent()
    failed = calls[0][1]
    assert 'access sources again failed' in caplog.text and failed in caplog.text
    assert sent()[private][0] == ['127.0.0.1/32']
    assert sent()[narrowed][0] == ['127.10.0.5/32']
    assert sent()[old][0] == []
    # The agent started now answered a ping before it was sent anything.
    order = memory_driver.FakeGuest.calls
    assert order.index(('ping', private)) < next(
        i for i, c in enumerate(order) if c[:2] == ('apply_access', private))
    assert mem.guests[private]['running']
    with session_scope() as session:
        assert not [i for i in session.query(m.Instance) if i.access_change_until is not None]

    # Private follows [access] service_cidrs at the next start.
    conf.set_override('service_cidrs', ['127.0.0.0/29'], 'access')
    memory_driver.FakeGuest.calls.clear()
    service.resume_guests(wait=True)
    assert sent()[private][0] == ['127.0.0.0/29']
    assert sent()[narrowed][0] == ['127.10.0.5/32']


def test_an_access_change_in_progress_is_left_to_send_its_own(mem):
    instance_id = build('busy')
    with session_scope() as session:
        row = session.get(m.Instance, instance_id)
        claim = instances._claim_access_change(row)
    memory_driver.FakeGuest.calls.clear()
    service.resume_guests(wait=True)
    assert instance_id not in sent()
    with session_scope() as session:
        assert session.get(m.Instance, instance_id).access_change_until == claim
    # A claim that lapsed (its holder died) does not stop it.
    with session_scope() as session:
        session.get(m.Instance, instance_id).access_change_until = (
            claim - datetime.timedelta(seconds=instances.ACCESS_CLAIM_SECONDS + 1))
    service.resume_guests(wait=True)
    assert sent()[instance_id][0] == access.private_sources()


def test_restart_sends_the_sources_before_restarting_the_engine(mem, conf):
    instance_id = build('restarted')
    conf.set_override('service_cidrs', ['127.0.0.2/32'], 'access')
    memory_driver.FakeGuest.calls.clear()
    instances.begin(CTX, instance_id, 'restart', 60)
    flows.restart(CTX, instance_id)
    names = [c[0] for c in memory_driver.FakeGuest.calls]
    assert names.index('apply_access') < names.index('restart')
    assert sent()[instance_id] == (['127.0.0.2/32'], flows.RESEND_ACCESS_TIMEOUT)
    with session_scope() as session:
        assert session.get(m.Instance, instance_id).status == 'ACTIVE'

    # A guest that cannot take them is logged; the restart still happens.
    memory_driver.FakeGuest.failures['apply_access'] = RuntimeError('broken')
    memory_driver.FakeGuest.calls.clear()
    instances.begin(CTX, instance_id, 'restart', 60)
    flows.restart(CTX, instance_id)
    assert [c[0] for c in memory_driver.FakeGuest.calls][-1] == 'restart'
    with session_scope() as session:
        assert session.get(m.Instance, instance_id).status == 'ACTIVE'
