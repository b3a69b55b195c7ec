"""Sustained load (#15): concurrent clients in several projects against the embedded stack
for a bounded time, then everything deleted and the stack's invariants checked.

Each client is a thread acting for one project (made here in Keystone, a member, with a
quota that fits), paced like a person or a script at work (--think seconds between calls,
on average): it lists and shows its project's instances and backups, creates tiny MariaDB,
PostgreSQL and Redis instances, grows their volumes, backs them up, deletes instances and
backups. Everything is on loopback. Before the load, the idle medians of list and show are
measured in the same run (one caller, nothing else going on); after it, every backup and
instance is deleted, the stack is waited on until nothing is in flight, and
tests/stack_invariants.check runs.

Printed: per call kind the count, p50 and p99; the throughput; the answers other than 2xx
by status and fault; the ratio p99 under load / idle median for list and show; each
invariant violation. Exit 1 on any 5xx or unanswered call, any violation, or a ratio above
10 (the figures to reach: 0 x 5xx, 0 violations, p99 of list and show within 10x idle).

    BENCH_PORT_OFFSET=3700 .venv/bin/python bench/load.py [--seconds 120] [--clients 12]
        [--projects 3] [--instances 4] [--think 1.0] [--seed 1] [--mix ...] [--samples FILE]
"""
import argparse
import collections
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time

import psutil
import requests

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stackctl  # noqa: E402
from tests import stack_invariants  # noqa: E402

ENGINES = (('mariadb', '10.11'), ('postgresql', '15'), ('redis', '7.0'))
# What a client does, and how often (weights); a kind that has no target falls back to list.
# Reads dominate, as with people and dashboards; each create starts a real engine.
MIX = {'list': 35, 'show': 35, 'list backups': 8, 'create': 3, 'resize': 4, 'backup': 5,
       'delete': 3, 'delete backup': 4}
MAX_VOLUME_GB = 3
IDLE_CALLS = 100
RATIO_TARGET = 10
TIMEOUT = 60


class Project:
    """A project's credentials and what its clients last saw of it (shared, under a lock)."""

    def __init__(self, project_id, token, api):
        self.id, self.token, self.api = project_id, token, api
        self.lock = threading.Lock()
        self.instances = {}     # id -> (status, volume size)
        self.backups = {}       # id -> status
        self.instance_limit = 0


