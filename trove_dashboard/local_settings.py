"""Horizon settings for running with this plugin; Horizon's local_settings.py imports this.

Everything that differs per deployment comes from the environment, which the
embedded launcher sets (docs/operations.md lists the variables).
"""
import os

_env = os.environ.get



def _secret_key():
    """The deployment's key for signed session cookies: the launcher's, or one made on first
    use and kept (0600) beside Horizon's local settings, as Horizon's own local_settings does.
    Never a fixed string: anyone who knows the key can forge a session."""
    if _env('DBAAS_HORIZON_SECRET_KEY'):
        return _env('DBAAS_HORIZON_SECRET_KEY')
    from horizon.utils import secret_key
    import openstack_dashboard
    path = _env('DBAAS_HORIZON_SECRET_KEY_FILE') or os.path.join(
        os.path.dirname(openstack_dashboard.__file__), 'local', '.secret_key_store')
    return secret_key.generate_or_read_from_file(path)


DEBUG = _env('DBAAS_HORIZON_DEBUG', '') == '1'
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = _env('DBAAS_HORIZON_ALLOWED_HOSTS', '127.0.0.1,localhost').split(',')

OPENSTACK_KEYSTONE_URL = _env('DBAAS_KEYSTONE_URL', 'http://127.0.0.1:5000') + '/v3'
OPENSTACK_KEYSTONE_DEFAULT_ROLE = 'member'
OPENSTACK_KEYSTONE_MULTIDOMAIN_SUPPORT = False
OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = 'Default'
WEBSSO_ENABLED = False
OPENSTACK_ENDPOINT_TYPE = 'publicURL'

SESSION_ENGINE = 'django.contrib.sessions.backends.signed_cookies'
CACHES = {'default': {'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'}}

# Static files are collected and compressed once at install time (make), then
# served by WhiteNoise from the same process. Ours are in static/ at the top of the
# repository; Horizon's own finders stay as Horizon lists them (openstack_dashboard/settings.py).
STATICFILES_FINDERS = (
    'django.contrib.staticfiles.finders.FileSystemFinder',
    'horizon.contrib.staticfiles.finders.HorizonStaticFinder',
    'compressor.finders.CompressorFinder',
    'trove_dashboard.static_finder.RepositoryStaticFinder',
)
STATIC_ROOT = _env('DBAAS_STATIC_ROOT') or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), '.static')
COMPRESS_ENABLED = True
COMPRESS_OFFLINE = True

TIME_ZONE = 'UTC'

# Our translations live at the top of the repository (locale/<lang>/LC_MESSAGES/django.po and
# djangojs.po, compiled to .mo at install); Django reads LOCALE_PATHS for both catalogues, so the
# page and the JavaScript catalogue (/i18n/js/…+trove_dashboard/) find them.
LOCALE_PATHS = [os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             'locale')]
LOGGING = {
    'version': 1,
    'disable_existing_loggers': False,
    'handlers': {'console': {'class': 'logging.StreamHandler'}},
    'root': {'handlers': ['console'], 'level': 'WARNING'},
}

# Policy: the API's rule names under the "database" scope. Defaults are generated from the
# API's rules (conf/default_policies/database.yaml); conf/database_policy.yaml holds
# overrides, which should match the API's policy file. See trove_dashboard/policy.py.
from openstack_dashboard import defaults as _defaults  # noqa: E402

_CONF = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'conf')
POLICY_FILES = dict(_defaults.POLICY_FILES, database=_env(
    'DBAAS_HORIZON_POLICY_FILE') or os.path.join(_CONF, 'database_policy.yaml'))
DEFAULT_POLICY_FILES = dict(_defaults.DEFAULT_POLICY_FILES,
                            database=os.path.join(_CONF, 'default_policies', 'database.yaml'))
POLICY_CHECK_FUNCTION = 'trove_dashboard.policy.check'

# Benchmarks count the dashboard's calls to the API in Horizon's log: keystoneauth logs
# one "REQ:" line per HTTP request at DEBUG.
if _env('DBAAS_HORIZON_LOG_API_CALLS') == '1':
    LOGGING['loggers'] = {'keystoneauth.session': {'handlers': ['console'], 'level': 'DEBUG',
                                                   'propagate': False}}
