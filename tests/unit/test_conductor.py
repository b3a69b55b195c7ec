"""The conductor: sealed guest reports drive the stored status; forged ones are dropped."""
from sqlalchemy import select

from api_service.conductor.service import ConductorEndpoint
from api_service.db import models_instances as m
from api_service.db import models_modules as mm
from api_service.db.session import session_scope
from api_service.domain import instances as instances_domain
from api_service.domain import module_contents
from api_service.rpc import secure
from tests.unit.test_instances_api import api, create  # noqa: F401  (fixture)


def active(api):  # noqa: F811
    instance_id = create(api).json_body_or_none['instance']['id']
    with session_scope() as session:
        session.get(m.Instance, instance_id).status = 'ACTIVE'
    return instance_id, instances_domain.instance_key(instance_id)


def stored(instance_id):
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id)
        return instance.status, instance.operating_status, instance.volume_used_bytes


def test_heartbeats_move_between_active_and_shutdown(api):  # noqa: F811
    instance_id, key = active(api)
    conductor = ConductorEndpoint()
    conductor.heartbeat({}, instance_id, secure.seal(key, {'status': 'SHUTDOWN',
                                                            'used_bytes': 5}))
    assert stored(instance_id) == ('SHUTDOWN', 'SHUTDOWN', 5)
    conductor.heartbeat({}, instance_id, secure.seal(key, {'status': 'HEALTHY',
                                                            'used_bytes': 6}))
    assert stored(instance_id) == ('ACTIVE', 'HEALTHY', 6)


def test_a_full_volume_is_reported_as_a_fault(api):  # noqa: F811
    instance_id, key = active(api)
    for _ in range(3):
        ConductorEndpoint().heartbeat({}, instance_id, secure.seal(
            key, {'status': 'HEALTHY', 'used_bytes': int(1.5 * 1024 ** 3)}))
    fault = api.get('/instances/%s' % instance_id).json_body_or_none['instance']['fault']
    assert fault['message'].startswith('The volume is full: 1.50 GB used of 1 GB')
    with session_scope() as session:
        assert session.query(m.InstanceFault).filter_by(instance_id=instance_id).count() == 1


def test_reports_sealed_with_another_key_are_dropped(api):  # noqa: F811
    instance_id, _ = active(api)
    forged = secure.seal(secure.new_key(), {'status': 'SHUTDOWN', 'used_bytes': 1})
    ConductorEndpoint().heartbeat({}, instance_id, forged)
    ConductorEndpoint().operation_done({}, instance_id, secure.seal(
        secure.new_key(), {'operation': 'create', 'ok': False, 'message': 'forged'}))
    assert stored(instance_id)[0] == 'ACTIVE'


def test_a_heartbeat_telling_of_a_configuration_rollback_leaves_a_fault(api):  # noqa: F811
    # The agent restarted its dead engine, which came up only with the previous values.
    instance_id, key = active(api)
    ConductorEndpoint().heartbeat({}, instance_id, secure.seal(key, {
        'status': 'HEALTHY', 'used_bytes': 1, 'last_rollback': {
            'parameters': ['innodb_flush_method'], 'reason': "unknown value 'bogus'"}}))
    fault = api.get('/instances/%s' % instance_id).json_body_or_none['instance']['fault']
    assert fault['message'].startswith('The database did not start with innodb_flush_method '
                                       "(the engine said: unknown value 'bogus')")
    assert stored(instance_id)[0] == 'ACTIVE'


def test_a_build_whose_engine_refused_the_groups_values_says_so(api):  # noqa: F811
    # The build went on with the engine's own values: the tenant learns why the group's are
    # not in effect, in a fault and a failed step.
    instance_id, key = active(api)
    message = ("The engine did not start with the configuration values of "
               "character_set_server (Character set 'klingon' is not a compiled character "
               "set); it runs with the previous ones.")
    ConductorEndpoint().guest_step({}, instance_id, secure.seal(key, {
        'operation': 'create', 'step': 'configuration', 'outcome': 'FAILED',
        'message': message}))
    fault = api.get('/instances/%s' % instance_id).json_body_or_none['instance']['fault']
    assert fault['message'] == message
    with session_scope() as session:
        step = session.query(m.InstanceEvent).filter_by(instance_id=instance_id,
                                                        step='configuration').one()
        assert (step.operation, step.outcome, step.message) == ('create', 'FAILED', message)


