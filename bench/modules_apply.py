"""20 `file` modules applied to one instance in one `POST /instances/{id}/modules` (through
Keystone's token check, the API, the sealed guest RPC and the guest's module store), beside
writing the same 20 files through the guest's file layer in the same run: the agent's
ModuleManager called in-process on the same 20 payloads (target ratio <= 2).

The rounds alternate (API, then in-process), so load changes weigh on both alike; each round
applies the same 20 modules again, which rewrites every file (three atomic writes per module:
contents, the placed file, the result). Where the rest goes: a POST with one module (the
call's fixed cost) and a GET of the instance's modules (the API alone, no guest call) are
timed too. With --profile, the in-process side is also profiled with cProfile.

    BENCH_PORT_OFFSET=500 .venv/bin/python bench/modules_apply.py [--profile]
"""
import base64
import cProfile
import hashlib
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
import types

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stackctl  # noqa: E402
from tests.functional.instance_helpers import trove, wait_status  # noqa: E402

MODULES = 20
SIZE = 4096
ROUNDS = 25
TARGET_RATIO = 2.0
DATASTORE, VERSION = 'redis', '7.0'


def contents_of(n):
    """A licence-sized payload, different for each module."""
    return hashlib.sha512(b'%d' % n).digest() * (SIZE // 64)


def create_modules(session, base, headers, tag):
    """The 20 modules (the demo project's, for the instance's datastore): their views."""
    made = []
    for n in range(MODULES):
        resp = session.post(base + '/modules', headers=headers, timeout=30, json={'module': {
            'name': 'bench-%s-%02d' % (tag, n), 'module_type': 'file',
            'contents': base64.b64encode(contents_of(n)).decode(),
            'datastore': {'type': DATASTORE}}})
        resp.raise_for_status()
        made.append(resp.json()['module'])
    return made


def payloads_of(modules):
    """What the guest receives for them (module_payloads.payload's shape)."""
    return [{'id': m['id'], 'name': m['name'], 'type': m['type'], 'tenant': m['tenant'],
             'datastore': m['datastore'], 'datastore_version': m['datastore_version'],
             'md5': m['md5'], 'contents': base64.b64encode(contents_of(n)).decode(),
             'auto_apply': m['auto_apply'], 'visible': m.get('visible', True),
             'priority_apply': m['priority_apply'], 'apply_order': m['apply_order'],
             'is_admin': m['is_admin']} for n, m in enumerate(modules)]


def check_placed(files_dir, modules):
    for n, module in enumerate(modules):
        path = os.path.join(files_dir, '%s-%s-%s.lic' % (module['datastore'],
                                                         module['datastore_version'],
                                                         module['name']))
        with open(path, 'rb') as handle:
            assert handle.read() == contents_of(n), path


def measure(profile):
    offset = os.environ.get('BENCH_PORT_OFFSET', stackctl.PORT_OFFSET)
    with stackctl.running_stack(offset=offset) as state:
        stack = types.SimpleNamespace(urls=state['urls'], secrets=state['secrets'])
        client = trove(stack, 'demo')
        token, project = stackctl.token(state)
        instance = client.instances.create('bench-modules', flavor_id='1', volume={'size': 1},
                                           datastore=DATASTORE, datastore_version=VERSION)
        wait_status(client, instance.id, 'ACTIVE', timeout=300)
        session = requests.Session()
        headers = {'X-Auth-Token': token}
        base = '%s/v1.0/%s' % (state['urls']['api'], project)
        modules = create_modules(session, base, headers, 'api')
        payloads = payloads_of(modules)
        url = '%s/instances/%s/modules' % (base, instance.id)
        body = {'modules': [{'id': m['id']} for m in modules]}
        guest_files = os.path.join(state.get('paths', {}).get('instances', state['root']),
                                   'instances', instance.id, 'modules', 'files')
        local_dir = tempfile.mkdtemp(prefix='bench-modules-')
        try:
            return rounds(session, url, body, headers, modules, payloads, guest_files,
                          local_dir, profile)
        finally:
            shutil.rmtree(local_dir, ignore_errors=True)


def rounds(session, url, body, headers, modules, payloads, guest_files, local_dir, profile):
    """The timed rounds, alternated: {'api': [s], 'local': [s], 'profile': stats?}."""
    from api_service.guestagent.modules import manager as modules_mod
    local = modules_mod.ModuleManager(os.path.join(local_dir, 'modules'))

    def by_api():
        resp = session.post(url, json=body, headers=headers, timeout=120)
        resp.raise_for_status()
        results = resp.json()['modules']
        assert [r['status'] for r in results] == ['OK'] * MODULES, results

    def in_process():
        results = local.apply(payloads)
        assert [r['status'] for r in results] == ['OK'] * MODULES, results

    for warm in (by_api, in_process):
        warm()
    check_placed(guest_files, modules)
    check_placed(os.path.join(local_dir, 'modules', 'files'), modules)
    api_s, local_s = [], []
    for _ in range(ROUNDS):
        for fn, samples in ((by_api, api_s), (in_process, local_s)):
            began = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - began)
    # What one call costs whatever the number of modules (HTTP, token, database, RPC).
    one = {'modules': body['modules'][:1]}
    single_s = []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        session.post(url, json=one, headers=headers, timeout=120).raise_for_status()
        single_s.append(time.perf_counter() - began)
    # Of which the API's own part (HTTP, token, database; no guest call).
    listed_s = []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        session.get(url, headers=headers, timeout=120).raise_for_status()
        listed_s.append(time.perf_counter() - began)
    figures = {'api': api_s, 'local': local_s, 'single': single_s, 'listed': listed_s}
    if profile:
        figures['profile'] = profiled(in_process)
    return figures


def profiled(fn):
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(5):
        fn()
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats('cumulative')
    return stats


def main():
    profile = '--profile' in sys.argv[1:]
    figures = measure(profile)
    api_ms = statistics.median(figures['api']) * 1000
    local_ms = statistics.median(figures['local']) * 1000
    ratio = api_ms / local_ms
    print('%d file modules of %d bytes on one %s instance (median of %d rounds):'
          % (MODULES, SIZE, DATASTORE, ROUNDS))
    print('  POST /instances/{id}/modules       %8.1f ms  (min %.1f, max %.1f)' % (
        api_ms, min(figures['api']) * 1000, max(figures['api']) * 1000))
    print('  the guest module layer in-process  %8.1f ms  (min %.1f, max %.1f)' % (
        local_ms, min(figures['local']) * 1000, max(figures['local']) * 1000))
    print('  POST with 1 module (fixed cost)    %8.1f ms' % (
        statistics.median(figures['single']) * 1000))
    print('  GET /instances/{id}/modules        %8.1f ms  (the API alone: no guest call)' % (
        statistics.median(figures['listed']) * 1000))
    print('  ratio                              %8.2f (target <= %.0f)' % (ratio,
                                                                          TARGET_RATIO))
    if profile:
        figures['profile'].print_stats(25)
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == '__main__':
    sys.exit(main())
