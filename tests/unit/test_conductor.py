"""The conductor: sealed guest reports drive the stored status; forged ones are dropped."""
from api_service.conductor.service import ConductorEndpoint
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.domain import instances as instances_domain
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
