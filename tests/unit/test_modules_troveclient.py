"""python-troveclient's module calls against the WSGI app in-process: what `trove module-*`
sends (module_type on create, type on update, 0/1 flags, base64 contents) and reads back.

The CLI against a running stack is tests/functional/test_modules*.py's.
"""
import hashlib

import pytest
import requests
import webob
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from requests.structures import CaseInsensitiveDict
from troveclient import exceptions as trove_exceptions
from troveclient.v1 import client as trove_client

from api_service.api import app as api_app
from tests.unit.conftest import PROJECT, fake_auth
from tests.unit.test_modules_api import reapplied  # noqa: F401  (a fixture)


class WsgiAdapter(requests.adapters.BaseAdapter):
    """A requests transport that hands each request to a WSGI app."""

    def __init__(self, app):
        super().__init__()
        self.app = app

    def send(self, request, **kwargs):
        body = request.body.encode() if isinstance(request.body, str) else request.body
        req = webob.Request.blank(request.url, method=request.method, body=body or b'')
        for key, value in request.headers.items():
            if key.lower() != 'content-length':
                req.headers[key] = value
        answer = req.get_response(self.app)
        resp = requests.Response()
        resp.status_code, resp._content = answer.status_code, answer.body
        resp.headers = CaseInsensitiveDict(answer.headerlist)
        resp.url, resp.request, resp.reason = request.url, request, answer.status
        return resp

    def close(self):
        pass


def trove(roles='member'):
    http = requests.Session()
    http.mount('http://', WsgiAdapter(api_app.build_app(auth_middleware=fake_auth)))
    auth = token_endpoint.Token('http://dbaas.test/v1.0/%s' % PROJECT,
                                '%s:%s' % (PROJECT, roles))
    return trove_client.Client(session=ks_session.Session(auth=auth, session=http))


@pytest.fixture
def members(conf, catalogue):
    return trove()


def test_the_module_calls_of_python_troveclient(members, reapplied):  # noqa: F811
    module = members.modules.create('lic', 'ping', b'hello', description='d',
                                    datastore='mariadb', datastore_version='10.11',
                                    live_update=True, apply_order=2)
    assert module.md5 == hashlib.md5(b'hello').hexdigest()
    assert (module.datastore, module.datastore_version, module.apply_order) == (
        'mariadb', '10.11', 2)
    assert not hasattr(module, 'contents')
    assert [m.id for m in members.modules.list(datastore='mariadb')] == [module.id]
    assert members.modules.list(datastore='postgresql') == []
    shown = members.modules.get(module.id)
    assert (shown.name, shown.instance_count) == ('lic', 0)
    changed = members.modules.update(module.id, module_type='file', contents=b'bye',
                                     all_datastore_versions=True)
    assert (changed.type, changed.datastore_version) == ('file', 'all')
    assert changed.md5 == hashlib.md5(b'bye').hexdigest()
    assert list(members.modules.instances(module.id)) == []
    assert list(members.modules.instances(module.id, count_only=True)) == []
    members.modules.reapply(module.id, md5=changed.md5, batch_size=2, delay=1, force=True)
    assert reapplied[0][2]['force'] is True and reapplied[0][2]['batch_size'] == 2
    members.modules.delete(module.id)
    with pytest.raises(trove_exceptions.NotFound):
        members.modules.get(module.id)


def test_python_troveclient_reads_the_refusals(members):
    with pytest.raises(trove_exceptions.Forbidden) as refused:
        members.modules.create('auto', 'ping', b'x', datastore='mariadb', auto_apply=True)
    assert 'auto_apply' in str(refused.value)
    with pytest.raises(trove_exceptions.BadRequest) as refused:
        members.modules.create('odd', 'nope', b'x', datastore='mariadb')
    assert 'use one of ping, file' in str(refused.value)
    admin = trove('admin').modules.create('everywhere', 'ping', b'x', all_tenants=True,
                                          visible=False, priority_apply=True)
    assert (admin.tenant, admin.datastore, admin.is_admin) == ('all', 'all', True)
