"""A test run keeps its temporary files to itself, and the dashboard's session key is secret."""
import os
import stat
import subprocess
import sys
import tempfile

import pytest

from tests import conftest


def test_temporary_files_of_the_run_are_in_a_directory_of_the_run():
    # Horizon's test settings keep their SECRET_KEY in <temp>/.secret_key_store: in the shared
    # /tmp another user could have made it first (and chosen the key, or made it unreadable).
    assert tempfile.gettempdir() == conftest.RUN_TEMP_DIR == os.environ['TMPDIR']
    assert os.path.basename(conftest.RUN_TEMP_DIR).startswith('dbaas-test-run-')
    assert stat.S_IMODE(os.stat(conftest.RUN_TEMP_DIR).st_mode) == 0o755
    assert os.stat(conftest.RUN_TEMP_DIR).st_uid == os.getuid()


SHOW_KEY = ('import os, sys; sys.path.insert(0, os.getcwd()); '
            'from trove_dashboard import local_settings; print(local_settings.SECRET_KEY)')


def _secret_key(env):
    return subprocess.run([sys.executable, '-c', SHOW_KEY], env=env, capture_output=True,
                          text=True, check=True, cwd=conftest.REPO).stdout.strip()


def test_the_dashboard_makes_a_secret_key_per_deployment_and_keeps_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != 'DBAAS_HORIZON_SECRET_KEY'}
    env['DBAAS_HORIZON_SECRET_KEY_FILE'] = str(tmp_path / 'key')
    first = _secret_key(env)
    assert len(first) >= 32 and 'unset' not in first
    assert _secret_key(env) == first
    assert stat.S_IMODE(os.stat(tmp_path / 'key').st_mode) == 0o600
    env['DBAAS_HORIZON_SECRET_KEY_FILE'] = str(tmp_path / 'other-deployment')
    assert _secret_key(env) != first
    assert _secret_key(dict(env, DBAAS_HORIZON_SECRET_KEY='from-the-launcher')) == \
        'from-the-launcher'


def test_a_missing_engine_fails_the_engine_tests_instead_of_skipping_them():
    from tests.functional import test_engines
    missing = test_engines.Engine('mariadb', 'mariadb', '/nonexistent', 'mysql', 9)
    params = test_engines.engine_params()
    assert all(not param.marks for param in params)
    with pytest.raises(pytest.fail.Exception, match="mariadb is not installed at '/nonexistent'"):
        test_engines.require_installed(missing)
