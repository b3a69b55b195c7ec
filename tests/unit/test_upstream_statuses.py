"""Every route answers success with upstream Trove's status code, unless the docs say why not.

UPSTREAM was read from openstack/trove's API (master of 2026-08; the same codes as Trove 26):
the `wsgi.Result(..., N)` each controller method returns, for the method and path its router
(trove/common/api.py, trove/extensions/routes/mysql.py and mgmt.py) maps to it. A new route must
be added here, to UPSTREAM with Trove's code or to EXTENSIONS when Trove has no such route; a
success code that differs on purpose goes to DIFFERENT and to the table of differences in
docs/api-extensions.md.
"""
import os
import re

from api_service.api import app
from api_service.api.controllers import registry

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

I = '/instances/{instance_id}'
USER = I + '/users/{user}'
VERSION = '/datastores/{datastore}/versions/{version}'

UPSTREAM = {
    # trove/versions.py: VersionsController.index (wsgi.Result's default)
    ('GET', '/'): 200,
    # trove/instance/service.py
    ('GET', '/instances'): 200,                  # index
    ('GET', '/instances/detail'): 200,           # detail
    ('POST', '/instances'): 200,                 # create
    ('GET', I): 200,                             # show
    ('PUT', I): 202,                             # update
    ('PATCH', I): 202,                           # edit (calls update)
    ('DELETE', I): 202,                          # delete
    ('POST', I + '/action'): 202,                # _action_restart, _resize_*, reset_status, …
    ('GET', I + '/backups'): 200,                # backups
    # trove/extensions/common/service.py: DatabaseController
    ('GET', I + '/databases'): 200,
    ('POST', I + '/databases'): 202,
    ('DELETE', I + '/databases/{database}'): 202,
    # UserController
    ('GET', I + '/users'): 200,
    ('POST', I + '/users'): 202,
    ('PUT', I + '/users'): 202,                  # update_all (passwords)
    ('GET', USER): 200,
    ('PUT', USER): 202,
    ('DELETE', USER): 202,
    # UserAccessController
    ('GET', USER + '/databases'): 200,
    ('PUT', USER + '/databases'): 202,
    ('DELETE', USER + '/databases/{database}'): 202,
    # DefaultRootController (MySQL, MariaDB, PostgreSQL) and RedisRootController
    ('GET', I + '/root'): 200,
    ('POST', I + '/root'): 200,
    ('DELETE', I + '/root'): 204,
    # trove/backup/service.py: BackupController, BackupStrategyController
    ('GET', '/backups'): 200,
    ('POST', '/backups'): 202,
    ('GET', '/backups/{backup_id}'): 200,
    ('DELETE', '/backups/{backup_id}'): 202,
    ('GET', '/backup_strategies'): 200,
    ('POST', '/backup_strategies'): 202,
    ('DELETE', '/backup_strategies'): 202,
    # trove/datastore/service.py
    ('GET', '/datastores'): 200,
    ('GET', '/datastores/{datastore}'): 200,
    ('GET', '/datastores/{datastore}/versions'): 200,
    ('GET', VERSION): 200,
    ('GET', '/datastores/versions/{version_id}'): 200,
    ('GET', VERSION + '/flavors'): 200,
    ('GET', VERSION + '/volume-types'): 200,
    # trove/configuration/service.py: ParametersController index, show, *_by_version
    ('GET', VERSION + '/parameters'): 200,
    ('GET', VERSION + '/parameters/{name}'): 200,
    ('GET', '/datastores/versions/{version_id}/parameters'): 200,
    ('GET', '/datastores/versions/{version_id}/parameters/{name}'): 200,
    # ConfigurationsController (PATCH's edit returns None: webob's default 200)
    ('GET', '/configurations'): 200,
    ('POST', '/configurations'): 200,
    ('GET', '/configurations/{configuration_id}'): 200,
    ('PUT', '/configurations/{configuration_id}'): 202,
    ('PATCH', '/configurations/{configuration_id}'): 200,
    ('DELETE', '/configurations/{configuration_id}'): 202,
    ('GET', '/configurations/{configuration_id}/instances'): 200,
    # trove/instance/service.py: configuration
    ('GET', I + '/configuration'): 200,
    # trove/extensions/mgmt/configuration/service.py: ConfigurationsParameterController
    ('GET', '/mgmt/datastores/versions/{version_id}/parameters'): 200,
    ('POST', '/mgmt/datastores/versions/{version_id}/parameters'): 200,
    ('GET', '/mgmt/datastores/versions/{version_id}/parameters/{name}'): 200,
    ('PUT', '/mgmt/datastores/versions/{version_id}/parameters/{name}'): 200,
    ('DELETE', '/mgmt/datastores/versions/{version_id}/parameters/{name}'): 204,
    # trove/flavor/service.py
    ('GET', '/flavors'): 200,
    ('GET', '/flavors/{flavor_id}'): 200,
    # trove/volume_type/service.py (until Trove 26 dropped the routes)
    ('GET', '/volume-types'): 200,
    ('GET', '/volume-types/{volume_type_id}'): 200,
    # trove/limits/service.py; trove/extensions/mgmt/quota/service.py
    ('GET', '/limits'): 200,
    ('GET', '/mgmt/quotas/{project_id_of_quota}'): 200,
    ('PUT', '/mgmt/quotas/{project_id_of_quota}'): 200,
    # trove/extensions/mgmt/instances/service.py: MgmtInstanceController
    ('GET', '/mgmt/instances'): 200,
    ('GET', '/mgmt/instances/{instance_id}'): 200,
    ('POST', '/mgmt/instances/{instance_id}/action'): 202,
    ('GET', '/mgmt/instances/{instance_id}/root'): 200,
    ('GET', '/mgmt/instances/{instance_id}/rpc_ping'): 204,
    ('GET', '/mgmt/instances/{instance_id}/hwinfo'): 200,
    ('GET', '/mgmt/instances/{instance_id}/diagnostics'): 200,
}

