"""The validated-token cache in front of keystonemiddleware."""
import datetime

from api_service.api import token_cache


def token_info(seconds):
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return {'token': {'expires_at': when.isoformat().replace('+00:00', 'Z')}}


class FakeKeystone:
    """Counts validations; confirms tokens starting with 'good'."""

    def __init__(self, expires_in=3600):
        self.validations = 0
        self.expires_in = expires_in

    def __call__(self, app):
        def middleware(environ, start_response):
            self.validations += 1
            if environ.get('HTTP_X_AUTH_TOKEN', '').startswith('good'):
                environ.update({'HTTP_X_IDENTITY_STATUS': 'Confirmed', 'HTTP_X_PROJECT_ID': 'p1',
                                'HTTP_X_ROLES': 'member',
                                'keystone.token_info': token_info(self.expires_in)})
            else:
                environ['HTTP_X_IDENTITY_STATUS'] = 'Invalid'
            return app(environ, start_response)
        return middleware


def run(cache, token):
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        return []
    cache.app = app
    cache({'HTTP_X_AUTH_TOKEN': token}, None)
    return seen


def make(keystone, ttl=60):
    return token_cache.TokenCache(keystone, None, ttl=ttl)


def test_confirmed_token_validated_once():
    keystone = FakeKeystone()
    cache = make(keystone)
    first = run(cache, 'good-1')
    second = run(cache, 'good-1')
    assert keystone.validations == 1
    assert second['HTTP_X_PROJECT_ID'] == first['HTTP_X_PROJECT_ID'] == 'p1'
    assert 'HTTP_X_AUTH_TOKEN' not in second


def test_invalid_tokens_are_never_cached():
    keystone = FakeKeystone()
    cache = make(keystone)
    run(cache, 'bad')
    assert run(cache, 'bad')['HTTP_X_IDENTITY_STATUS'] == 'Invalid'
    assert keystone.validations == 2


def test_entries_expire_after_ttl_or_token_expiry():
    keystone = FakeKeystone(expires_in=-1)  # already expired: not kept at all
    cache = make(keystone)
    run(cache, 'good-2')
    run(cache, 'good-2')
    assert keystone.validations == 2
    keystone = FakeKeystone()
    cache = make(keystone, ttl=0)
    run(cache, 'good-3')
    run(cache, 'good-3')
    assert keystone.validations == 2
