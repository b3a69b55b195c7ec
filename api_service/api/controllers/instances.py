"""Instances: create, list, show, update, delete, actions, and their events (extension)."""
import logging

from api_service.api import schemas
from api_service.api import views
from api_service.api.controllers import paging
from api_service.api.wsgi import Resource, paginated_links, route
from api_service.common import exceptions
from api_service.common import policy
from api_service.common.config import CONF
from api_service.domain import configuration_apply
from api_service.domain import events
from api_service.domain import instances
from api_service.domain import replication
from api_service.rpc import clients

LOG = logging.getLogger(__name__)

INSTANCE = '/instances/{instance_id}'
LIST_QUERY = dict(paging.QUERY, include_clustered={'type': 'boolean'})


def _target(view):
    return {'tenant': view.instance.project_id, 'project_id': view.instance.project_id}


class Instances(Resource):

    @property
    def taskmanager(self):
        return clients.taskmanager_api()

    @route('POST', '/instances', schema=schemas.instance_create, summary='Create an instance',
           response_key='instance', status=200)
    def create(self, req):
        # A create with users, databases, modules or a group needs their rules too (POL-04).
        body = req.body_json['instance']
        policy.enforce_all(req.ctx, policy.instance_create_rules(body))
        if body.get('replica_of') is not None or body.get('replica_count') is not None:
            return self._create_replicas(req, body)
        view, build = instances.create(req.ctx, body)
        try:
            self.taskmanager.create_instance(req.ctx, instance_id=view.instance.id, **build)
        except exceptions.ServiceUnavailable:
            instances.undo_begin(view.instance.id, 'create')
            raise
        return {'instance': views.instance_detail(req, view)}

    def _create_replicas(self, req, body):
        """replica_count replicas of replica_of; the answer shows the first (as upstream,
        which answers one instance)."""
        view, source_id, replica_ids = replication.create(req.ctx, body)
        try:
            self.taskmanager.create_replicas(req.ctx, source_id, replica_ids)
        except exceptions.ServiceUnavailable:
            for replica_id in replica_ids:
                instances.undo_begin(replica_id, 'create')
            raise
        return {'instance': views.instance_detail(req, view)}

    @route('GET', '/instances', summary='List instances', response_key='instances',
           query=LIST_QUERY)
    def index(self, req):
        policy.enforce(req.ctx, 'instance:index')
        return self._page(req)

    @route('GET', '/instances/detail', summary='List instances with details',
           response_key='instances', query=LIST_QUERY)
    def detail(self, req):
        policy.enforce(req.ctx, 'instance:detail')
        return self._page(req)

    def _page(self, req):
        limit, marker = paging.params(req)
        rows, next_marker = instances.list_page(req.ctx, limit, marker)
        replicas = replication.replicas_by_source(r.id for r in rows)
        return {'instances': [views.instance_summary(req, r, replicas.get(r.id))
                              for r in rows],
                'links': paginated_links(req, 'instances', next_marker)}

    @route('GET', INSTANCE, summary='Show an instance', response_key='instance')
    def show(self, req, instance_id):
        view = instances.get(req.ctx, instance_id)
        policy.enforce(req.ctx, 'instance:show', _target(view))
        return {'instance': views.instance_detail(req, view)}

    @route('PUT', INSTANCE, schema=schemas.instance_update, summary='Update an instance: '
           'rename, access, configuration group, detach a replica (replica_of: null)',
           status=202)
    def update(self, req, instance_id):
        view = instances.get(req.ctx, instance_id)
        policy.enforce(req.ctx, 'instance:update', _target(view))
        return self._update(req, view, req.body_json['instance'])

    @route('PATCH', INSTANCE, schema=schemas.instance_update, summary='Update an instance '
           "(upstream's edit: the same fields as PUT)", status=202)
    def edit(self, req, instance_id):
        view = instances.get(req.ctx, instance_id)
        policy.enforce(req.ctx, 'instance:edit', _target(view))
        return self._update(req, view, req.body_json['instance'])

    def _update(self, req, view, body):
        instance_id = view.instance.id
        if 'replica_of' in body or 'slave_of' in body:
            if 'access' in body or 'configuration' in body:
                raise exceptions.BadRequest('Detach the replica in a request of its own, then '
                                            'change its access or configuration group.')
            self._detach(req, view, body.get('name'))
            return None
        if 'access' in body and 'configuration' in body:
            # Each is applied by the guest on its own; one refused after the other was
            # applied would leave half the request done.
            raise exceptions.BadRequest('Change access and the configuration group in '
                                        'separate requests.')
        # First what the engine applies (or refuses): a refusal changes nothing.
        if 'access' in body:
            instances.update_access(req.ctx, instance_id, body['access'])
        if body.get('configuration'):
            configuration_apply.attach(req.ctx, instance_id, body['configuration'])
        elif 'configuration' in body:
            configuration_apply.detach(req.ctx, instance_id)
        if 'name' in body:
            instances.rename(req.ctx, instance_id, body['name'])
        return None

    def _detach(self, req, view, name=None):
        policy.enforce(req.ctx, 'instance:detach_replica', _target(view))
        instance_id = view.instance.id
        replication.begin_detach(req.ctx, instance_id)
        self._cast_begun(instance_id, 'detach_replica', None, self.taskmanager.detach_replica,
                         req.ctx, instance_id)
        if name is not None:
            instances.rename(req.ctx, instance_id, name)

    @route('DELETE', INSTANCE, summary='Delete an instance (works in every state; a source '
           'with replicas is refused)', status=202)
    def delete(self, req, instance_id):
        view = instances.get(req.ctx, instance_id)
        policy.enforce(req.ctx, 'instance:delete', _target(view))
        instances.mark_deleting(req.ctx, instance_id)
        try:
            self.taskmanager.delete_instance(req.ctx, instance_id)
        except exceptions.ServiceUnavailable:
            # A delete recorded is a delete accepted: the row is DELETING, and the janitor
            # casts it again once its deadline passes.
            LOG.warning('instance %s: no task manager took the delete; the janitor retries '
                        'it after its deadline', instance_id)
        return None

    @route('POST', INSTANCE + '/action', schema=schemas.instance_action,
           summary='Restart, resize or reset an instance; promote, eject or detach a replica',
           status=202)
    def action(self, req, instance_id):
        view = instances.get(req.ctx, instance_id)
        body = req.body_json
        if 'promote_to_replica_source' in body:
            policy.enforce(req.ctx, 'instance:promote_to_replica_source', _target(view))
            replication.begin_promote(req.ctx, instance_id)
            self._cast_begun(instance_id, 'promote_to_replica_source', None,
                             self.taskmanager.promote_to_replica_source, req.ctx, instance_id)
        elif 'eject_replica_source' in body:
            policy.enforce(req.ctx, 'instance:eject_replica_source', _target(view))
            replication.begin_eject(req.ctx, instance_id)
            self._cast_begun(instance_id, 'eject_replica_source', None,
                             self.taskmanager.eject_replica_source, req.ctx, instance_id)
        elif 'detach_replica' in body:
            self._detach(req, view)
        elif 'restart' in body:
            policy.enforce(req.ctx, 'instance:restart', _target(view))
            instances.begin(req.ctx, instance_id, 'restart', CONF.instance.operation_deadline)
            self._cast_begun(instance_id, 'restart', None, self.taskmanager.restart,
                             req.ctx, instance_id)
        elif 'reset_status' in body:
            policy.enforce(req.ctx, 'instance:reset_status', _target(view))
            instances.reset_status(req.ctx, instance_id)
        elif 'volume' in body['resize']:
            policy.enforce(req.ctx, 'instance:resize_volume', _target(view))
            size = int(body['resize']['volume']['size'])
            instances.check_volume_resize(view, size)
            deltas = {'volumes': size - view.instance.volume_size}
            instances.begin(req.ctx, instance_id, 'resize_volume',
                            CONF.instance.operation_deadline, quota_deltas=deltas)
            self._cast_begun(instance_id, 'resize_volume', deltas,
                             self.taskmanager.resize_volume, req.ctx, instance_id, size)
        else:
            policy.enforce(req.ctx, 'instance:resize_flavor', _target(view))
            flavor = instances.check_flavor_resize(view, body['resize']['flavorRef'])
            deltas = {'ram': flavor.ram - view.instance.ram_mb}
            instances.begin(req.ctx, instance_id, 'resize_flavor',
                            CONF.instance.operation_deadline, quota_deltas=deltas,
                            flavor=flavor)
            self._cast_begun(instance_id, 'resize_flavor', deltas,
                             self.taskmanager.resize_flavor, req.ctx, instance_id, flavor.id)
        return None

    @staticmethod
    def _cast_begun(instance_id, operation, quota_deltas, cast, *args):
        """Cast an operation `begin` recorded; when no task manager takes it (503), undo
        what was recorded first, since nothing will run it."""
        try:
            cast(*args)
        except exceptions.ServiceUnavailable:
            instances.undo_begin(instance_id, operation, quota_deltas)
            raise

    @route('GET', INSTANCE + '/configuration', summary='The values the engine runs with, for '
           "every parameter of the instance's version", response_key='instance')
    def configuration(self, req, instance_id):
        view = instances.get(req.ctx, instance_id)
        policy.enforce(req.ctx, 'instance:configuration', _target(view))
        return {'instance': {'configuration': configuration_apply.effective(req.ctx,
                                                                             instance_id)}}

    @route('GET', INSTANCE + '/events', summary="An instance's operation steps (extension)",
           response_key='events')
    def events(self, req, instance_id):
        view = instances.get(req.ctx, instance_id)
        policy.enforce(req.ctx, 'instance:events', _target(view))
        return {'events': [views.event(e, backup)
                           for e, backup in events.for_instance(instance_id)]}
