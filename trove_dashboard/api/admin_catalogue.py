"""Operators' calls on the datastore catalogue: registered versions, their visibility and
members, and the flavors and volume types each allows (the management API, admins only).

Like trove.py, every function here is exactly one API call. python-troveclient's managers
are used where it has them (mgmt_ds_versions, datastore_versions.update,
DatastoreVersionMembers); the association calls it lacks go through its raw HTTP client.
"""
import json
from urllib import parse

from troveclient.v1 import datastores as trove_datastores

from trove_dashboard.api.trove import troveclient

VERSION_PATH = '/mgmt/datastores/%s/versions/%s'


def _quoted(*parts):
    return tuple(parse.quote(str(p), safe='') for p in parts)


def _flag(value):
    """troveclient's mgmt calls take booleans as JSON text ('true')."""
    return json.dumps(bool(value))


# -- versions -------------------------------------------------------------------------------

def version_list(request):
    """Every registered version of every datastore, hidden and inactive ones too."""
    return list(troveclient(request).mgmt_ds_versions.list())


def manager_list(request):
    """[{'name', 'maturity', 'capabilities'}]: the guest managers the service is built with
    (GET /mgmt/datastore-managers, an extension troveclient has no call for)."""
    _resp, body = troveclient(request).client.get('/mgmt/datastore-managers')
    return body['managers']


def version_get(request, version_id):
    return troveclient(request).mgmt_ds_versions.get(version_id)


def version_create(request, datastore, manager, name, image, version=None, active=True,
                   default=False):
    """Register a version (its datastore is made if missing); the API answers empty."""
    troveclient(request).mgmt_ds_versions.create(
        name, datastore, manager, image, active=_flag(active), default=_flag(default),
        version=version or None)


def version_update(request, version_id, name=None, image=None, active=None, default=None):
    """PATCH what is given; None leaves a field as it is."""
    troveclient(request).mgmt_ds_versions.edit(
        version_id, image=image or None, name=name or None,
        active=None if active is None else _flag(active),
        default=None if default is None else _flag(default))


def version_delete(request, version_id):
    troveclient(request).mgmt_ds_versions.delete(version_id)


def version_set_visibility(request, datastore_id, version_id, visibility):
    troveclient(request).datastore_versions.update(datastore_id, version_id, visibility)


def datastore_delete(request, datastore_id):
    """Delete a datastore; refused while any of its versions is in use."""
    troveclient(request).datastores.delete(datastore_id)


# -- members of a private version --------------------------------------------------------------

def _members(request):
    # The client defines the manager but does not attach it to Client.
    return trove_datastores.DatastoreVersionMembers(troveclient(request))


def member_list(request, datastore_id, version_id):
    """[DatastoreVersionMember(id, member=<project id>)]."""
    return list(_members(request).list(datastore_id, version_id))


def member_add(request, datastore_id, version_id, project_id):
    return _members(request).add(datastore_id, version_id, project_id)


def member_remove(request, datastore_id, version_id, member_id):
    _members(request).delete(datastore_id, version_id, member_id)


# -- flavor and volume-type associations -------------------------------------------------------

def volume_type_list(request):
    """Every volume type, private ones too (GET /mgmt/volume-types), as dicts."""
    _resp, body = troveclient(request).client.get('/mgmt/volume-types')
    return body['volume_types']


def flavor_associate(request, datastore_id, version_id, flavor_id):
    path = (VERSION_PATH + '/flavors/%s') % _quoted(datastore_id, version_id, flavor_id)
    troveclient(request).client.put(path)


def flavor_dissociate(request, datastore_id, version_id, flavor_id):
    path = (VERSION_PATH + '/flavors/%s') % _quoted(datastore_id, version_id, flavor_id)
    troveclient(request).client.delete(path)


def volume_type_associate(request, datastore_id, version_id, volume_type):
    path = (VERSION_PATH + '/volume-types/%s') % _quoted(datastore_id, version_id, volume_type)
    troveclient(request).client.put(path)


def volume_type_dissociate(request, datastore_id, version_id, volume_type):
    path = (VERSION_PATH + '/volume-types/%s') % _quoted(datastore_id, version_id, volume_type)
    troveclient(request).client.delete(path)
