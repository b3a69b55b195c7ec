"""What must hold of a stack whatever it went through (#15): the fault tests and bench/load.py
end with `check(stack) == []`.

`check` reads the stack's service database (SQLite or a server's), its instances' directories,
its backup store and the machine's processes and listening sockets, and returns one sentence
per thing that is wrong:

1. quotas: each project's usage rows equal what exists (live instances, their RAM and volume
   GB, backups that hold quota);
2. nothing stuck: no instance in a transitional status past its deadline (and the slack), no
   backup being made past the backup deadline, no backup delete overdue;
3. processes: none runs for a deleted or unknown instance (its command line or working
   directory is inside that instance's directories), and every ACTIVE instance's agent runs;
4. directories: none under the instances directory or a volume root for a deleted or
   unknown instance, nor a socket directory of a deleted one;
5. addresses: no deleted instance holds one, no address twice, and no process of this
   stack (run under its instance or volume directories) listens on a network's address
   that no live instance holds;
6. rows and backup objects: every live instance has its RPC key and no deleted one does, no
   server group without instances; every object in the store belongs to a backup not
   deleted, every COMPLETED backup's object exists, no partial object is left over.

`wait_settled` waits until no instance is in a transitional status and no backup is being
made or deleted. Both read the stack; they change nothing.

    stack_invariants.wait_settled(fault_stack, timeout=90)
    assert stack_invariants.check(fault_stack) == []

A stack is anything with `.root` (its state directory; etc/dbaas.conf there names the
database, the instances directory and the backup store), and optionally `.database_url`,
`.instance_root` and `.env`: tests/conftest.py's RunningStack and the fault stack both fit.
"""
import collections
import json
import configparser
import datetime
import ipaddress
import os
import re
import time

import psutil
import sqlalchemy as sa

from api_service.db import models
from api_service.db import models_backups as b
from api_service.db import models_instances as m

TRANSITIONAL = ('BUILD', 'REBOOT', 'RESIZE', 'BACKUP', 'DELETING')
# Statuses whose engine runs, so their guest agent must too.
RUNNING = ('ACTIVE', 'RESTART_REQUIRED')
BACKUP_IN_FLIGHT = ('NEW', 'BUILDING')
BACKUP_HOLDING_QUOTA = ('NEW', 'BUILDING', 'COMPLETED')
BACKUP_DELETE_PENDING = ('DELETING',)
# Past a deadline, what may still be acting on it (the janitor's tick, a last RPC) gets this long.
SLACK_SECONDS = 30
# A partial object no backup has written to for this long is left over.
PARTIAL_MAX_AGE = 60
# The backup deadline when the stack's config does not say ([backup] deadline's default).
DEFAULT_BACKUP_DEADLINE = 3600
UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')
PARTIAL_DIR = '.partial'

_I = m.Instance.__table__
_K = m.InstanceKey.__table__
_G = m.ServerGroup.__table__
_N = m.Network.__table__
_B = b.Backup.__table__
_U = models.QuotaUsage.__table__
_VT = models.VolumeType.__table__


class NotSettled(AssertionError):
    """The stack still had work in flight when wait_settled's time was up."""


class Places:
    """Where a stack keeps what `check` reads, from its config file (etc/dbaas.conf) and the
    stack object: `database_url` (an attribute wins over the config), the instances
    directory, the backup store, the backup deadline."""

    def __init__(self, stack_like):
        root = os.path.abspath(stack_like.root)
        conf = _read_config(os.path.join(root, 'etc', 'dbaas.conf'))
        instance_root = getattr(stack_like, 'instance_root', None) or root
        self.database_url = (getattr(stack_like, 'database_url', None)
                             or conf.get('database', 'connection', fallback=None)
                             or (getattr(stack_like, 'env', None) or {}).get('DBAAS_DATABASE_URL')
                             or 'sqlite:///' + os.path.join(root, 'dbaas.sqlite'))
        self.instances_dir = os.path.abspath(conf.get('local_driver', 'instances_dir',
                                                      fallback=None)
                                             or os.path.join(instance_root, 'instances'))
        self.backup_root = os.path.abspath(conf.get('backup', 'storage_root', fallback=None)
                                           or os.path.join(root, 'backups'))
        self.backup_deadline = conf.getint('backup', 'deadline',
                                           fallback=DEFAULT_BACKUP_DEADLINE)


def _read_config(path):
    conf = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        with open(path) as handle:
            conf.read_string(handle.read().replace('$$', '$'))
    except OSError:
        pass
    return conf


