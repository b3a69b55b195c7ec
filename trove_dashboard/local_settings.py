"""Horizon settings for running with this plugin; Horizon's local_settings.py imports this.

Everything that differs per deployment comes from the environment, which the
embedded launcher sets (docs/operations.md lists the variables).
"""
import os

_env = os.environ.get

DEBUG = _env('DBAAS_HORIZON_DEBUG', '') == '1'
SECRET_KEY = _env('DBAAS_HORIZON_SECRET_KEY') or 'unset-only-for-collectstatic'
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
# served by WhiteNoise from the same process.
STATIC_ROOT = _env('DBAAS_STATIC_ROOT') or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), '.static')
COMPRESS_ENABLED = True
COMPRESS_OFFLINE = True

TIME_ZONE = 'UTC'
LOGGING = {
    'version': 1,
    'disable_existing_loggers': False,
    'handlers': {'console': {'class': 'logging.StreamHandler'}},
    'root': {'handlers': ['console'], 'level': 'WARNING'},
}