class Recorder:
    """Every call's kind, latency and answer."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency = collections.defaultdict(list)
        self.answers = collections.Counter()
        self.examples = {}      # answer kind -> the first message seen
        self.server_errors = []
        self.samples = []

    def record(self, kind, began, resp, error=None):
        took = (time.perf_counter() - began) * 1000
        with self.lock:
            self.latency[kind].append(took)
            self.samples.append((began, kind, took, resp.status_code if resp is not None else 0))
            if error is not None:
                self.answers['%s: no answer (%s)' % (kind, type(error).__name__)] += 1
                self.server_errors.append('%s: %s' % (kind, error))
            elif resp.status_code >= 300:
                answer = '%s: %d %s' % (kind, resp.status_code, fault_name(resp))
                self.answers[answer] += 1
                self.examples.setdefault(answer, fault_message(resp))
                if resp.status_code >= 500:
                    self.server_errors.append('%s %s: %d %s' % (resp.request.method,
                                                                resp.request.url,
                                                                resp.status_code, resp.text))


def fault_name(resp):
    try:
        return next(iter(resp.json()))
    except (ValueError, StopIteration, TypeError):
        return 'no JSON body'


def fault_message(resp):
    try:
        return next(iter(resp.json().values()))['message']
    except (ValueError, StopIteration, TypeError, KeyError, AttributeError):
        return resp.text[:200]


def call(recorder, session, project, kind, method, path, **kwargs):
    began = time.perf_counter()
    try:
        resp = session.request(method, project.api + path, timeout=TIMEOUT,
                               headers={'X-Auth-Token': project.token}, **kwargs)
    except requests.RequestException as error:
        recorder.record(kind, began, None, error)
        return None
    recorder.record(kind, began, resp)
    return resp


# -- setup: projects, users, quotas -----------------------------------------------------

def make_projects(state, count, instance_limit):
    admin_token, admin_project = stackctl.token(state, 'admin')
    identity = state['urls']['keystone'] + '/v3'
    headers = {'X-Auth-Token': admin_token}
    member = requests.get(identity + '/roles', params={'name': 'member'}, headers=headers,
                          timeout=10).json()['roles'][0]['id']
    projects = []
    for number in range(1, count + 1):
        name, password = 'load-%d' % number, secrets.token_urlsafe(16)
        project_id = _post(identity + '/projects', headers, {'project': {
            'name': name, 'domain_id': 'default'}})['project']['id']
        user_id = _post(identity + '/users', headers, {'user': {
            'name': name, 'password': password, 'domain_id': 'default',
            'default_project_id': project_id}})['user']['id']
        requests.put('%s/projects/%s/users/%s/roles/%s' % (identity, project_id, user_id,
                                                            member),
                     headers=headers, timeout=10).raise_for_status()
        requests.put('%s/v1.0/%s/mgmt/quotas/%s' % (state['urls']['api'], admin_project,
                                                    project_id),
                     headers=headers, timeout=10, json={'quotas': {
                         'instances': instance_limit, 'volumes': instance_limit * MAX_VOLUME_GB,
                         'backups': 4 * instance_limit}}).raise_for_status()
        project = Project(project_id, user_token(identity, name, password),
                          '%s/v1.0/%s' % (state['urls']['api'], project_id))
        project.instance_limit = instance_limit
        projects.append(project)
    return projects


def _post(url, headers, body):
    resp = requests.post(url, headers=headers, json=body, timeout=10)
    resp.raise_for_status()
    return resp.json()


def user_token(identity, name, password):
    body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'name': name, 'domain': {'id': 'default'}, 'password': password}}},
        'scope': {'project': {'name': name, 'domain': {'id': 'default'}}}}}
    resp = requests.post(identity + '/auth/tokens', json=body, timeout=10)
    resp.raise_for_status()
    return resp.headers['X-Subject-Token']


# -- what a client does -----------------------------------------------------------------

def create_body(name, engine):
    datastore, version = engine
    return {'instance': {'name': name, 'flavorRef': '1', 'volume': {'size': 1},
                         'datastore': {'type': datastore, 'version': version}}}


def list_instances(recorder, session, project, kind='list'):
    resp = call(recorder, session, project, kind, 'GET', '/instances')
    if resp is not None and resp.status_code == 200:
        seen = {i['id']: (i['status'], i['volume']['size']) for i in resp.json()['instances']}
        with project.lock:
            project.instances = seen
    return resp


def list_backups(recorder, session, project):
    resp = call(recorder, session, project, 'list backups', 'GET', '/backups')
    if resp is not None and resp.status_code == 200:
        seen = {item['id']: item['status'] for item in resp.json()['backups']}
        with project.lock:
            project.backups = seen


def pick(rng, items, wanted=None):
    chosen = [key for key, value in items.items() if wanted is None or wanted(value)]
    return rng.choice(sorted(chosen)) if chosen else None


def act(kind, rng, recorder, session, project):
    """One call of `kind`; False if it had no target (the caller lists instead)."""
    with project.lock:
        instances, backups = dict(project.instances), dict(project.backups)
    if kind == 'list':
        list_instances(recorder, session, project)
    elif kind == 'list backups':
        list_backups(recorder, session, project)
    elif kind == 'show':
        target = pick(rng, instances)
        if target is None:
            return False
        resp = call(recorder, session, project, 'show', 'GET', '/instances/%s' % target)
        if resp is not None and resp.status_code == 200:
            shown = resp.json()['instance']
            with project.lock:
                project.instances[target] = (shown['status'], shown['volume']['size'])
    elif kind == 'create':
        if len(instances) >= project.instance_limit:
            return False
        resp = call(recorder, session, project, 'create', 'POST', '/instances',
                    json=create_body('load-%s' % secrets.token_hex(3), rng.choice(ENGINES)))
        if resp is not None and resp.status_code == 200:
            with project.lock:
                project.instances[resp.json()['instance']['id']] = ('BUILD', 1)
    elif kind == 'resize':
        target = pick(rng, instances, lambda v: v[0] == 'ACTIVE' and v[1] < MAX_VOLUME_GB)
        if target is None:
            return False
        call(recorder, session, project, 'resize', 'POST', '/instances/%s/action' % target,
             json={'resize': {'volume': {'size': instances[target][1] + 1}}})
    elif kind == 'backup':
        target = pick(rng, instances, lambda v: v[0] == 'ACTIVE')
        if target is None:
            return False
        resp = call(recorder, session, project, 'backup', 'POST', '/backups',
                    json={'backup': {'name': 'load', 'instance': target}})
        if resp is not None and resp.status_code == 202:
            with project.lock:
                project.backups[resp.json()['backup']['id']] = 'NEW'
    elif kind == 'delete':
        # Keep one to show; any status may be deleted (a build cut short too).
        target = pick(rng, instances, lambda v: v[0] != 'DELETING')
        if target is None or len(instances) < 2:
            return False
        call(recorder, session, project, 'delete', 'DELETE', '/instances/%s' % target)
        with project.lock:
            project.instances.pop(target, None)
    elif kind == 'delete backup':
        target = pick(rng, backups, lambda v: v in ('COMPLETED', 'FAILED'))
        if target is None:
            return False
        call(recorder, session, project, 'delete backup', 'DELETE', '/backups/%s' % target)
        with project.lock:
            project.backups.pop(target, None)
    return True


def client(seed, project, recorder, stop_at, think, mix):
    rng = random.Random(seed)
    session = requests.Session()
    kinds, weights = zip(*mix.items())
    while time.monotonic() < stop_at:
        kind = rng.choices(kinds, weights)[0]
        if not act(kind, rng, recorder, session, project):
            list_instances(recorder, session, project)
        time.sleep(rng.expovariate(1 / think) if think else 0)


# -- phases -----------------------------------------------------------------------------

def seed_instances(recorder, projects):
    """One Redis instance per project, ACTIVE, for show to have a target from the start."""
    session = requests.Session()
    for project in projects:
        resp = call(recorder, session, project, 'create', 'POST', '/instances',
                    json=create_body('load-seed', ('redis', '7.0')))
        resp.raise_for_status()
    wait_for(lambda: all(_seed_active(recorder, session, p) for p in projects),
             180, 'the seed instances to be ACTIVE')


def _seed_active(recorder, session, project):
    list_instances(recorder, session, project, kind='setup')
    with project.lock:
        statuses = {status for status, _ in project.instances.values()}
    if 'ERROR' in statuses:
        shown = call(recorder, session, project, 'setup', 'GET', '/instances/%s'
                     % next(iter(project.instances))).json()['instance']
        raise SystemExit('a seed instance failed: %s' % shown.get('fault'))
    return statuses == {'ACTIVE'}


def warm_workers(projects, connections=8):
    """Each project's token seen by every API worker (a worker validates a token with
    Keystone once): calls on several new connections at once, which the workers share."""
    for project in projects:
        threads = [threading.Thread(target=requests.get, args=(project.api + '/instances',),
                                    kwargs={'headers': {'X-Auth-Token': project.token},
                                            'timeout': TIMEOUT})
                   for _ in range(connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def idle_medians(projects):
    """Median ms of list and show, one call at a time, nothing else going on."""
    warm_workers(projects)
    session, samples = requests.Session(), {'list': [], 'show': []}
    recorder = Recorder()
    for round_number in range(IDLE_CALLS + 10):
        project = projects[round_number % len(projects)]
        target = next(iter(project.instances))
        for kind, path in (('list', '/instances'), ('show', '/instances/%s' % target)):
            began = time.perf_counter()
            resp = call(recorder, session, project, kind, 'GET', path)
            resp.raise_for_status()
            if round_number >= 10:      # the first calls warm connections and token caches
                samples[kind].append((time.perf_counter() - began) * 1000)
    return {kind: statistics.median(values) for kind, values in samples.items()}


def delete_everything(recorder, projects):
    session = requests.Session()
    for project in projects:
        list_backups(recorder, session, project)
        for backup_id, status in project.backups.items():
            if status not in ('DELETING',):
                call(recorder, session, project, 'cleanup', 'DELETE', '/backups/%s' % backup_id)
        list_instances(recorder, session, project, kind='cleanup')
        for instance_id in list(project.instances):
            call(recorder, session, project, 'cleanup', 'DELETE', '/instances/%s' % instance_id)
    wait_for(lambda: not any(list_instances(recorder, session, p, kind='cleanup').json()
                             ['instances'] for p in projects), 300, 'every instance to go')


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit('gave up waiting for %s after %d s' % (what, timeout))
        time.sleep(0.5)


# -- the report -------------------------------------------------------------------------

def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def write_samples(path, load, began):
    origin = time.perf_counter() - (time.monotonic() - began)
    with open(path, 'w') as handle:
        for at, kind, took, status in sorted(load.samples):
            handle.write('%.3f,%s,%.1f,%d\n' % (at - origin, kind, took, status))


def report(args, load, idle, seconds):
    calls = sum(len(load.latency[kind]) for kind in MIX)
    print('\n%d clients in %d projects for %.0f s, pacing %.2f s on average; load average '
          '%.1f before, %.1f after (%d CPUs)' % (args.clients, args.projects, seconds,
                                                 args.think, load.load_before,
                                                 os.getloadavg()[0], os.cpu_count()))
    print('%-14s %7s %9s %9s %9s' % ('call', 'count', 'per s', 'p50 ms', 'p99 ms'))
    for kind in MIX:
        values = load.latency[kind]
        print('%-14s %7d %9.2f %9.1f %9.1f' % (kind, len(values), len(values) / seconds,
                                               percentile(values, 0.5),
                                               percentile(values, 0.99)))
    print('throughput: %.1f calls/s (%d calls)' % (calls / seconds, calls))
    print('answers other than 2xx (by call, status and fault):')
    for answer, count in sorted(load.answers.items()):
        print('  %-40s %5d  e.g. %s' % (answer, count, load.examples.get(answer, '')[:150]))
    if not load.answers:
        print('  none')
    worst = 0.0
    for kind in ('list', 'show'):
        ratio = percentile(load.latency[kind], 0.99) / idle[kind]
        worst = max(worst, ratio)
        print('%s: idle median %.1f ms, p99 under load %.1f ms, ratio %.2f (target <= %d)'
              % (kind, idle[kind], percentile(load.latency[kind], 0.99), ratio, RATIO_TARGET))
    return worst


def parse_mix(text):
    mix = {kind: 0 for kind in MIX}
    for item in text.split(','):
        kind, _, weight = item.partition('=')
        if kind not in MIX:
            raise argparse.ArgumentTypeError('%s is not one of %s' % (kind, ', '.join(MIX)))
        mix[kind] = int(weight)
    return mix


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=float, default=120)
    parser.add_argument('--clients', type=int, default=12)
    parser.add_argument('--projects', type=int, default=3)
    parser.add_argument('--instances', type=int, default=4, help='instance quota per project')
    parser.add_argument('--think', type=float, default=1.0,
                        help='mean pause between a client\'s calls, in seconds')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--mix', type=parse_mix, default=dict(MIX),
                        help='kind=weight,... (default %s)'
                             % ','.join('%s=%d' % item for item in MIX.items()))
    parser.add_argument('--samples', help='write every call (second, kind, ms, status) here')
    args = parser.parse_args()
    offset = os.environ.get('BENCH_PORT_OFFSET', stackctl.PORT_OFFSET)
    failed = True
    with stackctl.running_stack(offset=offset) as state:
        try:
            failed = run(args, state)
        finally:
            if failed:
                print("the stack's logs are kept in %s" % keep_logs(state))
    return 1 if failed else 0


def keep_logs(state):
    """The stack's logs and its instances' agent logs, copied out of the directory the
    stack is removed with."""
    kept = tempfile.mkdtemp(prefix='dbaas-load-logs-')
    shutil.copytree(os.path.join(state['root'], 'logs'), kept, dirs_exist_ok=True)
    instances = os.path.join(BenchStack(state).instance_root, 'instances')
    for name in os.listdir(instances) if os.path.isdir(instances) else []:
        log = os.path.join(instances, name, 'agent.log')
        if os.path.isfile(log):
            shutil.copy(log, os.path.join(kept, 'agent-%s.log' % name))
    return kept


def cpu_by_part(state):
    """{pid: (part, CPU seconds so far)} of the stack's processes (a service with its
    workers; the instances' agents and engines), and the whole machine's busy seconds."""
    found = {}
    for name, pid in sorted(state.get('children', {}).items()):
        try:
            leader = psutil.Process(pid)
            for proc in [leader] + leader.children(recursive=True):
                found[proc.pid] = (name, _cpu_seconds(proc, reaped=False))
            # The task manager spawns the agents: those that exited (deleted instances), with
            # the engines and tools they ran, are its reaped children.
            times = leader.cpu_times()
            reaped = times.children_user + times.children_system
            found[-pid] = ('instances' if name == 'taskmanager' else name, reaped)
        except psutil.Error:
            continue
    places = [os.path.join(BenchStack(state).instance_root, part) + '/'
              for part in ('instances', 'volumes')]
    for proc in psutil.process_iter(['cmdline', 'cwd']):
        text = ' '.join(proc.info.get('cmdline') or []) + ' ' + (proc.info.get('cwd') or '')
        if proc.pid not in found and any(place in text for place in places):
            found[proc.pid] = ('instances', _cpu_seconds(proc, reaped=True))
    busy = psutil.cpu_times()
    return found, busy.user + busy.nice + busy.system + busy.irq + busy.softirq


def _cpu_seconds(proc, reaped):
    try:
        times = proc.cpu_times()
    except psutil.Error:
        return 0.0
    return times.user + times.system + (times.children_user + times.children_system
                                        if reaped else 0.0)


def cpu_report(before, after, seconds):
    """Where the CPU went during the load: a process that exited is counted by the parent
    that reaped it; one that started counts from zero."""
    (was, machine_before), (now, machine_after) = before, after
    spent = collections.Counter()
    for pid, (part, used) in now.items():
        spent[part] += used - was.get(pid, (part, 0.0))[1]
    ours = sum(spent.values())
    parts = ', '.join('%s %.0f' % item for item in spent.most_common() if item[1] >= 0.5)
    print('CPU seconds during the load (%.0f available): %s; the rest of the machine %.0f'
          % (seconds * os.cpu_count(), parts, max(0.0, machine_after - machine_before - ours)))


class BenchStack:
    """What tests/stack_invariants needs of the bench's stack."""

    def __init__(self, state):
        self.root = state['root']
        self.instance_root = state.get('paths', {}).get('instances', self.root)