# Ours only: upstream Trove has no such route (docs/api-extensions.md describes each).
EXTENSIONS = {
    ('GET', '/openapi.json'): 200,
    ('GET', '/availability-zones'): 200,
    ('GET', '/regions'): 200,
    ('GET', '/networks'): 200,
    ('GET', I + '/events'): 200,
    ('GET', I + '/metrics'): 200,
    ('GET', I + '/switchovers'): 200,
    ('GET', I + '/replication'): 200,
    ('GET', '/overview'): 200,
    ('POST', I + '/schedules'): 200,
    ('GET', I + '/schedules'): 200,
    ('GET', I + '/schedules/{schedule_id}'): 200,
    ('PATCH', I + '/schedules/{schedule_id}'): 200,
    ('DELETE', I + '/schedules/{schedule_id}'): 202,
    ('POST', I + '/schedules/{schedule_id}/run'): 202,
    ('GET', I + '/schedules/{schedule_id}/executions'): 200,
    ('DELETE', I + '/schedules/{schedule_id}/executions/{execution_id}'): 202,
}

# Operators' catalogue (issue #12). trove/extensions/mgmt/datastores/service.py:
# DatastoreVersionController; trove/datastore/service.py: DatastoreController.delete.
MV = '/mgmt/datastores/{datastore}/versions/{version}'
UPSTREAM.update({
    ('POST', '/mgmt/datastore-versions'): 202,
    ('GET', '/mgmt/datastore-versions'): 200,
    ('GET', '/mgmt/datastore-versions/{version_id}'): 200,
    ('PATCH', '/mgmt/datastore-versions/{version_id}'): 202,
    ('DELETE', '/mgmt/datastore-versions/{version_id}'): 202,
    ('DELETE', '/datastores/{datastore}'): 202,
})
EXTENSIONS.update({
    ('GET', '/mgmt/quotas'): 200,
    ('GET', '/mgmt/instances/{instance_id}/events'): 200,
    ('GET', '/mgmt/datastore-managers'): 200,
    ('GET', '/mgmt/volume-types'): 200,
    ('PUT', MV): 200,
    ('POST', MV): 200,
    ('POST', MV + '/members'): 200,
    ('GET', MV + '/members'): 200,
    ('GET', MV + '/members/{member_id}'): 200,
    ('DELETE', MV + '/members/{member_id}'): 204,
    ('GET', '/mgmt/datastores/{datastore}/versions/members/{member_project}'): 200,
    ('PUT', MV + '/flavors/{flavor_id}'): 204,
    ('DELETE', MV + '/flavors/{flavor_id}'): 204,
    ('PUT', MV + '/volume-types/{volume_type}'): 204,
    ('DELETE', MV + '/volume-types/{volume_type}'): 204,
    ('POST', '/mgmt/flavors'): 200,
    ('PATCH', '/mgmt/flavors/{flavor_id}'): 200,
    ('DELETE', '/mgmt/flavors/{flavor_id}'): 204,
    ('POST', '/mgmt/volume-types'): 200,
    ('PATCH', '/mgmt/volume-types/{volume_type}'): 200,
    ('DELETE', '/mgmt/volume-types/{volume_type}'): 204,
})

