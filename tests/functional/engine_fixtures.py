"""Fixtures of the guest-level engine tests (backups, replication): real engines prepared by
their managers on addresses of a test module's own, in directories the engines' system users
can reach, and a local object store. Each module imports the fixtures it uses and makes its
`make_manager` with `managers_on`, naming its own subnet so modules never share an address."""
import contextlib
import os
import shutil
import tempfile

import pytest

from api_service.drivers.storage import LocalObjectStore
from api_service.guestagent.datastore import base, get_manager_class
from tests.functional.test_engines import require_installed


def shared_tmp(prefix):
    """A new directory under /tmp the engines' users may enter (they run as `mysql`,
    `postgres`, `redis` when the tests run as root)."""
    path = tempfile.mkdtemp(prefix=prefix, dir='/tmp')
    os.chmod(path, 0o755)
    return path


@pytest.fixture(scope='module')
def template_root():
    path = shared_tmp('eng-tpl-')
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def workdir():
    path = shared_tmp('eng-')
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def store(workdir):
    return LocalObjectStore(os.path.join(workdir, 'objects'))


@contextlib.contextmanager
def managers_on(subnet, addresses, workdir, template_root=None):
    """A factory of managers on `subnet`.<n> (n from the module's `addresses` counter) with
    directories of their own; every one is destroyed on exit, after its engine log's tail is
    printed (pytest shows it when the test failed). `long_path`: a home as long as the
    socket path allows."""
    made = []

    def factory(engine, long_path=False):
        require_installed(engine)
        n = next(addresses)
        assert n < 255, 'out of test addresses'
        home = os.path.join(workdir, '%s-%d' % (engine.key, n))
        if long_path:
            home = os.path.join(workdir, ('%s-%d-' % (engine.key, n)).ljust(
                base.MAX_SOCKET_PATH - len(workdir) - 24, 'x'))
        manager = get_manager_class(engine.manager)(
            data_dir=os.path.join(home, 'volume'), run_dir=os.path.join(home, 'run'),
            address='%s.%d' % (subnet, n), engine_path=engine.path, memory_mb=128,
            run_as=engine.run_as, template_dir=template_root,
            admin_password=base.generate_password())
        made.append(manager)
        return manager

    try:
        yield factory
    finally:
        for manager in made:
            print('==== %s\n%s' % (manager.address, base.tail_of_file(manager.log_path)))
            try:
                manager.destroy()
            except Exception as exc:        # the others are destroyed all the same
                print('destroying %s failed: %r' % (manager.address, exc))
