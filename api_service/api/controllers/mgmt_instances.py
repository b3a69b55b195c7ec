"""/mgmt/instances: every project's instances for operators (Trove's mgmt extension)."""
from api_service.api import schemas
from api_service.api import views
from api_service.api.controllers import paging
from api_service.api.wsgi import Resource, paginated_links, route
from api_service.common import policy
from api_service.domain import mgmt_instances

MI = '/mgmt/instances/{instance_id}'
DELETED = {'deleted': {'type': 'boolean'}}
LIST_QUERY = dict(paging.QUERY, **DELETED, include_clustered={'type': 'boolean'},
                  project_id=schemas.identifier(64, min_length=0),
                  status=schemas.identifier(32, min_length=0))


class MgmtInstances(Resource):

    @route('GET', '/mgmt/instances', summary="List every project's instances (admin)",
           response_key='instances', query=LIST_QUERY)
    def index(self, req):
        policy.enforce(req.ctx, 'mgmt:instance:index')
        limit, marker = paging.params(req)
        # No clusters exist here, so include_clustered changes nothing.
        rows, next_marker = mgmt_instances.list_page(
            limit, marker, project_id=req.query.get('project_id'),
            status_filter=req.query.get('status'), deleted=req.query.get('deleted', False))
        return {'instances': [views.mgmt_instance_summary(
                    req, r, mgmt_instances.task_description(r)) for r in rows],
                'links': paginated_links(req, 'mgmt/instances', next_marker)}

    @route('GET', MI, summary='Show any instance, a deleted one with ?deleted=true (admin)',
           response_key='instance', query=DELETED)
    def show(self, req, instance_id):
        policy.enforce(req.ctx, 'mgmt:instance:show')
        view = mgmt_instances.get(instance_id, req.query.get('deleted', False))
        return {'instance': views.mgmt_instance_detail(
            req, view, mgmt_instances.task_description(view.instance))}

    @route('POST', MI + '/action', schema=schemas.mgmt_instance_action,
           summary='Stop, reboot or reset an instance (admin)', status=202)
    def action(self, req, instance_id):
        policy.enforce(req.ctx, 'mgmt:instance:action')
        name = next(iter(req.body_json))
        if name == 'stop':
            mgmt_instances.stop(req.ctx, instance_id)
        elif name == 'reboot':
            mgmt_instances.reboot(req.ctx, instance_id)
        else:       # reset-task-status (Trove's mgmt name) and reset_status are one reset
            mgmt_instances.reset_status(req.ctx, instance_id)
        return None

    @route('GET', MI + '/events', summary="Any instance's operation steps, a deleted one's "
           'too (admin, extension)', response_key='events')
    def events(self, req, instance_id):
        policy.enforce(req.ctx, 'mgmt:instance:show')
        return {'events': [views.event(e, backup)
                           for e, backup in mgmt_instances.events(instance_id)]}

    @route('GET', MI + '/root', summary='When root was last enabled, and by whom (admin)',
           response_key='root_history')
    def root(self, req, instance_id):
        policy.enforce(req.ctx, 'mgmt:instance:root')
        return {'root_history': views.root_history(*mgmt_instances.root_history(instance_id))}

    @route('GET', MI + '/rpc_ping', summary="Check that the instance's guest answers (admin)",
           status=204)
    def rpc_ping(self, req, instance_id):
        policy.enforce(req.ctx, 'mgmt:instance:rpc_ping')
        mgmt_instances.rpc_ping(req.ctx, instance_id)
        return None

    @route('GET', MI + '/hwinfo', summary="The instance's memory and CPUs (admin)",
           response_key='hwinfo')
    def hwinfo(self, req, instance_id):
        policy.enforce(req.ctx, 'mgmt:instance:hwinfo')
        return {'hwinfo': mgmt_instances.hwinfo(instance_id)}

    @route('GET', MI + '/diagnostics', summary="The instance's current figures (admin)",
           response_key='diagnostics')
    def diagnostics(self, req, instance_id):
        policy.enforce(req.ctx, 'mgmt:instance:diagnostics')
        return {'diagnostics': views.diagnostics(mgmt_instances.diagnostics(req.ctx,
                                                                            instance_id))}
