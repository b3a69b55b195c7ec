"""A dynamic parameter applied to 20 MariaDB instances attached to one configuration group
(`PATCH /configurations/{id}`, which answers once every engine has the value), beside the
naive way of doing it by hand in the same run: connect to each engine in turn as its admin,
`SET GLOBAL`, disconnect (target ratio <= 2).

    .venv/bin/python bench/configuration_apply.py
"""
import os
import statistics
import sys
import time
import types

import pymysql
import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stackctl  # noqa: E402
from tests.functional.instance_helpers import trove, wait_status  # noqa: E402

INSTANCES = 20
ROUNDS = 7
PARAMETER = 'wait_timeout'


def _engine_admin(state, instance_id):
    """(socket, password) of an instance's agent admin, from its run directory (my.cnf and
    the agent's private guest.conf)."""
    run_dir = os.path.join(state.get('paths', {}).get('instances', state['root']),
                           'instances', instance_id)
    if not os.path.isdir(run_dir):
        run_dir = os.path.join(state['root'], 'instances', instance_id)
    with open(os.path.join(run_dir, 'my.cnf')) as handle:
        socket = [line.split('=', 1)[1].strip() for line in handle
                  if line.startswith('socket')][0]
    with open(os.path.join(run_dir, 'guest.conf')) as handle:
        password = [line.split('=', 1)[1].strip() for line in handle
                    if line.startswith('admin_password')][0]
    return socket, password


def by_hand(admins, value):
    """The naive baseline: one engine after another, a connection each."""
    for socket, password in admins:
        conn = pymysql.connect(unix_socket=socket, user='os_admin', password=password,
                               autocommit=True)
        conn.cursor().execute('SET GLOBAL %s = %d' % (PARAMETER, value))
        conn.close()


def engine_values(admins):
    values = set()
    for socket, password in admins:
        conn = pymysql.connect(unix_socket=socket, user='os_admin', password=password)
        cursor = conn.cursor()
        cursor.execute('SELECT @@GLOBAL.%s' % PARAMETER)
        values.add(cursor.fetchone()[0])
        conn.close()
    return values


def main():
    with stackctl.running_stack() as state:
        stack = types.SimpleNamespace(urls=state['urls'], secrets=state['secrets'])
        admin = trove(stack, 'admin')
        token, project = stackctl.token(state)
        admin.quota.update(project, {'instances': INSTANCES + 5, 'ram': 100000})
        client = trove(stack, 'demo')
        group = client.configurations.create('bench', '{"%s": 1000}' % PARAMETER,
                                             datastore='mariadb', datastore_version='10.11')
        ids = [client.instances.create('bench-%02d' % i, flavor_id='1', volume={'size': 1},
                                       datastore='mariadb', datastore_version='10.11',
                                       configuration=group.id).id
               for i in range(INSTANCES)]
        for instance_id in ids:
            wait_status(client, instance_id, 'ACTIVE', timeout=600)
        admins = [_engine_admin(state, instance_id) for instance_id in ids]
        url = '%s/v1.0/%s/configurations/%s' % (state['urls']['api'], project, group.id)
        session = requests.Session()
        headers = {'X-Auth-Token': token}
        api_s, hand_s = [], []
        for n in range(ROUNDS):     # in turn, so load changes weigh on both alike
            value = 2000 + n
            began = time.perf_counter()
            resp = session.patch(url, json={'configuration': {'values': {PARAMETER: value}}},
                                 headers=headers, timeout=120)
            api_s.append(time.perf_counter() - began)
            resp.raise_for_status()
            assert engine_values(admins) == {value}, 'the API answered before the engines'
            began = time.perf_counter()
            by_hand(admins, value + 100)
            hand_s.append(time.perf_counter() - began)
            assert engine_values(admins) == {value + 100}
        api_ms = statistics.median(api_s) * 1000
        hand_ms = statistics.median(hand_s) * 1000
        print('%d MariaDB instances, one group, %s (median of %d):'
              % (INSTANCES, PARAMETER, ROUNDS))
        print('  PATCH /configurations/{id}  %8.1f ms' % api_ms)
        print('  SET GLOBAL by hand, each    %8.1f ms' % hand_ms)
        print('  ratio                        %8.2f (target <= 2)' % (api_ms / hand_ms))


if __name__ == '__main__':
    main()