# Modules (issue #11). trove/module/service.py: ModuleController; trove/instance/service.py:
# module_list, module_apply, module_remove.
UPSTREAM.update({
    ('GET', '/modules'): 200,
    ('POST', '/modules'): 200,
    ('GET', '/modules/{module_id}'): 200,
    ('PUT', '/modules/{module_id}'): 200,
    ('DELETE', '/modules/{module_id}'): 200,
    ('GET', '/modules/{module_id}/instances'): 200,
    ('PUT', '/modules/{module_id}/instances'): 202,      # reapply
    ('GET', I + '/modules'): 200,
    ('POST', I + '/modules'): 200,
    ('DELETE', I + '/modules/{module_id}'): 200,
})

# Success codes that differ from UPSTREAM on purpose: (method, template) -> ours. Each needs
# a row in the table of differences in docs/api-extensions.md. None today.
DIFFERENT = {}


def _routes():
    prefix = app.PROJECT_PREFIX
    found = {}
    for route in registry.all_routes(prefix):
        template = route.template
        if template.startswith(prefix):
            template = template[len(prefix):] or '/'
        found[(route.method, template)] = route.status
    return found


def test_every_route_is_known_as_upstream_or_as_an_extension():
    served = set(_routes())
    assert not set(UPSTREAM) & set(EXTENSIONS)
    assert served - set(UPSTREAM) - set(EXTENSIONS) == set(), (
        'a new route: add its upstream status code (or mark it an extension) here')
    assert (set(UPSTREAM) | set(EXTENSIONS)) - served == set(), 'a route went away'


def test_every_route_answers_upstream_success_status():
    served = _routes()
    drift = {key: (UPSTREAM[key], served[key]) for key in UPSTREAM
             if served.get(key) != DIFFERENT.get(key, UPSTREAM[key])}
    assert drift == {}, 'route: (upstream, ours)'


def test_extensions_keep_their_documented_status():
    served = _routes()
    assert {key: served.get(key) for key in EXTENSIONS} == EXTENSIONS


def test_each_deliberate_difference_has_a_row_in_the_docs():
    with open(os.path.join(REPO, 'docs', 'api-extensions.md'), encoding='utf-8') as handle:
        rows = [line for line in handle if line.startswith('| `')]
    for (method, template), ours in DIFFERENT.items():
        path = re.sub(r'\{\w+\}', '{id}', template)
        assert any('`%s %s' % (method, path) in row and str(ours) in row for row in rows), (
            method, template)
