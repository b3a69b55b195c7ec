"""/mgmt/datastore-versions and /mgmt/datastores/…: operators register datastore versions,
set their visibility and members, and choose the flavors and volume types each allows.
Admins only (policies.DATASTORE_ADMIN_RULES)."""
from api_service.api import schemas
from api_service.api import views
from api_service.api.wsgi import Resource, route
from api_service.common import policy
from api_service.domain import catalogue_admin
from api_service.domain import datastore_admin
from api_service.domain import datastore_members

VERSIONS = '/mgmt/datastore-versions'
VERSION = '/mgmt/datastores/{datastore}/versions/{version}'


class MgmtDatastoreVersions(Resource):
    """The registration API (liberty datastore-registration-api), as python-troveclient's
    mgmt_ds_versions calls it."""

    @route('POST', VERSIONS, schema=schemas.datastore_version_create, status=202,
           summary='Register a datastore version (admin; creates its datastore)')
    def create(self, req):
        policy.enforce(req.ctx, 'datastore_version:create')
        datastore_admin.register(req.body_json['version'])
        return None     # troveclient reads body[None] from any non-empty answer

    @route('GET', VERSIONS, summary='List every datastore version (admin)',
           response_key='versions')
    def index(self, req):
        policy.enforce(req.ctx, 'datastore_version:index')
        return {'versions': [views.mgmt_datastore_version(r)
                             for r in datastore_admin.list_versions()], 'links': []}

    @route('GET', VERSIONS + '/{version_id}', summary='Show a datastore version (admin)',
           response_key='version')
    def show(self, req, version_id):
        policy.enforce(req.ctx, 'datastore_version:show')
        return {'version': views.mgmt_datastore_version(datastore_admin.show_version(version_id))}

    @route('PATCH', VERSIONS + '/{version_id}', schema=schemas.datastore_version_update,
           status=202, summary='Change a datastore version (admin; unwrapped body)')
    def update(self, req, version_id):
        policy.enforce(req.ctx, 'datastore_version:update')
        datastore_admin.update_version(version_id, req.body_json)
        return None

    @route('DELETE', VERSIONS + '/{version_id}', status=202,
           summary='Delete a datastore version nothing uses (admin)')
    def delete(self, req, version_id):
        policy.enforce(req.ctx, 'datastore_version:delete')
        datastore_admin.delete_version(version_id)
        return None

    @route('DELETE', '/datastores/{datastore}', status=202,
           summary='Delete a datastore and its versions, none in use (admin)')
    def delete_datastore(self, req, datastore):
        policy.enforce(req.ctx, 'datastore:delete')
        datastore_admin.delete_datastore(datastore)
        return None

    # Extension: the guest managers a version may be registered with, so the dashboard's
    # register form offers these instead of a list of its own.
    @route('GET', '/mgmt/datastore-managers', response_key='managers',
           summary='List the guest managers versions may use (admin)')
    def managers(self, req):
        policy.enforce(req.ctx, 'datastore_version:create')
        return {'managers': [views.datastore_manager(*m) for m in catalogue_admin.managers()]}

    # The visibility spec's POST and python-troveclient's DatastoreVersions.update (PUT).
    @route('PUT', VERSION, schema=schemas.datastore_version_visibility,
           summary="Set a datastore version's visibility (admin)", response_key='version')
    def set_visibility(self, req, datastore, version):
        return self._set_visibility(req, datastore, version)

    @route('POST', VERSION, schema=schemas.datastore_version_visibility,
           summary="Set a datastore version's visibility (admin; the spec's form)",
           response_key='version')
    def set_visibility_post(self, req, datastore, version):
        return self._set_visibility(req, datastore, version)

    def _set_visibility(self, req, datastore, version):
        policy.enforce(req.ctx, 'datastore_version:update_visibility')
        found = datastore_admin.set_visibility(
            datastore, version, req.body_json['datastore_version']['visibility'])
        return {'version': views.mgmt_datastore_version(found)}


class MgmtDatastoreVersionMembers(Resource):
    """The projects a private version admits (kilo datastore-visibility)."""

    @route('POST', VERSION + '/members', schema=schemas.datastore_version_member,
           summary='Admit a project to a private datastore version (admin)',
           response_key='datastore_version_member')
    def add(self, req, datastore, version):
        policy.enforce(req.ctx, 'datastore_version_member:create')
        member = datastore_members.add(datastore, version, req.body_json['member'])
        return {'datastore_version_member': views.datastore_version_member(member)}

    @route('GET', VERSION + '/members', summary="List a datastore version's members (admin)",
           response_key='datastore_version_members')
    def index(self, req, datastore, version):
        policy.enforce(req.ctx, 'datastore_version_member:index')
        return {'datastore_version_members': [
            views.datastore_version_member(m)
            for m in datastore_members.list_members(datastore, version)]}

    @route('GET', VERSION + '/members/{member_id}', summary='Show a member (admin)',
           response_key='datastore_version_member')
    def show(self, req, datastore, version, member_id):
        policy.enforce(req.ctx, 'datastore_version_member:show')
        return {'datastore_version_member': views.datastore_version_member(
            datastore_members.get(datastore, version, member_id))}

    @route('DELETE', VERSION + '/members/{member_id}', status=204,
           summary='Remove a member (admin)')
    def delete(self, req, datastore, version, member_id):
        policy.enforce(req.ctx, 'datastore_version_member:delete')
        datastore_members.delete(datastore, version, member_id)
        return None

    @route('GET', '/mgmt/datastores/{datastore}/versions/members/{member_project}',
           summary="A project's memberships in a datastore's versions (admin)",
           response_key='datastore_version_members')
    def by_tenant(self, req, datastore, member_project):
        policy.enforce(req.ctx, 'datastore_version_member:index_by_tenant')
        return {'datastore_version_members': [
            views.datastore_version_member(m)
            for m in datastore_members.by_tenant(datastore, member_project)]}


class MgmtDatastoreVersionAssociations(Resource):
    """The flavors and volume types a version allows, one at a time (extension; upstream
    has only trove-manage's datastore_version_flavor_add/_delete). A version with none
    allows them all."""

    @route('PUT', VERSION + '/flavors/{flavor_id}', status=204, schema=schemas.no_body,
           summary='Allow a flavor for a datastore version (admin)')
    def add_flavor(self, req, datastore, version, flavor_id):
        policy.enforce(req.ctx, 'datastore_version:add_flavor')
        catalogue_admin.add_flavor(datastore, version, flavor_id)
        return None

    @route('DELETE', VERSION + '/flavors/{flavor_id}', status=204,
           summary='Stop allowing a flavor for a datastore version (admin)')
    def remove_flavor(self, req, datastore, version, flavor_id):
        policy.enforce(req.ctx, 'datastore_version:remove_flavor')
        catalogue_admin.remove_flavor(datastore, version, flavor_id)
        return None

    @route('PUT', VERSION + '/volume-types/{volume_type}', status=204, schema=schemas.no_body,
           summary='Allow a volume type for a datastore version (admin)')
    def add_volume_type(self, req, datastore, version, volume_type):
        policy.enforce(req.ctx, 'datastore_version:add_volume_type')
        catalogue_admin.add_volume_type(datastore, version, volume_type)
        return None

    @route('DELETE', VERSION + '/volume-types/{volume_type}', status=204,
           summary='Stop allowing a volume type for a datastore version (admin)')
    def remove_volume_type(self, req, datastore, version, volume_type):
        policy.enforce(req.ctx, 'datastore_version:remove_volume_type')
        catalogue_admin.remove_volume_type(datastore, version, volume_type)
        return None
