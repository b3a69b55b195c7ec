"""The operators' flavor and volume type calls (admin only), as the logged-in user.

Every function is exactly one API call. The flavors are GET /flavors; the volume types
are every one, private ones too, with the directory their volumes live under
(GET /mgmt/volume-types); the writes go to /mgmt/flavors and /mgmt/volume-types through the raw
client: troveclient's MgmtFlavors.create always sends an automatic id and no ephemeral
disk, and it has no update, delete or volume type writes at all.
"""
from urllib import parse

from troveclient.v1 import flavors
from troveclient.v1 import volume_types

from trove_dashboard.api import trove


def _quoted(value):
    # Ids and names are the operator's text: a '/' or '?' in one must stay in its segment.
    return parse.quote(str(value), safe='')


def _flavor(request, body):
    return flavors.Flavor(trove.troveclient(request).flavors, body['flavor'], loaded=True)


def _volume_type(request, body):
    return volume_types.VolumeType(trove.troveclient(request).volume_types,
                                   body['volume_type'], loaded=True)


# -- flavors ------------------------------------------------------------------------------

def flavor_list(request):
    return list(trove.troveclient(request).flavors.list())


def flavor_get(request, flavor_id):
    _resp, body = trove.troveclient(request).client.get('/flavors/%s' % _quoted(flavor_id))
    return _flavor(request, body)


def flavor_create(request, name, ram, vcpus, disk=0, ephemeral=0, flavor_id=None):
    """A new flavor; without flavor_id the API takes the next free number."""
    spec = {'name': name, 'ram': ram, 'vcpus': vcpus, 'disk': disk, 'ephemeral': ephemeral}
    if flavor_id:
        spec['id'] = flavor_id
    _resp, body = trove.troveclient(request).client.post('/mgmt/flavors',
                                                         body={'flavor': spec})
    return _flavor(request, body)


def flavor_update(request, flavor_id, **changes):
    """Only the fields given change (name, ram, vcpus, disk, ephemeral)."""
    _resp, body = trove.troveclient(request).client.patch(
        '/mgmt/flavors/%s' % _quoted(flavor_id), body={'flavor': changes})
    return _flavor(request, body)


def flavor_delete(request, flavor_id):
    """Refused (409) while a live instance runs on it or a version is associated with it."""
    trove.troveclient(request).client.delete('/mgmt/flavors/%s' % _quoted(flavor_id))


# -- volume types -------------------------------------------------------------------------

def volume_type_list(request):
    """Every volume type, private ones too, each with its `root_path`."""
    client = trove.troveclient(request)
    _resp, body = client.client.get('/mgmt/volume-types')
    return [volume_types.VolumeType(client.volume_types, vt, loaded=True)
            for vt in body['volume_types']]


def volume_type_get(request, volume_type_id):
    _resp, body = trove.troveclient(request).client.get(
        '/volume-types/%s' % _quoted(volume_type_id))
    return _volume_type(request, body)


def volume_type_create(request, name, description='', is_public=True, root_path=None):
    """root_path: where the local driver keeps volumes of this type (its default if None)."""
    spec = {'name': name, 'description': description, 'is_public': is_public}
    if root_path:
        spec['root_path'] = root_path
    _resp, body = trove.troveclient(request).client.post('/mgmt/volume-types',
                                                         body={'volume_type': spec})
    return _volume_type(request, body)


def volume_type_update(request, volume_type_id, **changes):
    """Only the fields given change (name, description, is_public, root_path)."""
    _resp, body = trove.troveclient(request).client.patch(
        '/mgmt/volume-types/%s' % _quoted(volume_type_id), body={'volume_type': changes})
    return _volume_type(request, body)


def volume_type_delete(request, volume_type_id):
    """Refused (409) while an instance has a volume of it or a version is associated."""
    trove.troveclient(request).client.delete('/mgmt/volume-types/%s'
                                             % _quoted(volume_type_id))
