"""Databases, users, user access and root of an instance: handed to its guest agent."""
from api_service.api import schemas
from api_service.api.controllers import paging
from api_service.api.wsgi import Resource, paginated_links, route
from api_service.common import exceptions
from api_service.common import policy
from api_service.domain import guest_ops
from api_service.domain import mgmt_instances

I = '/instances/{instance_id}'
USER = I + '/users/{user}'
ROOT_NOT_ENABLED = 'Root is not enabled on this instance: there is nothing to disable.'


def _enforce(req, rule, view):
    policy.enforce(req.ctx, rule, {'tenant': view.instance.project_id,
                                   'project_id': view.instance.project_id})


class Databases(Resource):

    @route('GET', I + '/databases', summary='List databases', response_key='databases',
           query=paging.QUERY)
    def index(self, req, instance_id):
        view, guest = guest_ops.guest_for(req.ctx, instance_id, 'databases')
        _enforce(req, 'instance:extension:database:index', view)
        limit, marker = paging.params(req)
        items, next_marker = guest.call(req.ctx, 'list_databases', limit=limit, marker=marker)
        return {'databases': items, 'links': paginated_links(req, 'databases', next_marker)}

    @route('POST', I + '/databases', schema=schemas.databases_create,
           summary='Create databases', status=202)
    def create(self, req, instance_id):
        view, guest = guest_ops.guest_for(req.ctx, instance_id, 'databases')
        _enforce(req, 'instance:extension:database:create', view)
        guest.call(req.ctx, 'create_databases', databases=req.body_json['databases'])

    @route('DELETE', I + '/databases/{database}', summary='Delete a database', status=202)
    def delete(self, req, instance_id, database):
        view, guest = guest_ops.guest_for(req.ctx, instance_id, 'databases')
        _enforce(req, 'instance:extension:database:delete', view)
        guest.call(req.ctx, 'delete_database', name=database)


class Users(Resource):

    @route('GET', I + '/users', summary='List users', response_key='users', query=paging.QUERY)
    def index(self, req, instance_id):
        view, guest = guest_ops.guest_for(req.ctx, instance_id, 'users')
        _enforce(req, 'instance:extension:user:index', view)
        limit, marker = paging.params(req)
        items, next_marker = guest.call(req.ctx, 'list_users', limit=limit, marker=marker)
        return {'users': items, 'links': paginated_links(req, 'users', next_marker)}

    @route('POST', I + '/users', schema=schemas.users_create, summary='Create users',
           status=202)
    def create(self, req, instance_id):
        view, guest = guest_ops.guest_for(req.ctx, instance_id, 'users')
        _enforce(req, 'instance:extension:user:create', view)
        users = req.body_json['users']
        guest_ops.check_user_hosts(view, [user.get('host') for user in users])
        guest.call(req.ctx, 'create_users', users=users)

    @route('PUT', I + '/users', schema=schemas.users_change_passwords,
           summary="Change users' passwords", status=202)
    def change_passwords(self, req, instance_id):
        view, guest = guest_ops.guest_for(req.ctx, instance_id, 'users')
        _enforce(req, 'instance:extension:user:update_all', view)
        guest.call(req.ctx, 'change_passwords', users=req.body_json['users'])

    @route('GET', USER, summary='Show a user', response_key='user')
    def show(self, req, instance_id, user):
        view, guest = guest_ops.guest_for(req.ctx, instance_id, 'users')
        _enforce(req, 'instance:extension:user:show', view)
        name, host = guest_ops.split_user(user)
        return {'user': guest.call(req.ctx, 'get_user', name=name, host=host)}

    @route('DELETE', USER, summary='Delete a user', status=202)
    def delete(self, req, instance_id, user):
        view, guest = guest_ops.guest_for(req.ctx, instance_id, 'users')
        _enforce(req, 'instance:extension:user:delete', view)
        name, host = guest_ops.split_user(user)
        guest.call(req.ctx, 'delete_user', name=name, host=host)

    @route('PUT', USER, schema=schemas.user_update,
           summary="Change a user's name, host or password", status=202)
    def update(self, req, instance_id, user):
        view, guest = guest_ops.guest_for(req.ctx, instance_id, 'users')
        _enforce(req, 'instance:extension:user:update', view)
        name, host = guest_ops.split_user(user)
        new = req.body_json['user']
        guest_ops.check_user_hosts(view, [new.get('host')])
        guest.call(req.ctx, 'update_attributes', name=name, host=host,
                   new_name=new.get('name'), new_password=new.get('password'),
                   new_host=new.get('host'))

    @route('GET', USER + '/databases', summary="List a user's databases",
           response_key='databases')
    def list_access(self, req, instance_id, user):
        view, guest = guest_ops.guest_for(req.ctx, instance_id, 'users')
        _enforce(req, 'instance:extension:user_access:index', view)
        name, host = guest_ops.split_user(user)
        return {'databases': guest.call(req.ctx, 'list_access', name=name, host=host)}

    @route('PUT', USER + '/databases', schema=schemas.user_access,
           summary='Grant a user access to databases', status=202)
    def grant(self, req, instance_id, user):
        view, guest = guest_ops.guest_for(req.ctx, instance_id, 'users')
        _enforce(req, 'instance:extension:user_access:update', view)
        name, host = guest_ops.split_user(user)
        guest.call(req.ctx, 'grant_access', name=name, host=host,
                   databases=[d['name'] for d in req.body_json['databases']])

    @route('DELETE', USER + '/databases/{database}', summary="Revoke a user's access",
           status=202)
    def revoke(self, req, instance_id, user, database):
        view, guest = guest_ops.guest_for(req.ctx, instance_id, 'users')
        _enforce(req, 'instance:extension:user_access:delete', view)
        name, host = guest_ops.split_user(user)
        guest.call(req.ctx, 'revoke_access', name=name, host=host, database=database)


class Root(Resource):

    @route('POST', I + '/root', schema=schemas.root_enable, summary='Enable root',
           response_key='user')
    def enable(self, req, instance_id):
        view, guest = guest_ops.guest_for(req.ctx, instance_id, 'root')
        _enforce(req, 'instance:extension:root:create', view)
        password = (req.body_json or {}).get('password')
        user = guest.call(req.ctx, 'enable_root', password=password)
        mgmt_instances.record_root_enabled(req.ctx, instance_id)   # the operator's history
        return {'user': user}

    @route('DELETE', I + '/root', summary='Disable root', status=204)
    def disable(self, req, instance_id):
        view, guest = guest_ops.guest_for(req.ctx, instance_id, 'root')
        _enforce(req, 'instance:extension:root:delete', view)
        # As upstream Trove (RootHistoryNotFound): nothing to disable is a 404, not a success.
        if not guest_ops.is_root_enabled(req.ctx, guest):
            raise exceptions.NotFound(ROOT_NOT_ENABLED)
        guest.call(req.ctx, 'disable_root')

    @route('GET', I + '/root', summary='Is root enabled?', response_key='rootEnabled')
    def show(self, req, instance_id):
        view, guest = guest_ops.guest_for(req.ctx, instance_id, 'root')
        _enforce(req, 'instance:extension:root:index', view)
        return {'rootEnabled': guest_ops.is_root_enabled(req.ctx, guest)}
