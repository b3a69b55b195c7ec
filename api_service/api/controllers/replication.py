"""A replica set as its members' owner reads it (#17, extensions): the switchover reports
of an instance's set, and every member's replication lag and health."""
from api_service.api import replication_views as views
from api_service.api.controllers import paging
from api_service.api.wsgi import Resource, paginated_links, route
from api_service.common import policy
from api_service.domain import instances
from api_service.domain import switchovers

INSTANCE = '/instances/{instance_id}'


def _target(view):
    return {'tenant': view.instance.project_id, 'project_id': view.instance.project_id}


class Replication(Resource):

    @route('GET', INSTANCE + '/switchovers', query=paging.QUERY, response_key='switchovers',
           summary="The promotes and ejects of an instance's replica set, newest first, "
                   'with their write downtime (extension)')
    def switchovers(self, req, instance_id):
        view = instances.get(req.ctx, instance_id)
        policy.enforce(req.ctx, 'instance:switchovers', _target(view))
        limit, marker = paging.params(req)
        rows, next_marker = switchovers.list_page(view.instance, limit, marker)
        return {'switchovers': [views.switchover(row) for row in rows],
                'links': paginated_links(req, 'switchovers', next_marker)}

    @route('GET', INSTANCE + '/replication', response_key='replication',
           summary="The instance's replica set: each member's role, lag and health, as its "
                   'guest says now; null for a standalone instance (extension)')
    def replication(self, req, instance_id):
        view = instances.get(req.ctx, instance_id)
        policy.enforce(req.ctx, 'instance:replication', _target(view))
        members = switchovers.members(view.instance)
        answers = switchovers.ask_members(req.ctx, members) if members else {}
        return {'replication': views.replication(members, answers)}
