"""Create-to-ACTIVE per engine beside the raw cost of initialising and starting the same
engine by hand in the same run (target: within 1 s of it), and a guest agent's resident
memory (target: <= 60 MB).

    .venv/bin/python bench/instance_create.py
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

import psutil

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stackctl  # noqa: E402
from tests.functional.instance_helpers import trove, wait_gone, wait_status  # noqa: E402

AS_ROOT = os.geteuid() == 0


def _run_as(user):
    return ['runuser', '-u', user, '--'] if AS_ROOT else []


def _wait(check, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subprocess.run(check, capture_output=True).returncode == 0:
            return
        time.sleep(0.01)
    raise RuntimeError('engine did not answer: %s' % check)


def raw_mariadb(d):
    os.makedirs(d + '/data')
    if AS_ROOT:
        shutil.chown(d, 'mysql', 'mysql')
        shutil.chown(d + '/data', 'mysql', 'mysql')
    began = time.perf_counter()
    subprocess.run(['mariadb-install-db', '--no-defaults', '--datadir=' + d + '/data',
                    '--auth-root-authentication-method=normal', '--skip-test-db',
                    '--skip-name-resolve'] + (['--user=mysql'] if AS_ROOT else []),
                   check=True, capture_output=True)
    proc = subprocess.Popen(['/usr/sbin/mariadbd', '--no-defaults', '--datadir=' + d + '/data',
                             '--port=13399', '--bind-address=127.0.0.1', '--socket=' + d + '/s',
                             '--innodb-buffer-pool-size=64M', '--skip-name-resolve']
                            + (['--user=mysql'] if AS_ROOT else []),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait(['mariadb-admin', '--no-defaults', '--socket=' + d + '/s', '-uroot', 'ping'])
    took = time.perf_counter() - began
    proc.terminate()
    proc.wait()
    return took


def raw_postgresql(d, bindir='/usr/lib/postgresql/15/bin'):
    os.makedirs(d)
    if AS_ROOT:
        shutil.chown(d, 'postgres', 'postgres')
    began = time.perf_counter()
    subprocess.run(_run_as('postgres') + [bindir + '/initdb', '-D', d + '/data', '-U',
                                          'postgres', '--auth=trust'], check=True,
                   capture_output=True)
    subprocess.run(_run_as('postgres') + [bindir + '/pg_ctl', '-D', d + '/data', '-w', '-l',
                                          d + '/log', '-o', '-p 15499 -k %s -c '
                                          'listen_addresses=127.0.0.1' % d, 'start'],
                   check=True, capture_output=True)
    took = time.perf_counter() - began
    subprocess.run(_run_as('postgres') + [bindir + '/pg_ctl', '-D', d + '/data', '-m', 'fast',
                                          'stop'], capture_output=True)
    return took


def raw_redis(d):
    os.makedirs(d)
    began = time.perf_counter()
    proc = subprocess.Popen(['/usr/bin/redis-server', '--port', '16399', '--bind', '127.0.0.1',
                             '--dir', d, '--save', ''], stdout=subprocess.DEVNULL)
    _wait(['redis-cli', '-p', '16399', 'ping'])
    took = time.perf_counter() - began
    proc.terminate()
    proc.wait()
    return took


def main():
    scratch = tempfile.mkdtemp(prefix='dbaas-raw-')
    os.chmod(scratch, 0o755)
    raw = {'mariadb': raw_mariadb(scratch + '/m'), 'postgresql': raw_postgresql(scratch + '/p'),
           'redis': raw_redis(scratch + '/r')}
    shutil.rmtree(scratch, ignore_errors=True)
    versions = {'mariadb': '10.11', 'postgresql': '15', 'redis': '7.0'}
    results, rss = {}, None
    with stackctl.running_stack() as state:
        class Stack:
            urls, secrets, root = state['urls'], state['secrets'], state['root']
        client = trove(Stack, 'demo')
        for engine, version in versions.items():
            samples = []
            for attempt in range(3):   # the first create of a version also builds its template
                began = time.perf_counter()
                instance = client.instances.create('bench-%s-%d' % (engine, attempt), '1',
                                                   volume={'size': 1}, datastore=engine,
                                                   datastore_version=version)
                wait_status(client, instance.id, 'ACTIVE', timeout=120)
                samples.append(time.perf_counter() - began)
                if rss is None:
                    pid_file = os.path.join(state['root'], 'instances', instance.id, 'agent.pid')
                    with open(pid_file) as handle:
                        rss = psutil.Process(int(handle.read())).memory_info().rss / 2 ** 20
                client.instances.delete(instance.id)
                wait_gone(client, instance.id)
            results[engine] = (samples[0], min(samples[1:]))
    ok = True
    for engine, (first, warm) in results.items():
        extra = warm - raw[engine]
        ok &= extra <= 1.0
        print('%-10s raw init+start %.2f s | create-to-ACTIVE %.2f s (first, builds template '
              '%.2f s) | overhead %.2f s, ratio %.1f (target overhead <= 1.0 s)'
              % (engine, raw[engine], warm, first, extra, warm / raw[engine]))
    print('guest agent resident memory: %.1f MB (target <= 60 MB)' % rss)
    return 0 if ok and rss <= 60 else 1


if __name__ == '__main__':
    sys.exit(main())
