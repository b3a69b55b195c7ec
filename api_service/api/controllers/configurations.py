"""Configuration groups (Trove's /configurations) and the instances they are attached to."""
from api_service.api import schemas
from api_service.api import views
from api_service.api.controllers import paging
from api_service.api.wsgi import Resource, paginated_links, route
from api_service.common import policy
from api_service.domain import configuration_apply
from api_service.domain import configurations

ONE = '/configurations/{configuration_id}'


def _target(view):
    project = view.configuration.project_id
    return {'tenant': project, 'project_id': project}


class Configurations(Resource):

    @route('POST', '/configurations', schema=schemas.configuration_create,
           summary='Create a configuration group', response_key='configuration')
    def create(self, req):
        policy.enforce(req.ctx, 'configuration:create')
        view = configurations.create(req.ctx, req.body_json['configuration'])
        return {'configuration': views.configuration_detail(view)}

    @route('GET', '/configurations', summary='List configuration groups',
           response_key='configurations', query=paging.QUERY)
    def index(self, req):
        policy.enforce(req.ctx, 'configuration:index')
        limit, marker = paging.params(req)
        rows, next_marker = configurations.list_page(req.ctx, limit, marker)
        return {'configurations': [views.configuration(r) for r in rows],
                'links': paginated_links(req, 'configurations', next_marker)}

    @route('GET', ONE, summary='Show a configuration group with its values',
           response_key='configuration')
    def show(self, req, configuration_id):
        view = configurations.get(req.ctx, configuration_id)
        policy.enforce(req.ctx, 'configuration:show', _target(view))
        return {'configuration': views.configuration_detail(view)}

    @route('PUT', ONE, schema=schemas.configuration_update, status=202,
           summary="Replace a group's values (and name, description); applied to its "
                   'instances before the answer')
    def update(self, req, configuration_id):
        view = configurations.get(req.ctx, configuration_id)
        policy.enforce(req.ctx, 'configuration:update', _target(view))
        configuration_apply.change(req.ctx, configuration_id, req.body_json['configuration'],
                                   replace=True)
        return None

    @route('PATCH', ONE, schema=schemas.configuration_edit,
           summary="Merge values into a group's; applied to its instances before the answer")
    def edit(self, req, configuration_id):
        view = configurations.get(req.ctx, configuration_id)
        policy.enforce(req.ctx, 'configuration:edit', _target(view))
        configuration_apply.change(req.ctx, configuration_id, req.body_json['configuration'],
                                   replace=False)
        return None

    @route('DELETE', ONE, status=202,
           summary='Delete a configuration group (409 while instances have it attached)')
    def delete(self, req, configuration_id):
        view = configurations.get(req.ctx, configuration_id)
        policy.enforce(req.ctx, 'configuration:delete', _target(view))
        configurations.delete(req.ctx, configuration_id)
        return None

    @route('GET', ONE + '/instances', summary='List the instances a group is attached to',
           response_key='instances', query=paging.QUERY)
    def instances(self, req, configuration_id):
        view = configurations.get(req.ctx, configuration_id)
        policy.enforce(req.ctx, 'configuration:instances', _target(view))
        limit, marker = paging.params(req)
        rows, next_marker = configurations.instances_page(req.ctx, configuration_id, limit,
                                                          marker)
        return {'instances': [views.configuration_instance(r) for r in rows],
                'links': paginated_links(req, 'instances', next_marker)}