class Snapshot:
    """The rows `check` needs, read in one go (so every check sees the same moment)."""

    def __init__(self, database_url):
        engine = sa.create_engine(database_url)
        try:
            with engine.connect() as conn:
                self.instances = conn.execute(sa.select(_I)).all()
                self.keys = set(conn.scalars(sa.select(_K.c.instance_id)))
                self.groups = set(conn.scalars(sa.select(_G.c.id)))
                self.networks = conn.execute(sa.select(_N.c.name, _N.c.cidr)).all()
                self.backups = conn.execute(sa.select(_B)).all()
                self.usage = conn.execute(sa.select(_U)).all()
                self.volume_roots = [r for r in conn.scalars(sa.select(_VT.c.root_path)) if r]
        finally:
            engine.dispose()
        self.now = models.utcnow()
        self.live = {row.id: row for row in self.instances if not row.deleted}
        self.deleted = {row.id for row in self.instances if row.deleted}


def check(stack_like, projects=None, partial_max_age=PARTIAL_MAX_AGE, slack=SLACK_SECONDS):
    """Every invariant that does not hold, one sentence each (empty: all hold). `projects`
    limits the quota and stuck checks to those projects; orphans are the whole stack's."""
    places = Places(stack_like)
    snap = Snapshot(places.database_url)
    wanted = set(projects) if projects is not None else None
    problems = []
    problems += quota_problems(snap, wanted)
    problems += stuck_problems(snap, wanted, places.backup_deadline, slack)
    problems += process_problems(snap, places)
    problems += directory_problems(snap, places)
    problems += address_problems(snap, places)
    problems += row_problems(snap)
    problems += backup_object_problems(snap, places, partial_max_age)
    return problems


def wait_settled(stack_like, timeout=120, projects=None, interval=0.5):
    """Wait until no instance (of `projects`, if given) is in a transitional status and no
    backup is being made or deleted; NotSettled names what is still in flight."""
    places = Places(stack_like)
    deadline = time.monotonic() + timeout
    while True:
        busy = in_flight(Snapshot(places.database_url), projects)
        if not busy:
            return
        if time.monotonic() >= deadline:
            raise NotSettled('Still in flight after %d s: %s' % (timeout, '; '.join(busy)))
        time.sleep(interval)


def in_flight(snap, projects=None):
    wanted = set(projects) if projects is not None else None
    busy = ['instance %s is %s' % (row.id, row.status) for row in snap.live.values()
            if row.status in TRANSITIONAL and _of(row, wanted)]
    busy += ['backup %s is %s' % (row.id, row.status) for row in snap.backups
             if not row.deleted and _of(row, wanted)
             and row.status in BACKUP_IN_FLIGHT + BACKUP_DELETE_PENDING]
    return busy


def _of(row, wanted):
    return wanted is None or row.project_id in wanted


# -- 1. quotas --------------------------------------------------------------------------

def quota_problems(snap, wanted=None):
    expected = collections.defaultdict(collections.Counter)
    resizing = set()
    for row in snap.live.values():
        counted = expected[row.project_id]
        counted['instances'] += 1
        # A resize reserves up to its target when it begins; the row's size changes when it
        # ends. The task manager records the target (task_quota) while the reservation is
        # outstanding; before it has, the project's sizes cannot be judged.
        target = json.loads(row.task_quota) if getattr(row, 'task_quota', None) else {}
        counted['ram'] += target.get('ram', row.ram_mb)
        counted['volumes'] += target.get('volumes', row.volume_size)
        if row.status == 'RESIZE' and not target:
            resizing.add(row.project_id)
    for row in snap.backups:
        if not row.deleted and row.status in BACKUP_HOLDING_QUOTA:
            expected[row.project_id]['backups'] += 1
    recorded = collections.defaultdict(dict)
    for row in snap.usage:
        recorded[row.project_id][row.resource] = row.in_use
    problems = []
    for project in sorted(set(expected) | set(recorded)):
        if wanted is not None and project not in wanted:
            continue
        for resource in ('instances', 'ram', 'volumes', 'backups'):
            if project in resizing and resource in ('ram', 'volumes'):
                continue
            want, have = expected[project][resource], recorded[project].get(resource, 0)
            if want != have:
                problems.append('Project %s: its %s quota usage is %d but %d is in use (%s).'
                                % (project, resource, have, want, _what_counts(resource)))
    return problems


def _what_counts(resource):
    return {'instances': 'live instances', 'ram': "live instances' RAM in MB",
            'volumes': "live instances' volume GB",
            'backups': 'backups NEW, BUILDING or COMPLETED'}[resource]


