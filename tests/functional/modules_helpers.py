"""Helpers of the modules tests (issue #11): module bodies as python-troveclient sends them,
refusals in Trove's envelope, another project's client, the guest's module files."""
import base64
import contextlib
import hashlib
import os
import time
import uuid

from tests.functional.instance_helpers import project_member, raw


def b64(data):
    return base64.b64encode(data).decode('ascii')


def md5(data):
    return hashlib.md5(data).hexdigest()


def unique(prefix):
    return '%s-%s' % (prefix, uuid.uuid4().hex[:8])


def module_body(name, module_type, contents, datastore=None, version=None, **fields):
    """`{"module": ...}` as the client's Modules.create builds it (booleans as 0/1)."""
    body = {'name': name, 'module_type': module_type, 'contents': b64(contents)}
    if datastore or version:
        body['datastore'] = {k: v for k, v in (('type', datastore), ('version', version)) if v}
    for key, value in fields.items():
        body[key] = int(value) if isinstance(value, bool) else value
    return {'module': body}


def create_module(client, name, module_type, contents, datastore=None, version=None, **fields):
    """POST /modules; the module view (asserting Trove's 200)."""
    resp = raw(client, 'POST', '/modules',
               json=module_body(name, module_type, contents, datastore, version, **fields))
    assert resp.status_code == 200, resp.text
    return resp.json()['module']


def update_module(client, module_id, **fields):
    resp = raw(client, 'PUT', '/modules/%s' % module_id, json={'module': fields})
    return resp


def delete_module(client, module_id):
    """Best effort, for cleanups (the caller removes it from instances first)."""
    raw(client, 'DELETE', '/modules/%s' % module_id)


def refusal(resp, code):
    """The message of a refusal, checked to be Trove's envelope with that code."""
    assert resp.status_code == code, (resp.status_code, resp.text)
    body = resp.json()
    assert len(body) == 1, body
    (fault,) = body.values()
    assert fault['code'] == code, body
    return fault['message']


def apply(client, instance_id, *module_ids):
    """POST /instances/{id}/modules: the guest results (asserting Trove's 200)."""
    resp = raw(client, 'POST', '/instances/%s/modules' % instance_id,
               json={'modules': [{'id': m} for m in module_ids]})
    assert resp.status_code == 200, resp.text
    return resp.json()['modules']


def listed(client, instance_id, query=''):
    resp = raw(client, 'GET', '/instances/%s/modules%s' % (instance_id, query))
    assert resp.status_code == 200, resp.text
    return resp.json()['modules']


def from_guest(client, instance_id, include_contents=False):
    query = '?from_guest=True' + ('&include_contents=True' if include_contents else '')
    return {m['id']: m for m in listed(client, instance_id, query)}


def remove(client, instance_id, module_id):
    return raw(client, 'DELETE', '/instances/%s/modules/%s' % (instance_id, module_id))


def wait_for(condition, what, timeout=60):
    """Poll `condition` until it returns something true; that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, 'timed out waiting for %s' % what
        time.sleep(0.2)


def modules_dir(stack, instance_id):
    """Where the guest keeps an instance's modules: inside the instance's own directory."""
    return os.path.join(stack.instance_root, 'instances', instance_id, 'modules')


def placed_file(stack, instance_id, filename):
    """The file the `file` driver placed (where operator tooling or the engine reads it)."""
    return os.path.join(modules_dir(stack, instance_id), 'files', filename)


def journal(stack, instance_id):
    """Module names the `journal` test driver wrote, in the order it ran them."""
    path = os.path.join(modules_dir(stack, instance_id), 'journal.log')
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return handle.read().splitlines()


@contextlib.contextmanager
def other_project(stack, prefix='mod-t2'):
    """(client, project id) of a member of a new project, neither admin's nor demo's."""
    with project_member(stack, prefix) as member:
        yield member.client, member.project_id
