"""Flavors, volume types and zones, from the compute driver, filtered per datastore version.

The lists are read on nearly every request, so each process keeps them in memory under
the catalogue generation (`catalogue_cache`); the driver only knows how to load them.
"""
from api_service.common import exceptions
from api_service.domain import catalogue_cache
from api_service.domain import datastores
from api_service.drivers.compute import get_driver


def flavors():
    return list(catalogue_cache.cached('flavors', lambda: tuple(get_driver().list_flavors())))


def flavor(flavor_id):
    found = get_driver().get_flavor(flavor_id)
    if found is None:
        raise exceptions.NotFound("Flavor '%s' cannot be found." % flavor_id[:64])
    return found


def volume_types():
    return list(catalogue_cache.cached('volume_types',
                                       lambda: tuple(get_driver().list_volume_types())))


def volume_type(id_or_name):
    found = get_driver().get_volume_type(id_or_name)
    if found is None:
        raise exceptions.NotFound("Volume type '%s' cannot be found." % id_or_name[:64])
    return found


def flavors_for_version(version):
    """The flavors a datastore version may run on (associate-flavors-datastores spec)."""
    allowed = datastores.allowed_flavor_ids(version.id)
    return [f for f in flavors() if allowed is None or f.id in allowed]


def volume_types_for_version(version):
    """The volume types a datastore version allows (datastore-version-volume-type spec)."""
    allowed = datastores.allowed_volume_type_ids(version.id)
    return [vt for vt in volume_types() if allowed is None or vt.id in allowed]


def availability_zones():
    return get_driver().availability_zones()