# -- 2. nothing stuck -------------------------------------------------------------------

def stuck_problems(snap, wanted=None, backup_deadline=DEFAULT_BACKUP_DEADLINE,
                   slack=SLACK_SECONDS):
    grace = datetime.timedelta(seconds=slack)
    problems = []
    for row in snap.live.values():
        if row.status not in TRANSITIONAL or not _of(row, wanted):
            continue
        if row.task_deadline is None:
            problems.append('Instance %s is %s with no deadline: nothing will end it.'
                            % (row.id, row.status))
        elif row.task_deadline + grace < snap.now:
            problems.append('Instance %s is still %s (task %s), %d s past its deadline.'
                            % (row.id, row.status, row.task,
                               (snap.now - row.task_deadline).total_seconds()))
    made_by = datetime.timedelta(seconds=backup_deadline) + grace
    for row in snap.backups:
        if row.deleted or not _of(row, wanted):
            continue
        if row.status in BACKUP_IN_FLIGHT and row.created + made_by < snap.now:
            problems.append('Backup %s is still %s, %d s after it was asked for (the deadline '
                            'is %d s).' % (row.id, row.status,
                                           (snap.now - row.created).total_seconds(),
                                           backup_deadline))
        if (row.status in BACKUP_DELETE_PENDING and row.delete_next_attempt is not None
                and row.delete_next_attempt + grace < snap.now):
            problems.append('Backup %s is still DELETING, %d s after its delete attempt was due.'
                            % (row.id, (snap.now - row.delete_next_attempt).total_seconds()))
    return problems


# -- 3. processes -----------------------------------------------------------------------

def _owner_patterns(snap, places):
    """Regexes finding '<dir>/<instance id>' in a command line or working directory."""
    roots = {places.instances_dir, os.path.join(places.instances_dir, 'volumes')}
    roots.update(os.path.abspath(root) for root in snap.volume_roots)
    return [re.compile(re.escape(root.rstrip('/')) + '/(' + UUID.pattern + ')')
            for root in sorted(roots)]


def _instances_named(text, patterns):
    return {match.group(1) for pattern in patterns for match in pattern.finditer(text)}


def process_problems(snap, places):
    patterns = _owner_patterns(snap, places)
    problems = []
    for proc in psutil.process_iter(['pid', 'cmdline', 'cwd', 'status']):
        info = proc.info
        if proc.pid == os.getpid() or info.get('status') == psutil.STATUS_ZOMBIE:
            continue
        command = ' '.join(info.get('cmdline') or [])
        for instance_id in _instances_named(command + ' ' + (info.get('cwd') or ''), patterns):
            if instance_id not in snap.live:
                problems.append('Process %d (%s) runs for instance %s, which is %s.'
                                % (proc.pid, command[:120], instance_id,
                                   _gone(snap, instance_id)))
    for row in snap.live.values():
        if row.status in RUNNING and agent_pid(places, row.id) is None:
            problems.append('Instance %s is %s but its guest agent does not run.'
                            % (row.id, row.status))
    return problems


def agent_pid(places, instance_id):
    """The pid of the instance's guest agent if it runs (not a zombie), else None."""
    try:
        with open(os.path.join(places.instances_dir, instance_id, 'agent.pid')) as handle:
            pid = int(handle.read().strip())
        return pid if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE else None
    except (OSError, ValueError, psutil.NoSuchProcess):
        return None


def _gone(snap, instance_id):
    return 'deleted' if instance_id in snap.deleted else 'unknown to the service database'


# -- 4. directories ---------------------------------------------------------------------

def directory_problems(snap, places):
    roots = {places.instances_dir, os.path.join(places.instances_dir, 'volumes')}
    roots.update(os.path.abspath(root) for root in snap.volume_roots)
    problems = []
    for root in sorted(roots):
        try:
            names = sorted(os.listdir(root))
        except OSError:
            continue
        for name in names:
            if UUID.fullmatch(name) and name not in snap.live:
                problems.append('Directory %s is left of instance %s, which is %s.'
                                % (os.path.join(root, name), name, _gone(snap, name)))
    for instance_id in sorted(snap.deleted):
        sockets = socket_dir(os.path.join(places.instances_dir, instance_id))
        if sockets and os.path.exists(sockets):
            problems.append('Socket directory %s is left of deleted instance %s.'
                            % (sockets, instance_id))
    return problems


