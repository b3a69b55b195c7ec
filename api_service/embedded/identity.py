"""Keystone content the stack needs: demo project and user, service user, catalog entry.

Every step is an idempotent "ensure", so it runs on every start at little cost.
"""
import dataclasses
import hashlib
import json

import requests

ADMIN_SCOPE = {'project': {'name': 'admin', 'domain': {'id': 'default'}}}


class Keystone:
    """Just enough of Keystone's v3 API, as the bootstrap admin."""

    def __init__(self, url, admin_password):
        self.url = url + '/v3'
        self.session = requests.Session()
        token = self.authenticate('admin', admin_password, 'admin')
        self.session.headers['X-Auth-Token'] = token

    def authenticate(self, user, password, project):
        body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
            'name': user, 'domain': {'id': 'default'}, 'password': password}}},
            'scope': {'project': {'name': project, 'domain': {'id': 'default'}}}}}
        resp = requests.post(self.url + '/auth/tokens', json=body, timeout=10)
        resp.raise_for_status()
        return resp.headers['X-Subject-Token']

    def _find(self, collection, **query):
        resp = self.session.get('%s/%s' % (self.url, collection), params=query, timeout=10)
        resp.raise_for_status()
        items = resp.json()[collection]
        return items[0] if items else None

    def _create(self, collection, key, body):
        resp = self.session.post('%s/%s' % (self.url, collection), json={key: body}, timeout=10)
        resp.raise_for_status()
        return resp.json()[key]

    def ensure_project(self, name):
        return (self._find('projects', name=name) or
                self._create('projects', 'project', {'name': name, 'domain_id': 'default'}))

    def ensure_role(self, name):
        return self._find('roles', name=name) or self._create('roles', 'role', {'name': name})

    def ensure_user(self, name, password, project):
        user = self._find('users', name=name)
        if user is None:
            return self._create('users', 'user', {'name': name, 'password': password,
                                                  'domain_id': 'default',
                                                  'default_project_id': project['id']})
        # The secrets file is the source of truth: keep Keystone in step with it.
        self.session.patch('%s/users/%s' % (self.url, user['id']),
                           json={'user': {'password': password}}, timeout=10).raise_for_status()
        return user

    def grant(self, user, project, role):
        self.session.put('%s/projects/%s/users/%s/roles/%s' % (
            self.url, project['id'], user['id'], role['id']), timeout=10).raise_for_status()

    def ensure_endpoints(self, service_type, name, url, region):
        service = self._find('services', type=service_type)
        if service is None:
            service = self._create('services', 'service', {'type': service_type, 'name': name})
        existing = {e['interface']: e for e in self.session.get(
            self.url + '/endpoints', params={'service_id': service['id']}, timeout=10
        ).json()['endpoints']}
        for interface in ('public', 'internal', 'admin'):
            endpoint = existing.get(interface)
            if endpoint is None:
                self._create('endpoints', 'endpoint', {
                    'service_id': service['id'], 'interface': interface, 'url': url,
                    'region_id': region})
            elif endpoint['url'] != url:
                self.session.patch('%s/endpoints/%s' % (self.url, endpoint['id']),
                                   json={'endpoint': {'url': url}}, timeout=10).raise_for_status()


def provision(layout, secrets):
    """Demo project/user (member), service user, and the `database` catalog entry.

    Skipped when the same secrets and ports were provisioned before.
    """
    fingerprint = hashlib.sha256(json.dumps([secrets, dataclasses.astuple(layout.ports)],
                                            sort_keys=True).encode()).hexdigest()
    marker = layout.path('keystone', '.provisioned')
    try:
        with open(marker) as handle:
            saved = json.load(handle)
        if saved['fingerprint'] == fingerprint:
            return saved['projects']
    except (OSError, ValueError, KeyError):
        pass
    projects = _provision(layout, secrets)
    with open(marker, 'w') as handle:
        json.dump({'fingerprint': fingerprint, 'projects': projects}, handle)
    return projects


def _provision(layout, secrets):
    ks = Keystone(layout.keystone_url, secrets['admin_password'])
    member = ks.ensure_role('member')
    service_role = ks.ensure_role('service')
    demo = ks.ensure_project('demo')
    ks.grant(ks.ensure_user('demo', secrets['demo_password'], demo), demo, member)
    service = ks.ensure_project('service')
    dbaas = ks.ensure_user('dbaas', secrets['service_password'], service)
    ks.grant(dbaas, service, service_role)
    ks.ensure_endpoints('database', 'dbaas', layout.api_url + '/v1.0/$(project_id)s',
                        'RegionOne')
    return {'demo_project_id': demo['id'],
            'admin_project_id': ks.ensure_project('admin')['id']}