def run(args, state):
    stack = BenchStack(state)
    setup = Recorder()
    projects = make_projects(state, args.projects, args.instances)
    seed_instances(setup, projects)
    idle = idle_medians(projects)
    load = Recorder()
    load.load_before = os.getloadavg()[0]
    cpu_before = cpu_by_part(state)
    began = time.monotonic()
    threads = [threading.Thread(target=client, args=(args.seed * 1000 + number,
                                                     projects[number % len(projects)], load,
                                                     began + args.seconds, args.think,
                                                     args.mix))
               for number in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - began
    cpu_after = cpu_by_part(state)
    worst = report(args, load, idle, seconds)
    cpu_report(cpu_before, cpu_after, seconds)
    if args.samples:
        write_samples(args.samples, load, began)

    cleanup = Recorder()
    settle_began = time.monotonic()
    stack_invariants.wait_settled(stack, timeout=600)
    delete_everything(cleanup, projects)
    stack_invariants.wait_settled(stack, timeout=600)
    print('after the run: everything deleted and settled in %.0f s'
          % (time.monotonic() - settle_began))
    violations = stack_invariants.check(stack)
    print('invariant violations: %d' % len(violations))
    for violation in violations:
        print('  ' + violation)
    server_errors = setup.server_errors + load.server_errors + cleanup.server_errors
    print('5xx or unanswered calls: %d' % len(server_errors))
    for error in server_errors[:20]:
        print('  ' + error[:400])
    cleanup_answers = {k: v for k, v in cleanup.answers.items()}
    if cleanup_answers:
        print('cleanup answers other than 2xx: %s' % cleanup_answers)
    return bool(server_errors or violations or worst > RATIO_TARGET)


if __name__ == '__main__':
    sys.exit(main())
