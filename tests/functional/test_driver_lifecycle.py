"""The local driver's lifecycle on a real engine: a restart starts a guest agent that died."""
import os
import signal
import time

import psutil
import redis as redis_py

from tests.functional.instance_helpers import trove, wait_status
from tests.functional.test_instances import _agent_pid, delete_and_check_nothing_left


def test_restart_starts_a_dead_guest_agent_and_keeps_the_data(stack):
    demo = trove(stack, 'demo')
    instance = demo.instances.create('phoenix', flavor_id='1', volume={'size': 1},
                                     datastore='redis', datastore_version='7.0')
    instance = wait_status(demo, instance.id, 'ACTIVE')
    ip = instance.ip[0]
    _, password = demo.root.create(instance.id)
    client = redis_py.Redis(host=ip, port=6379, password=password, socket_timeout=5)
    client.set('kept', 'yes')
    old_engine = client.info('server')['process_id']

    # Killed outright, the agent leaves its engine running with nobody to answer for it.
    os.kill(_agent_pid(stack, instance.id), signal.SIGKILL)
    demo.instances.restart(instance.id)
    wait_status(demo, instance.id, 'ACTIVE', timeout=60)
    events = demo.instances.api.client.get('/instances/%s/events' % instance.id)[1]['events']
    assert [(e['name'], e['outcome']) for e in events][-2:] == [
        ('start guest', 'SUCCESS'), ('restart engine', 'SUCCESS')]

    deadline = time.monotonic() + 30
    while True:
        try:
            client = redis_py.Redis(host=ip, port=6379, password=password, socket_timeout=5)
            assert client.get('kept') == b'yes'
            break
        except redis_py.exceptions.ConnectionError:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    assert client.info('server')['process_id'] != old_engine
    assert not psutil.pid_exists(old_engine)
    delete_and_check_nothing_left(stack, demo, instance.id, ip)
