"""Policy overrides, the OpenAPI document, migrations and small helpers."""
import os
import subprocess
import sys

import pytest

from api_service.common import policy
from api_service.db import migration
from api_service.drivers.compute import local
from tests.unit.conftest import PROJECT


def test_policy_file_overrides_a_default(client, catalogue, conf, tmp_path):
    assert client.get('/flavors').status_code == 200
    (tmp_path / 'policy.yaml').write_text('"flavor:index": "rule:admin"\n')
    policy.reset()
    resp = client.get('/flavors')
    assert resp.status_code == 403
    assert 'flavor:index' in resp.json_body_or_none['forbidden']['message']
    assert client.get('/flavors', roles='admin').status_code == 200


def test_sample_policy_generation_lists_trove_rule_names():
    generator = os.path.join(os.path.dirname(sys.executable), 'oslopolicy-sample-generator')
    out = subprocess.run([generator, '--namespace', 'dbaas'],
                         capture_output=True, text=True, check=True).stdout
    for rule in ('"datastore:index"', '"flavor:show"', '"limits:index"', '"quota:update"',
                 '"admin_or_owner"'):
        assert rule in out


def test_openapi_document_covers_every_route_with_its_schema(client):
    doc = client.get('/openapi.json', token=False).json_body_or_none
    paths = doc['paths']
    assert '/v1.0/{project_id}/datastores' in paths
    put = paths['/v1.0/{project_id}/mgmt/quotas/{project_id_of_quota}']['put']
    assert put['requestBody']['content']['application/json']['schema']['required'] == ['quotas']
    assert paths['/']['get']['responses']['200']
    from api_service.api import app
    from api_service.api.controllers import registry
    documented = {(p, m.upper()) for p, ops in paths.items() for m in ops}
    routes = {(r.template, r.method) for r in registry.all_routes(app.PROJECT_PREFIX)}
    assert documented == routes


def test_every_body_taking_route_has_a_schema():
    from api_service.api import app
    from api_service.api.controllers import registry
    for route in registry.all_routes(app.PROJECT_PREFIX):
        if route.method in ('POST', 'PUT', 'PATCH'):
            assert route.schema is not None, route.template


def test_db_sync_is_idempotent_and_at_head(conf):
    migration.sync()
    migration.sync()
    assert migration.current_revision() == migration.head_revision()


def test_parse_hosts():
    hosts = local.parse_hosts(['a:nova:2048:2', 'b:east:1024:1'])
    assert hosts[1] == local.Host('b', 'east', 1024, 1)
    with pytest.raises(ValueError, match='name:availability_zone'):
        local.parse_hosts(['broken'])


def test_project_ids_in_url_must_look_like_ids(client, catalogue):
    resp = client.get('/datastores', url_project='x' * 80, project='x' * 80)
    assert resp.status_code == 403
    assert PROJECT not in resp.json_body_or_none['forbidden']['message']
