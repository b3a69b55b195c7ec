"""The local driver: instances are processes on this machine.

Flavors and volume types are operator-defined rows (`dbaas-manage flavor create`,
`dbaas-manage volume-type create`); hosts and their zones come from
[local_driver] hosts.
"""
import collections

from sqlalchemy import or_, select

from api_service.common.config import CONF
from api_service.db import models
from api_service.db.session import read_scope, session_scope
from api_service.domain import catalogue_cache
from api_service.drivers.compute import base

Host = collections.namedtuple('Host', 'name zone ram_mb vcpus')

_FLAVORS = models.Flavor.__table__
_VOLUME_TYPES = models.VolumeType.__table__
_ALL_FLAVORS = select(_FLAVORS).order_by(_FLAVORS.c.ram, _FLAVORS.c.name)
_PUBLIC_VOLUME_TYPES = (select(_VOLUME_TYPES).where(_VOLUME_TYPES.c.is_public.is_(True))
                        .order_by(_VOLUME_TYPES.c.name))


def parse_hosts(entries):
    """[local_driver] hosts entries 'name:zone:ram_mb:vcpus' as Host tuples."""
    hosts = []
    for entry in entries:
        parts = entry.split(':')
        if len(parts) != 4:
            raise ValueError("Host %r must be name:availability_zone:ram_mb:vcpus" % entry)
        hosts.append(Host(parts[0], parts[1], int(parts[2]), int(parts[3])))
    return hosts


def _flavor(row):
    return base.Flavor(row.id, row.name, row.ram, row.vcpus, row.disk, row.ephemeral)


def _volume_type(row):
    return base.VolumeType(row.id, row.name, row.description, row.is_public)


def _load_flavors():
    with read_scope() as conn:
        return tuple(_flavor(r) for r in conn.execute(_ALL_FLAVORS))


def _load_public_volume_types():
    with read_scope() as conn:
        return tuple(_volume_type(r) for r in conn.execute(_PUBLIC_VOLUME_TYPES))


class LocalDriver(base.ComputeDriver):
    """Reads its catalogue from the service database and its hosts from config."""

    def list_flavors(self):
        return list(catalogue_cache.cached('flavors', _load_flavors))

    def get_flavor(self, flavor_id):
        with session_scope() as session:
            row = session.get(models.Flavor, str(flavor_id))
            return _flavor(row) if row else None

    def list_volume_types(self):
        return list(catalogue_cache.cached('volume_types', _load_public_volume_types))

    def get_volume_type(self, id_or_name):
        with session_scope() as session:
            row = session.scalars(select(models.VolumeType).where(or_(
                models.VolumeType.id == id_or_name, models.VolumeType.name == id_or_name))).first()
            return _volume_type(row) if row else None

    def hosts(self):
        return parse_hosts(CONF.local_driver.hosts)

    def list_networks(self):
        # One network, the address pool, until networks are configurable (issue #9).
        return [base.Network('default', 'default', CONF.local_driver.address_pool, True)]

    def get_network(self, network_id):
        return next((n for n in self.list_networks() if n.id == network_id), None)

    def availability_zones(self):
        zones = collections.Counter(h.zone for h in self.hosts())
        return [base.AvailabilityZone(name, True, count) for name, count in sorted(zones.items())]