def socket_dir(run_dir):
    """The instance's private socket directory (guestagent/datastore/sockets.py), or None."""
    from api_service.guestagent.datastore import sockets
    from api_service.guestagent.errors import GuestError
    try:
        return sockets.socket_dir_for(run_dir)
    except GuestError:
        return None


# -- 5. addresses -----------------------------------------------------------------------

def address_problems(snap, places):
    problems = []
    holders = collections.defaultdict(list)
    for row in snap.instances:
        if row.deleted and (row.address or row.requested_address):
            problems.append('Deleted instance %s still holds address %s.'
                            % (row.id, row.address or row.requested_address))
        elif not row.deleted and row.address:
            holders[row.address].append(row.id)
    for address, ids in sorted(holders.items()):
        if len(ids) > 1:
            problems.append('Address %s is held by %d instances: %s.'
                            % (address, len(ids), ', '.join(sorted(ids))))
    subnets = [(name, ipaddress.ip_network(cidr)) for name, cidr in snap.networks]
    patterns = _owner_patterns(snap, places)
    for address, port, pid in sorted(_listening(), key=lambda found: found[:2]):
        network = next((name for name, subnet in subnets
                        if ipaddress.ip_address(address) in subnet), None)
        if (network is not None and address not in holders
                and _runs_for_this_stack(pid, patterns)):
            problems.append('Process %s listens on %s:%d (network %s), an address no live '
                            'instance holds.' % (pid, address, port, network))
    return problems


def _runs_for_this_stack(pid, patterns):
    """Whether process `pid` runs under this stack's instance or volume directories.

    Another stack on this machine (the shared one beside the fault stack) draws addresses
    from the same loopback pools; its listeners are not this stack's leaks. A pid of None is
    another user's socket, which only root may see the owner of: not this stack's either.
    """
    if pid is None:
        return False
    try:
        proc = psutil.Process(pid)
        text = ' '.join(proc.cmdline()) + ' ' + proc.cwd()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False
    return bool(_instances_named(text, patterns))


def _listening():
    """(address, port, pid) of every IPv4 listening TCP socket bound to one address."""
    found = set()
    for conn in psutil.net_connections(kind='tcp4'):
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.ip != '0.0.0.0':
            found.add((conn.laddr.ip, conn.laddr.port, conn.pid))
    return found


# -- 6. rows and backup objects ---------------------------------------------------------

def row_problems(snap):
    problems = ['Live instance %s has no RPC key: its row was half written.' % instance_id
                for instance_id in sorted(set(snap.live) - snap.keys)]
    problems += ['Instance %s is %s but its RPC key is still stored.'
                 % (instance_id, _gone(snap, instance_id))
                 for instance_id in sorted(snap.keys - set(snap.live))]
    used_groups = {row.server_group_id for row in snap.instances if row.server_group_id}
    problems += ['Server group %s has no instance.' % group
                 for group in sorted(snap.groups - used_groups)]
    return problems


def backup_object_problems(snap, places, partial_max_age=PARTIAL_MAX_AGE):
    if not os.path.isdir(places.backup_root):
        return []
    owners = {row.location: row for row in snap.backups if row.location}
    problems = []
    for key in _objects(places.backup_root):
        row = owners.get(key)
        if row is None:
            problems.append('Backup object %s belongs to no backup.' % key)
        elif row.deleted:
            problems.append('Backup object %s belongs to backup %s, which is deleted.'
                            % (key, row.id))
    for row in snap.backups:
        if (row.status == 'COMPLETED' and not row.deleted and row.location
                and '://' not in row.location      # a Swift object is not this store's
                and not os.path.isfile(os.path.join(places.backup_root, row.location))):
            problems.append('Backup %s is COMPLETED but its object %s is missing.'
                            % (row.id, row.location))
    being_made = any(row.status in BACKUP_IN_FLIGHT and not row.deleted for row in snap.backups)
    partials = os.path.join(places.backup_root, PARTIAL_DIR)
    for name in sorted(os.listdir(partials)) if os.path.isdir(partials) else []:
        try:
            age = time.time() - os.stat(os.path.join(partials, name)).st_mtime
        except FileNotFoundError:
            continue
        if not being_made or age > partial_max_age:
            problems.append('Partial backup object %s is left over (last written %d s ago%s).'
                            % (name, age, '' if being_made else ', no backup is being made'))
    return problems


def _objects(root):
    """Keys ('backups/<id>/data') of the committed objects under the store's root."""
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not (directory == root and d == PARTIAL_DIR)]
        for name in files:
            yield os.path.relpath(os.path.join(directory, name), root)
