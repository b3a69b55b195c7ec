"""A short-lived in-process cache of validated tokens, in front of keystonemiddleware.

keystonemiddleware already caches validations (token_cache_time), but re-decoding
its cached token data costs more than a catalogue request. This keeps the identity
headers it produced, keyed by a hash of the token, for at most `ttl` seconds and
never past the token's expiry, so revocation is seen as soon as with its own cache.
"""
import collections
import datetime
import hashlib
import threading
import time

IDENTITY_HEADERS = ('HTTP_X_IDENTITY_STATUS', 'HTTP_X_PROJECT_ID', 'HTTP_X_PROJECT_NAME',
                    'HTTP_X_PROJECT_DOMAIN_ID', 'HTTP_X_PROJECT_DOMAIN_NAME', 'HTTP_X_USER_ID',
                    'HTTP_X_USER_NAME', 'HTTP_X_USER_DOMAIN_ID', 'HTTP_X_USER_DOMAIN_NAME',
                    'HTTP_X_ROLES', 'HTTP_X_IS_ADMIN_PROJECT', 'HTTP_X_SYSTEM_SCOPE')


class TokenCache:
    """Wraps auth middleware `auth(app)`; only confirmed identities are cached."""

    def __init__(self, auth, app, ttl=60, size=4096):
        self.app = app
        self.authenticated = auth(self._remember)
        self.ttl = ttl
        self.size = size
        self.entries = collections.OrderedDict()
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        token = environ.get('HTTP_X_AUTH_TOKEN')
        if token:
            key = hashlib.sha256(token.encode('utf-8', 'replace')).hexdigest()
            with self.lock:
                entry = self.entries.get(key)
            if entry and entry[0] > time.monotonic():
                environ.update(entry[1])
                environ.pop('HTTP_X_AUTH_TOKEN', None)
                return self.app(environ, start_response)
            environ['dbaas.token_key'] = key
        return self.authenticated(environ, start_response)

    def _remember(self, environ, start_response):
        key = environ.pop('dbaas.token_key', None)
        if key and environ.get('HTTP_X_IDENTITY_STATUS') == 'Confirmed':
            expires = _seconds_left(environ.get('keystone.token_info'))
            if expires > 0:
                headers = {h: environ[h] for h in IDENTITY_HEADERS if h in environ}
                until = time.monotonic() + min(self.ttl, expires)
                with self.lock:
                    self.entries[key] = (until, headers)
                    while len(self.entries) > self.size:
                        self.entries.popitem(last=False)
        return self.app(environ, start_response)


def _seconds_left(token_info):
    try:
        expires = token_info['token']['expires_at']
        when = datetime.datetime.fromisoformat(expires.replace('Z', '+00:00'))
        return (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    except (TypeError, KeyError, ValueError):
        return 0
