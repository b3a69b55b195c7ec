"""An instance's modules: list (recorded, or as its guest reports them), apply, remove."""
from api_service.api.schemas import _object, uuid_like
from api_service.api.wsgi import Resource, route
from api_service.common import policy
from api_service.domain import instance_modules
from api_service.domain import instances

MODULES = '/instances/{instance_id}/modules'

# POST body: what python-troveclient's module_apply sends.
modules_apply = _object({'modules': {
    'type': 'array', 'minItems': 1, 'maxItems': 50,
    'items': _object({'id': uuid_like}, ['id'])}}, ['modules'])

# troveclient sends from_guest=True / include_contents=True.
LIST_QUERY = {'from_guest': {'type': 'boolean'}, 'include_contents': {'type': 'boolean'}}


def _instance(req, instance_id, rule):
    """The instance (404 for other projects'), once the caller may do `rule` on it."""
    view = instances.get(req.ctx, instance_id)
    policy.enforce(req.ctx, rule, {'tenant': view.instance.project_id,
                                   'project_id': view.instance.project_id})
    return view


def _isotime(value):
    return value.strftime('%Y-%m-%dT%H:%M:%S') if value else None


def recorded_module(row):
    """A module the instance has, as recorded: md5, created and updated are the apply's."""
    return {'id': row.id, 'name': row.name, 'type': row.type,
            'description': row.description, 'tenant': row.project_id or 'all',
            'tenant_id': row.project_id,
            'datastore': row.datastore_name or 'all', 'datastore_id': row.datastore_id,
            'datastore_version': row.version_name or 'all',
            'datastore_version_id': row.datastore_version_id,
            'md5': row.md5, 'current': row.md5 == row.module_md5,
            'auto_apply': row.auto_apply, 'visible': row.visible,
            'live_update': row.live_update, 'priority_apply': row.priority_apply,
            'apply_order': row.apply_order, 'is_admin': row.is_admin,
            'created': _isotime(row.created), 'updated': _isotime(row.updated)}


class InstanceModules(Resource):

    @route('GET', MODULES, summary="List an instance's modules: as recorded, or as its guest "
           'reports them (from_guest, include_contents)', response_key='modules',
           query=LIST_QUERY)
    def index(self, req, instance_id):
        view = _instance(req, instance_id, 'instance:module_list')
        if req.query.get('from_guest'):
            return {'modules': instance_modules.from_guest(
                req.ctx, view, include_contents=req.query.get('include_contents', False))}
        return {'modules': [recorded_module(row)
                            for row in instance_modules.recorded(req.ctx, view)]}

    @route('POST', MODULES, schema=modules_apply, summary='Apply modules to an instance',
           response_key='modules', status=200)
    def apply(self, req, instance_id):
        view = _instance(req, instance_id, 'instance:module_apply')
        ids = [ref['id'] for ref in req.body_json['modules']]
        return {'modules': instance_modules.apply(req.ctx, view, ids)}

    @route('DELETE', MODULES + '/{module_id}', summary='Remove a module from an instance',
           status=200)
    def remove(self, req, instance_id, module_id):
        view = _instance(req, instance_id, 'instance:module_remove')
        instance_modules.remove(req.ctx, view, module_id)
        return None