def test_a_build_whose_module_failed_says_so_and_stays_active(api):  # noqa: F811
    # A module that could not be applied at create is a failed step and a fault the tenant
    # reads; the instance it was meant for still serves.
    instance_id, key = active(api)
    message = "Module 'licence' could not be applied: its 'fail' driver failed."
    ConductorEndpoint().guest_step({}, instance_id, secure.seal(key, {
        'operation': 'create', 'step': 'modules', 'outcome': 'FAILED', 'message': message}))
    fault = api.get('/instances/%s' % instance_id).json_body_or_none['instance']['fault']
    assert fault['message'] == message
    assert stored(instance_id)[0] == 'ACTIVE'
    with session_scope() as session:
        step = session.query(m.InstanceEvent).filter_by(instance_id=instance_id,
                                                        step='modules').one()
        assert (step.operation, step.outcome, step.message) == ('create', 'FAILED', message)


def module_on(instance_id, name, visible=True):
    """A module recorded on the instance, as a create that names it records it."""
    with session_scope() as session:
        module = mm.Module(name=name, type='fail', project_id=None, visible=visible,
                           contents=module_contents.seal(b'x'),
                           md5=module_contents.md5_of(b'x'))
        session.add(module)
        session.flush()
        session.add(mm.InstanceModule(instance_id=instance_id, module_id=module.id,
                                      md5=module.md5))
        return module.id


def live_modules(instance_id):
    with session_scope() as session:
        return set(session.scalars(select(mm.InstanceModule.module_id).where(
            mm.InstanceModule.instance_id == instance_id,
            mm.InstanceModule.deleted.is_(False))))


def test_a_module_that_failed_at_create_is_no_longer_recorded_on_the_instance(api):  # noqa: F811
    instance_id, key = active(api)
    failed, applied = module_on(instance_id, 'broken'), module_on(instance_id, 'fine')
    message = "Module 'broken' could not be applied: its 'fail' driver failed."
    ConductorEndpoint().guest_step({}, instance_id, secure.seal(key, {
        'operation': 'create', 'step': 'modules', 'outcome': 'FAILED', 'message': message,
        'module_ids': [failed]}))
    assert live_modules(instance_id) == {applied}
    # An older agent's report names no module: the fault, and the record as it was.
    ConductorEndpoint().guest_step({}, instance_id, secure.seal(key, {
        'operation': 'create', 'step': 'modules', 'outcome': 'FAILED', 'message': message}))
    assert live_modules(instance_id) == {applied}
    with session_scope() as session:
        assert session.query(m.InstanceFault).filter_by(instance_id=instance_id).count() == 2


def test_a_hidden_modules_name_is_in_the_faults_details_only(api):  # noqa: F811
    instance_id, key = active(api)
    hidden = module_on(instance_id, 'operator-agent', visible=False)
    generic = 'A module set by the operator could not be applied.'
    named = "Module 'operator-agent' could not be applied: its 'fail' driver failed."
    ConductorEndpoint().guest_step({}, instance_id, secure.seal(key, {
        'operation': 'create', 'step': 'modules', 'outcome': 'FAILED', 'message': generic,
        'details': named, 'module_ids': [hidden]}))
    fault = api.get('/instances/%s' % instance_id).json_body_or_none['instance']['fault']
    assert fault['message'] == generic and 'operator-agent' not in str(fault)
    with session_scope() as session:
        row = session.query(m.InstanceFault).filter_by(instance_id=instance_id).one()
        assert (row.message, row.details) == (generic, named)
        step = session.query(m.InstanceEvent).filter_by(instance_id=instance_id,
                                                        step='modules').one()
        assert step.message == generic
    assert live_modules(instance_id) == set()
