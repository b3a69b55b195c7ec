"""Helpers for instance tests: a troveclient per user, waiting on stored status, leftovers."""
import collections
import contextlib
import os
import time
import uuid

import psutil
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from troveclient.v1 import client as trove_client


def trove(stack, user='demo'):
    auth = v3.Password(auth_url=stack.urls['keystone'] + '/v3', username=user,
                       password=stack.secrets['%s_password' % user], project_name=user,
                       user_domain_id='default', project_domain_id='default')
    return trove_client.Client(session=ks_session.Session(auth=auth))


def raw(client, method, path, **kwargs):
    """A request through the client's session (its token and endpoint), unwrapped."""
    return client.client.session.request(
        client.client.get_endpoint() + path, method, raise_exc=False, **kwargs)


def keystone_admin(stack):
    """(session, identity base URL) of the stack's admin, to make users and projects."""
    auth = v3.Password(auth_url=stack.urls['keystone'] + '/v3', username='admin',
                       password=stack.secrets['admin_password'], project_name='admin',
                       user_domain_id='default', project_domain_id='default')
    return ks_session.Session(auth=auth), stack.urls['keystone'] + '/v3'


ProjectMember = collections.namedtuple('ProjectMember', 'name password project_id client')


@contextlib.contextmanager
def project_member(stack, prefix):
    """The only member of a new project, neither admin's nor demo's (name, password, project
    id and a troveclient of theirs); the user and the project are removed afterwards."""
    keystone, base = keystone_admin(stack)
    name = '%s-%s' % (prefix, uuid.uuid4().hex[:8])
    password = uuid.uuid4().hex
    project = keystone.post(base + '/projects', json={'project': {
        'name': name, 'domain_id': 'default'}}).json()['project']
    user = keystone.post(base + '/users', json={'user': {
        'name': name, 'domain_id': 'default', 'password': password,
        'default_project_id': project['id']}}).json()['user']
    role = keystone.get(base + '/roles?name=member').json()['roles'][0]
    keystone.put(base + '/projects/%s/users/%s/roles/%s' % (project['id'], user['id'],
                                                             role['id']))
    client = trove_client.Client(session=ks_session.Session(auth=v3.Password(
        auth_url=base, username=name, password=password, project_id=project['id'],
        user_domain_id='default')))
    try:
        yield ProjectMember(name, password, project['id'], client)
    finally:
        keystone.delete(base + '/users/%s' % user['id'])
        keystone.delete(base + '/projects/%s' % project['id'])


def wait_status(client, instance_id, wanted, timeout=90):
    """Poll show until the stored status is one of `wanted`; fail on an unexpected ERROR."""
    wanted = {wanted} if isinstance(wanted, str) else set(wanted)
    deadline = time.monotonic() + timeout
    instance = None
    while time.monotonic() < deadline:
        instance = client.instances.get(instance_id)
        if instance.status in wanted:
            return instance
        if instance.status == 'ERROR' and 'ERROR' not in wanted:
            raise AssertionError('instance went to ERROR: %s' % getattr(instance, 'fault', None))
        time.sleep(0.2)
    raise AssertionError('instance %s stayed %s, wanted %s' % (
        instance_id, instance.status if instance else '?', wanted))


def wait_gone(client, instance_id, timeout=60, manager='instances'):
    """Until the client's `manager` (instances, backups) answers 404 for the id."""
    from troveclient import exceptions
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            getattr(client, manager).get(instance_id)
        except exceptions.NotFound:
            return
        time.sleep(0.2)
    raise AssertionError('%s %s was not deleted' % (manager[:-1], instance_id))


def processes_mentioning(text):
    found = []
    for proc in psutil.process_iter(['pid', 'cmdline', 'cwd']):
        info = proc.info
        if text in ' '.join(info.get('cmdline') or []) + ' ' + (info.get('cwd') or ''):
            found.append(proc.pid)
    return found


def leftovers(stack, instance_id):
    """Processes and directories of an instance that should be gone."""
    dirs = [p for p in (os.path.join(stack.instance_root, 'instances', instance_id),
                        os.path.join(stack.instance_root, 'volumes', 'standard', instance_id),
                        os.path.join(stack.instance_root, 'volumes', 'fast', instance_id))
            if os.path.exists(p)]
    return processes_mentioning(instance_id), dirs
