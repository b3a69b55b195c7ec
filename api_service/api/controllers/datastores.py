"""Datastores, their versions, and the flavors and volume types each version allows.

What a project sees follows each version's visibility (domain/datastores.py): hidden
versions are 404s here as everywhere else.
"""
from api_service.api import views
from api_service.api.controllers import paging
from api_service.api.wsgi import Resource, paginated_links, route
from api_service.common import policy
from api_service.domain import catalogue
from api_service.domain import datastores


class Datastores(Resource):

    @route('GET', '/datastores', summary='List datastores', response_key='datastores',
           query=paging.QUERY)
    def index(self, req):
        policy.enforce(req.ctx, 'datastore:index')
        limit, marker = paging.params(req)
        rows, next_marker = datastores.list_datastores(limit, marker, req.ctx)
        return {'datastores': [
                    views.datastore_seen(req, ds, datastores.listed_versions(ds, req.ctx))
                    for ds in rows],
                'links': paginated_links(req, 'datastores', next_marker)}

    @route('GET', '/datastores/{datastore}', summary='Show a datastore',
           response_key='datastore')
    def show(self, req, datastore):
        policy.enforce(req.ctx, 'datastore:show')
        ds = datastores.get_datastore(datastore, req.ctx)
        return {'datastore': views.datastore_seen(req, ds, datastores.listed_versions(ds, req.ctx))}

    @route('GET', '/datastores/{datastore}/versions', summary='List versions of a datastore',
           response_key='versions', query=paging.QUERY)
    def version_index(self, req, datastore):
        policy.enforce(req.ctx, 'datastore:version_index')
        ds = datastores.get_datastore(datastore, req.ctx)
        return {'versions': [views.datastore_version_seen(req, v)
                             for v in datastores.listed_versions(ds, req.ctx)], 'links': []}

    @route('GET', '/datastores/{datastore}/versions/{version}', summary='Show a version',
           response_key='version')
    def version_show(self, req, datastore, version):
        policy.enforce(req.ctx, 'datastore:version_show')
        return {'version': views.datastore_version_seen(
            req, datastores.get_version(datastore, version, req.ctx))}

    @route('GET', '/datastores/versions/{version_id}', summary='Show a version by id',
           response_key='version')
    def version_show_by_uuid(self, req, version_id):
        policy.enforce(req.ctx, 'datastore:version_show_by_uuid')
        return {'version': views.datastore_version_seen(
            req, datastores.get_version_by_id(version_id, req.ctx))}

    @route('GET', '/datastores/{datastore}/versions/{version}/flavors',
           summary='Flavors a version allows', response_key='flavors')
    def flavors(self, req, datastore, version):
        policy.enforce(req.ctx, 'datastore:list_associated_flavors')
        found = datastores.get_version(datastore, version, req.ctx)
        return {'flavors': [views.flavor(req, f) for f in catalogue.flavors_for_version(found)]}

    @route('GET', '/datastores/{datastore}/versions/{version}/volume-types',
           summary='Volume types a version allows', response_key='volume_types')
    def volume_types(self, req, datastore, version):
        policy.enforce(req.ctx, 'datastore:list_associated_volume_types')
        found = datastores.get_version(datastore, version, req.ctx)
        return {'volume_types': [views.volume_type(vt)
                                 for vt in catalogue.volume_types_for_version(found)]}
