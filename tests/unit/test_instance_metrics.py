"""Instance metrics: the conductor keeps each heartbeat's sample in a fixed-size ring per
instance, GET /instances/{id}/metrics answers the samples newer than `since`, and a deleted
instance's ring goes with it (SQLite and PostgreSQL, as every database test)."""
import datetime

import pytest
from sqlalchemy import func, select

from api_service.conductor.service import ConductorEndpoint
from api_service.db import models
from api_service.db import models_instances as m
from api_service.db import models_metrics as mm
from api_service.db.session import session_scope
from api_service.domain import metrics
from api_service.rpc import secure
from api_service.taskmanager import flows
from tests.unit.conftest import OTHER_PROJECT
from tests.unit.test_conductor import active
from tests.unit.test_instances_api import api, create, message  # noqa: F401  (fixture)
from tests.unit.test_tenant_faults import mem  # noqa: F401  (fixture)
from tests.unit.test_tenant_faults import active as mem_active

HOUR = 3600
START = datetime.datetime(2026, 12, 7, 0, 0, 0)


def at(seconds):
    return START + datetime.timedelta(seconds=seconds)


def epoch(when):
    return int(when.replace(tzinfo=datetime.timezone.utc).timestamp())


def write(instance_id, when, **figures):
    with session_scope() as session:
        metrics.record(session, instance_id, when, figures, figures.pop('used', 0))


def stored(instance_id):
    with session_scope() as session:
        return session.scalars(select(mm.InstanceMetric).where(
            mm.InstanceMetric.instance_id == instance_id)
            .order_by(mm.InstanceMetric.sampled_at)).all()


def samples(api, instance_id, since=None, **kw):  # noqa: F811
    path = '/instances/%s/metrics' % instance_id
    resp = api.get(path + ('?since=%s' % since if since is not None else ''), **kw)
    assert resp.status_code == 200, resp.body
    return resp.json_body_or_none['metrics']


@pytest.fixture
def hourly(conf):
    # The largest interval: a day is 24 slots, so a wrap-around takes 25 samples.
    conf.set_override('interval_seconds', HOUR, 'metrics')
    yield
    conf.clear_override('interval_seconds', 'metrics')


def test_the_ring_keeps_exactly_the_last_days_slots(api, hourly):  # noqa: F811
    instance_id, _ = active(api)
    for hour in range(30):                  # 30 hours: the first 6 slots are written twice
        write(instance_id, at(hour * HOUR + 7), connections=hour)
    rows = stored(instance_id)
    assert len(rows) == 24
    assert [row.connections for row in rows] == list(range(6, 30))
    assert sorted(row.slot for row in rows) == list(range(24))
    assert {row.slot: row.connections for row in rows}[metrics.slot_of(epoch(at(29 * HOUR)))] \
        == 29


def test_heartbeats_within_one_interval_overwrite_its_slot(api, hourly):  # noqa: F811
    instance_id, _ = active(api)
    for second in (0, 10, 20):
        write(instance_id, at(second), connections=second, used=second * 100)
    row, = stored(instance_id)
    assert (row.connections, row.volume_used_bytes, row.sampled_at) == (20, 2000, at(20))


def test_the_conductor_stores_the_heartbeats_sample_with_the_volumes_use(api):  # noqa: F811
    instance_id, key = active(api)
    ConductorEndpoint().heartbeat({}, instance_id, secure.seal(key, {
        'status': 'HEALTHY', 'used_bytes': 12345, 'metrics': {
            'cpu_percent': 12.345, 'memory_bytes': 2 ** 30, 'connections': 4,
            'queries_per_second': 9.5}}))
    row, = stored(instance_id)
    assert (row.cpu_percent, row.memory_bytes, row.connections, row.queries_per_second,
            row.volume_used_bytes) == (12.35, 2 ** 30, 4, 9.5, 12345)
    now = models.utcnow()
    assert abs((now - row.sampled_at).total_seconds()) < 60
    assert row.slot == metrics.slot_of(epoch(row.sampled_at))


def test_figures_a_guest_should_not_have_sent_are_stored_as_unknown(api):  # noqa: F811
    instance_id, key = active(api)
    ConductorEndpoint().heartbeat({}, instance_id, secure.seal(key, {
        'status': 'HEALTHY', 'used_bytes': 1, 'metrics': {
            'cpu_percent': -1, 'memory_bytes': 'lots', 'connections': True,
            'queries_per_second': 2 ** 70, 'extra': 5}}))
    row, = stored(instance_id)
    assert (row.cpu_percent, row.memory_bytes, row.connections,
            row.queries_per_second) == (None, None, None, None)
    # A heartbeat without metrics (an older agent) is still a sample: the volume's use.
    ConductorEndpoint().heartbeat({}, instance_id, secure.seal(key, {
        'status': 'SHUTDOWN', 'used_bytes': 77}))
    assert stored(instance_id)[-1].volume_used_bytes == 77      # the newest sample
    # Metrics that are no figures at all cost neither the sample nor the heartbeat.
    ConductorEndpoint().heartbeat({}, instance_id, secure.seal(key, {
        'status': 'HEALTHY', 'used_bytes': 78, 'metrics': [1, 2]}))
    row = stored(instance_id)[-1]
    assert (row.volume_used_bytes, row.connections) == (78, None)
    with session_scope() as session:
        assert session.get(m.Instance, instance_id).operating_status == 'HEALTHY'


