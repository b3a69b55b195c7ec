"""The local driver's instances: addresses, volume directories, and guest agent processes.

An instance is a guest agent process (which runs the engine) with its own loopback
address and a data directory under its volume type's root. Stopping an instance's
processes and removing its directories leaves nothing behind.
"""
import os
import secrets as pysecrets
import shutil
import signal
import subprocess
import sys
import threading
import time

import psutil
from sqlalchemy import func, select

from api_service.common.config import CONF
from api_service.db import models
from api_service.db import models_instances as m
from api_service.guestagent import exit_report
from api_service.guestagent.errors import GuestError
from api_service.guestagent.datastore import sockets


def instances_dir():
    return os.path.abspath(CONF.local_driver.instances_dir)


def run_dir(instance_id):
    return os.path.join(instances_dir(), instance_id)


def possible_volume_dirs(session, instance_id):
    """Where an instance whose row is gone may have its volume: under every volume type's
    root (a build that raced its delete can make one after the delete looked)."""
    roots = {os.path.join(instances_dir(), 'volumes')}
    roots.update(r for r in session.scalars(select(models.VolumeType.root_path)) if r)
    return sorted(os.path.join(os.path.abspath(root), instance_id) for root in roots)


def volume_dir(session, instance):
    vtype = session.get(models.VolumeType, instance.volume_type_id)
    root = vtype.root_path if vtype and vtype.root_path else os.path.join(instances_dir(),
                                                                         'volumes')
    return os.path.join(os.path.abspath(root), instance.id)


# -- host usage -------------------------------------------------------------------------

def host_usage(session):
    """RAM and vCPUs used per host by live instances: one grouped query."""
    rows = session.execute(select(m.Instance.host, func.sum(m.Instance.ram_mb),
                                  func.sum(m.Instance.vcpus))
                           .where(m.Instance.host.is_not(None), m.Instance.deleted.is_(False))
                           .group_by(m.Instance.host))
    return {host: (int(ram or 0), int(cpus or 0)) for host, ram, cpus in rows}


def group_hosts(session, instance):
    if not instance.server_group_id:
        return frozenset()
    return frozenset(session.scalars(select(m.Instance.host).where(
        m.Instance.server_group_id == instance.server_group_id, m.Instance.id != instance.id,
        m.Instance.host.is_not(None), m.Instance.deleted.is_(False))))


# -- guest processes --------------------------------------------------------------------

def make_volume(path):
    os.makedirs(path, mode=0o755, exist_ok=True)


def volume_exists(path):
    return os.path.isdir(path)


def write_guest_config(session, instance, spec):
    """The agent's private config (0600) for a GuestSpec: it holds the instance key and the
    admin password (kept from an earlier config, which the engine was prepared with)."""
    rdir = run_dir(instance.id)
    os.makedirs(rdir, mode=0o755, exist_ok=True)
    templates = os.path.abspath(CONF.local_driver.templates_dir)
    lines = ['[guest]',
             'instance_id = %s' % instance.id,
             'manager = %s' % spec.manager,
             'engine_path = %s' % spec.engine_path,
             'data_dir = %s' % volume_dir(session, instance),
             'run_dir = %s' % rdir,
             'template_dir = %s' % os.path.join(templates, '%s-%s' % (spec.manager,
                                                                      spec.version)),
             'address = %s' % instance.address,
             'memory_mb = %d' % spec.memory_mb,
             'admin_password = %s' % pysecrets.token_urlsafe(24),
             'instance_key = %s' % spec.instance_key,
             'heartbeat_interval = %d' % CONF.instance.heartbeat_interval,
             'restart_failed_engines = %s' % CONF.instance.restart_failed_engines,
             'conductor_topic = %s' % CONF.rpc.conductor_topic,
             'backup_storage_root = %s' % os.path.abspath(CONF.backup.storage_root)]
    lines += _guest_storage_lines()
    path = os.path.join(rdir, 'guest.conf')
    if os.path.exists(path):
        # Keep the admin password the engine was prepared with.
        with open(path) as handle:
            old = dict(line.split(' = ', 1) for line in handle.read().splitlines()
                       if ' = ' in line)
        lines = [('admin_password = %s' % old['admin_password']
                  if line.startswith('admin_password') and 'admin_password' in old else line)
                 for line in lines]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        handle.write('\n'.join(lines) + '\n')
    return path


