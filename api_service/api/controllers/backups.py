"""Backups (Trove's /backups, /instances/{id}/backups) and backup strategies."""
from api_service.api import schemas
from api_service.api import views
from api_service.api.controllers import paging
from api_service.api.wsgi import Resource, paginated_links, route
from api_service.common import exceptions
from api_service.common import policy
from api_service.domain import backup_deletes
from api_service.domain import backup_strategies
from api_service.domain import backups
from api_service.domain import instances
from api_service.rpc import clients

LIST_QUERY = dict(paging.QUERY, instance_id=schemas.identifier(36, min_length=0),
                  datastore=schemas.identifier(255, min_length=0),
                  all_projects={'type': 'boolean'},
                  project_id=schemas.identifier(64, min_length=0))


def _target(project_id):
    return {'tenant': project_id, 'project_id': project_id}


class Backups(Resource):

    @property
    def taskmanager(self):
        return clients.taskmanager_api()

    @route('POST', '/backups', schema=schemas.backup_create, summary='Back up an instance',
           response_key='backup', status=202)
    def create(self, req):
        policy.enforce(req.ctx, 'backup:create')
        body = req.body_json['backup']
        if body.get('restore_from'):
            raise exceptions.BadRequest('Importing backups (restore_from) is not available yet.')
        if not body.get('instance'):
            raise exceptions.BadRequest('backup.instance is required.')
        backup, parent = backups.create(req.ctx, body)
        try:
            self.taskmanager.create_backup(req.ctx, instance_id=backup.instance_id,
                                           backup_id=backup.id)
        except exceptions.ServiceUnavailable:
            backups.undo_create(backup)
            raise
        ds, version = backups.datastore_of(backup)
        return {'backup': views.backup(req, backup, ds, version, backups.instance_of(backup))}

    @route('GET', '/backups', summary='List backups', response_key='backups', query=LIST_QUERY)
    def index(self, req):
        policy.enforce(req.ctx, 'backup:index')
        project = req.query.get('project_id') or req.ctx.project_id
        if req.query.get('all_projects'):
            project = req.query.get('project_id')   # None: every project
        if project != req.ctx.project_id:
            policy.enforce(req.ctx, 'backup:index:all_projects')
        return self._page(req, req.query.get('instance_id'), project,
                          datastore=req.query.get('datastore'))

    @route('GET', '/instances/{instance_id}/backups', summary="List an instance's backups",
           response_key='backups', query=paging.QUERY)
    def for_instance(self, req, instance_id):
        view = instances.get(req.ctx, instance_id)
        policy.enforce(req.ctx, 'instance:backups', _target(view.instance.project_id))
        return self._page(req, instance_id, view.instance.project_id)

    def _page(self, req, instance_id, project_id, datastore=None):
        limit, marker = paging.params(req)
        rows, next_marker = backups.list_page(project_id, limit, marker, instance_id, datastore)
        return {'backups': [views.backup(req, r) for r in rows],
                'links': paginated_links(req, 'backups', next_marker)}

    @route('GET', '/backups/{backup_id}', summary='Show a backup', response_key='backup')
    def show(self, req, backup_id):
        backup = backups.get(req.ctx, backup_id)
        policy.enforce(req.ctx, 'backup:show', _target(backup.project_id))
        ds, version = backups.datastore_of(backup)
        return {'backup': views.backup(req, backup, ds, version, backups.instance_of(backup))}

    @route('DELETE', '/backups/{backup_id}', summary='Delete a backup (409 while it has '
           'children, unless ?delete_chain=true); DELETING until its data is gone, or '
           'DELETE_FAILED with the reason (retried; deleting it again retries at once)',
           status=202, query={'delete_chain': {'type': 'boolean'}})
    def delete(self, req, backup_id):
        backup = backups.get(req.ctx, backup_id)
        policy.enforce(req.ctx, 'backup:delete', _target(backup.project_id))
        backup_ids = backup_deletes.begin(req.ctx, backup_id,
                                          req.query.get('delete_chain', False))
        self.taskmanager.delete_backups(req.ctx, backup_ids=backup_ids)
        return None


def _strategy(row):
    """Trove's backup_strategy shape."""
    return {'project_id': row.project_id, 'instance_id': row.instance_id,
            'backend': row.backend, 'swift_container': row.swift_container}


STRATEGY_QUERY = {'instance_id': schemas.identifier(36, min_length=0),
                  'project_id': schemas.identifier(64, min_length=0)}


class BackupStrategies(Resource):
    """Trove's /backup_strategies: the Swift container a project's (or an instance's) backups
    go to."""

    @route('GET', '/backup_strategies', summary='List backup strategies',
           response_key='backup_strategies', query=STRATEGY_QUERY)
    def index(self, req):
        project_id = req.query.get('project_id') or req.ctx.project_id
        policy.enforce(req.ctx, 'backup_strategy:index', _target(project_id))
        rows = backup_strategies.list_for(project_id, req.query.get('instance_id'))
        return {'backup_strategies': [_strategy(row) for row in rows]}

    @route('POST', '/backup_strategies', schema=schemas.backup_strategy_create,
           summary='Create (or change) the backup strategy of a project or an instance',
           response_key='backup_strategy', status=202)
    def create(self, req):
        body = req.body_json['backup_strategy']
        project_id = body.get('project_id') or req.ctx.project_id
        policy.enforce(req.ctx, 'backup_strategy:create', _target(project_id))
        row = backup_strategies.create(req.ctx, project_id, body.get('instance_id'),
                                       body['swift_container'])
        return {'backup_strategy': _strategy(row)}

    @route('DELETE', '/backup_strategies', summary="Delete the project's (or, with "
           "?instance_id=, an instance's) backup strategy", status=202, query=STRATEGY_QUERY)
    def delete(self, req):
        project_id = req.query.get('project_id') or req.ctx.project_id
        policy.enforce(req.ctx, 'backup_strategy:delete', _target(project_id))
        backup_strategies.delete(project_id, req.query.get('instance_id') or '')
        return None
