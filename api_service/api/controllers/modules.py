"""Modules (Trove's /modules): CRUD, the instances a module is on, reapply."""
from api_service.api import module_schemas
from api_service.api import schemas
from api_service.api import module_views
from api_service.api import views
from api_service.api.controllers import paging
from api_service.api.wsgi import Resource, paginated_links, route
from api_service.common import policy
from api_service.domain import modules

ONE = '/modules/{module_id}'
_BOOLEAN = {'type': 'boolean'}
LIST_QUERY = dict(paging.QUERY, datastore=schemas.identifier(255, min_length=0))
INSTANCES_QUERY = dict(paging.QUERY, include_clustered=_BOOLEAN, count_only=_BOOLEAN)


def _target(row):
    """A module's project; an all-tenant module is checked against the asker's own (as
    upstream does), which the default target is."""
    if row.project_id is None:
        return None
    return {'tenant': row.project_id, 'project_id': row.project_id}


def _reapply_options(body):
    """The reapply body with its 0/1 flags as booleans; what is absent is None."""
    return {'md5': body.get('md5'), 'include_clustered': bool(body.get('include_clustered')),
            'batch_size': body.get('batch_size'), 'batch_delay': body.get('batch_delay'),
            'force': bool(body.get('force'))}


class Modules(Resource):

    @route('POST', '/modules', schema=module_schemas.module_create,
           summary='Create a module (contents base64; sealed at rest, never shown)',
           response_key='module')
    def create(self, req):
        policy.enforce(req.ctx, 'module:create')
        row = modules.create(req.ctx, req.body_json['module'])
        return {'module': module_views.module(row)}

    @route('GET', '/modules', summary='List modules (?datastore= keeps that datastore\'s '
           'and the all-datastore ones)', response_key='modules', query=LIST_QUERY)
    def index(self, req):
        policy.enforce(req.ctx, 'module:index')
        limit, marker = paging.params(req)
        rows, next_marker = modules.list_page(req.ctx, limit, marker,
                                              req.query.get('datastore'))
        return {'modules': [module_views.module(r) for r in rows],
                'links': paginated_links(req, 'modules', next_marker)}

    @route('GET', ONE, summary='Show a module with its instance count', response_key='module')
    def show(self, req, module_id):
        row, count = modules.get(req.ctx, module_id)
        policy.enforce(req.ctx, 'module:show', _target(row))
        return {'module': module_views.module(row, count)}

    @route('PUT', ONE, schema=module_schemas.module_update, response_key='module',
           summary='Change a module ({"module": ...}), or reapply it ({"reapply": ...})')
    def update(self, req, module_id):
        if 'reapply' in req.body_json:
            return self._reapply(req, module_id)
        row = modules.find(req.ctx, module_id)
        policy.enforce(req.ctx, 'module:update', _target(row))
        row = modules.update(req.ctx, module_id, req.body_json['module'])
        return {'module': module_views.module(row)}

    @route('DELETE', ONE, summary='Delete a module (refused while applied without '
           'live_update)')
    def delete(self, req, module_id):
        row = modules.find(req.ctx, module_id)
        policy.enforce(req.ctx, 'module:delete', _target(row))
        modules.delete(req.ctx, module_id)
        return None

    @route('GET', ONE + '/instances', response_key='instances', query=INSTANCES_QUERY,
           summary='List the instances a module is applied to (count_only: a count per md5)')
    def instances(self, req, module_id):
        row = modules.find(req.ctx, module_id)
        policy.enforce(req.ctx, 'module:instances', _target(row))
        clustered = req.query.get('include_clustered', False)
        if req.query.get('count_only'):
            module, counts = modules.instance_counts(req.ctx, module_id, clustered)
            return {'instances': module_views.instance_counts(module, counts)}
        limit, marker = paging.params(req)
        rows, next_marker = modules.instances_page(req.ctx, module_id, limit, marker,
                                                   clustered)
        return {'instances': [views.instance_summary(req, r) for r in rows],
                'links': paginated_links(req, 'instances', next_marker)}

    @route('PUT', ONE + '/instances', schema=module_schemas.module_reapply, status=202,
           summary='Apply a module again to the instances that have it (task manager)')
    def reapply(self, req, module_id):
        return self._reapply(req, module_id)

    def _reapply(self, req, module_id):
        # Imported when used: the instance side (instance_modules) imports this domain's
        # modules, and tests stand in for it.
        from api_service.domain import instance_modules
        row = modules.find(req.ctx, module_id)
        policy.enforce(req.ctx, 'module:reapply', _target(row))
        instance_modules.reapply(req.ctx, row, _reapply_options(req.body_json['reapply']))
        return None, 202
