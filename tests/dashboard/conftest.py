"""Django for the dashboard's unit tests, under plain pytest (no pytest-django).

Settings are configured in this process only: DJANGO_SETTINGS_MODULE is removed from
the environment again so stacks that other tests start (Horizon under gunicorn) keep
their own settings.
"""
import os

import django
import pytest

os.environ['DJANGO_SETTINGS_MODULE'] = 'tests.dashboard.settings'
try:
    django.setup()
finally:
    del os.environ['DJANGO_SETTINGS_MODULE']


@pytest.fixture(scope='session', autouse=True)
def django_test_environment():
    """What Django's test runner does around a run: test mail, templates, a test database."""
    from django.test import utils
    utils.setup_test_environment()
    databases = utils.setup_databases(verbosity=0, interactive=False)
    yield
    utils.teardown_databases(databases, verbosity=0)
    utils.teardown_test_environment()


def pytest_collection_modifyitems(config, items):
    # Horizon, openstacksdk and eventlet warn about their own deprecations on every
    # request; hundreds of those would hide anything of ours.
    here = os.path.dirname(os.path.abspath(__file__))
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.filterwarnings('ignore'))