def test_the_api_answers_samples_newer_than_since_oldest_first(api, hourly):  # noqa: F811
    instance_id, _ = active(api)
    now = models.utcnow().replace(microsecond=0)
    for hours_ago in (30, 5, 3, 1):
        # 30 hours ago is a slot no heartbeat reached since: past the day, never answered.
        write(instance_id, now - datetime.timedelta(hours=hours_ago), connections=hours_ago,
              cpu_percent=1.5, memory_bytes=1024, queries_per_second=2.0, used=4096)
    answer = samples(api, instance_id)
    assert answer['interval'] == HOUR
    assert [s['connections'] for s in answer['samples']] == [5, 3, 1]
    first = answer['samples'][0]
    assert first == {'time': (now - datetime.timedelta(hours=5)).strftime('%Y-%m-%dT%H:%M:%SZ'),
                     'cpu_percent': 1.5, 'memory_bytes': 1024, 'connections': 5,
                     'queries_per_second': 2.0, 'volume_used_bytes': 4096}
    # Strictly newer than `since`: the dashboard asks from its last sample on.
    since = answer['samples'][1]['time']
    assert [s['connections'] for s in samples(api, instance_id, since)['samples']] == [1]
    as_epoch = epoch(now - datetime.timedelta(hours=4))
    assert [s['connections'] for s in samples(api, instance_id, as_epoch)['samples']] == [3, 1]
    offset = (now - datetime.timedelta(hours=2)).strftime('%Y-%m-%dT%H:%M:%S') + '%2B00:00'
    assert [s['connections'] for s in samples(api, instance_id, offset)['samples']] == [1]
    assert samples(api, instance_id, epoch(now))['samples'] == []


def test_no_samples_yet_is_an_empty_list(api):  # noqa: F811
    instance_id, _ = active(api)
    assert samples(api, instance_id) == {'interval': 60, 'samples': []}


def test_another_projects_instance_is_not_found_and_its_samples_stay_apart(api):  # noqa: F811
    mine, _ = active(api)
    theirs = create(api, project=OTHER_PROJECT).json_body_or_none['instance']['id']
    write(mine, models.utcnow(), connections=1)
    write(theirs, models.utcnow(), connections=2)
    resp = api.get('/instances/%s/metrics' % theirs)
    assert resp.status_code == 404 and theirs in message(resp)
    assert [s['connections'] for s in samples(api, mine)['samples']] == [1]
    assert [s['connections'] for s in samples(api, theirs, project=OTHER_PROJECT)['samples']] \
        == [2]
    assert samples(api, theirs, roles='admin')['samples'][0]['connections'] == 2
    assert api.get('/instances/%s/metrics' % ('0' * 8 + '-0000-4000-8000-' + '0' * 12)
                   ).status_code == 404
    assert api.get('/instances/not-a-uuid/metrics').status_code == 404


def test_a_reader_may_read_metrics_and_a_stranger_may_not(api):  # noqa: F811
    instance_id, _ = active(api)
    assert samples(api, instance_id, roles='reader')['samples'] == []
    assert api.get('/instances/%s/metrics' % instance_id, roles='nobody').status_code == 403


@pytest.mark.parametrize('since, echoed', [
    ('yesterday', 'yesterday'), ('2026-13-01T00:00:00Z', '2026-13-01T00:00:00Z'),
    ('nan', 'nan'), ('1e400', '1e400'),
    ('0001-01-01T00:00:00%2B14:00', '0001-01-01T00:00:00+14:00'),   # before time began
    ('a%01b', 'a\\x01b')])                   # a control character, escaped
def test_a_since_that_is_no_time_is_refused_in_words(api, since, echoed):  # noqa: F811
    instance_id, _ = active(api)
    resp = api.get('/instances/%s/metrics?since=%s' % (instance_id, since))
    assert resp.status_code == 400
    text = message(resp)
    assert text.startswith("'since' must be a time, in ISO 8601 (e.g. ")
    assert text.endswith("or in seconds since 1970; it is '%s'." % echoed)


def test_a_deleted_instances_ring_is_removed(mem):  # noqa: F811
    instance_id = mem_active(mem)
    write(instance_id, models.utcnow(), connections=3)
    assert len(stored(instance_id)) == 1
    flows.delete({}, instance_id)
    assert stored(instance_id) == []
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(mm.InstanceMetric)) == 0


def test_the_upsert_of_a_mariadb_service_database_overwrites_on_the_key():
    from sqlalchemy.dialects import mysql
    text = str(metrics._upsert('mysql').compile(dialect=mysql.dialect()))
    assert 'ON DUPLICATE KEY UPDATE' in text
    for column in ('sampled_at', 'cpu_percent', 'volume_used_bytes'):
        assert '%s = VALUES(%s)' % (column, column) in text
    assert 'slot = VALUES' not in text and 'instance_id = VALUES' not in text