def _guest_storage_lines():
    """The guest's backup store when it is Swift: the same [backup_swift] (the file is 0600)."""
    if CONF.backup.storage_backend != 'swift':
        return []
    lines = ['backup_storage_backend = swift', '[backup_swift]']
    for name, value in sorted(CONF.backup_swift.items()):
        if value is not None:
            lines.append('%s = %s' % (name, value))
    return lines


def was_spawned(instance_id):
    """Whether the instance has a guest config to start its agent with."""
    return os.path.exists(os.path.join(run_dir(instance_id), 'guest.conf'))


def spawn_guest(instance_id):
    rdir = run_dir(instance_id)
    try:   # a dead agent's pid file would make the new one look exited until it writes its own
        os.remove(os.path.join(rdir, 'agent.pid'))
    except FileNotFoundError:
        pass
    exit_report.clear(rdir)    # an earlier agent's reason is not this one's
    argv = [os.path.join(os.path.dirname(sys.executable), 'dbaas-guestagent')]
    if CONF.local_driver.guest_config_file:
        argv += ['--config-file', os.path.abspath(CONF.local_driver.guest_config_file)]
    argv += ['--config-file', os.path.join(rdir, 'guest.conf')]
    log = open(os.path.join(rdir, 'agent.log'), 'ab')
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, cwd=rdir)
    log.close()
    # Written here too (the agent writes the same pid), so an agent that dies before it
    # gets that far is seen to have exited rather than awaited until a deadline.
    exit_report.write_pid(rdir, proc.pid)
    # Reap it when it exits, so a dead agent is seen as dead rather than as a zombie.
    threading.Thread(target=proc.wait, daemon=True).start()
    return proc.pid


def guest_pid(instance_id):
    try:
        with open(os.path.join(run_dir(instance_id), 'agent.pid')) as handle:
            pid = int(handle.read().strip())
        return pid if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE else None
    except (OSError, ValueError, psutil.NoSuchProcess):
        return None


def guest_exited(instance_id):
    """The agent wrote its pid file, and that process is gone."""
    return (guest_pid(instance_id) is None
            and os.path.exists(os.path.join(run_dir(instance_id), 'agent.pid')))


def guest_exit_reason(instance_id):
    """(message, details) of an exited agent: the reason it recorded, else its log's tail
    (admin-only; a log is not written for tenants)."""
    rdir = run_dir(instance_id)
    reason = exit_report.read(rdir)
    if reason is not None:
        return reason
    try:
        with open(os.path.join(rdir, 'agent.log'), 'rb') as handle:
            handle.seek(max(0, os.fstat(handle.fileno()).st_size - 4096))
            tail = handle.read().decode('utf-8', 'replace').splitlines()[-15:]
    except OSError:
        tail = []
    return 'The guest agent exited while starting.', '\n'.join(tail)


def _processes_of(paths):
    """Every process whose command line or working directory is inside one of `paths`."""
    found = []
    for proc in psutil.process_iter(['pid', 'cmdline', 'cwd']):
        info = proc.info
        text = ' '.join(info.get('cmdline') or []) + ' ' + (info.get('cwd') or '')
        if any(path in text for path in paths) and proc.pid != os.getpid():
            found.append(proc)
    return found


def stop_guest(instance_id, *volume_paths, timeout=20):
    """SIGTERM the agent (it stops its engine), then kill whatever is left of the instance."""
    pid = guest_pid(instance_id)
    if pid:
        try:
            os.kill(pid, signal.SIGTERM)
            os.kill(pid, signal.SIGCONT)   # a stopped agent must wake up to stop
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while psutil.pid_exists(pid) and time.monotonic() < deadline:
            try:
                if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                    break
            except psutil.NoSuchProcess:
                break
            time.sleep(0.05)
    leftovers = _processes_of([p for p in (run_dir(instance_id),) + volume_paths if p])
    for proc in leftovers:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(leftovers, timeout=10)


def remove_files(instance_id, *volume_paths):
    try:
        socket_dir = sockets.socket_dir_for(run_dir(instance_id))
    except GuestError:   # no private socket directory base: nothing was made there
        socket_dir = None
    for path in volume_paths + (run_dir(instance_id), socket_dir):
        if path:
            shutil.rmtree(path, ignore_errors=True)
