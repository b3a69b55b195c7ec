"""The local driver: instances are processes on this machine.

Flavors and volume types are operator-defined rows (`dbaas-manage flavor create`,
`dbaas-manage volume-type create`); hosts and their zones come from
[local_driver] hosts. Placement is `placement.py`'s decision over those hosts and what
the instance rows say runs on them, taken under the service's placement lock; the
processes and directories of an instance are `local_instances.py`'s.
"""
import collections

from sqlalchemy import or_, select

from api_service.common.config import CONF
from api_service.db import locks
from api_service.db import models
from api_service.db import models_instances as m
from api_service.db.session import read_scope, session_scope
from api_service.drivers.compute import base
from api_service.drivers.compute import local_instances
from api_service.drivers.compute import local_networks
from api_service.drivers.compute import placement

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
        return list(_load_flavors())

    def get_flavor(self, flavor_id):
        with session_scope() as session:
            row = session.get(models.Flavor, str(flavor_id))
            return _flavor(row) if row else None

    def list_volume_types(self):
        return list(_load_public_volume_types())

    def get_volume_type(self, id_or_name):
        with session_scope() as session:
            row = session.scalars(select(models.VolumeType).where(or_(
                models.VolumeType.id == id_or_name, models.VolumeType.name == id_or_name))).first()
            return _volume_type(row) if row else None

    def hosts(self):
        return parse_hosts(CONF.local_driver.hosts)

    def list_networks(self):
        return list(local_networks.load_networks())

    def get_network(self, network_id):
        return next((n for n in self.list_networks() if n.id == network_id), None)

    def availability_zones(self):
        zones = collections.Counter(h.zone for h in self.hosts())
        return [base.AvailabilityZone(name, True, count) for name, count in sorted(zones.items())]

    # -- lifecycle ---------------------------------------------------------------------

    def _host_usages(self, session):
        used = local_instances.host_usage(session)
        return [placement.HostUsage(h.name, h.zone, h.ram_mb, h.vcpus, *used.get(h.name, (0, 0)))
                for h in self.hosts()]

    def place(self, instance_id):
        with session_scope() as session:
            _hold_placement(session)
            instance = session.get(m.Instance, instance_id)
            if instance is None or instance.deleted:
                return None
            if instance.host and instance.address:
                return _placement_of(instance)    # placed before: placing again is a no-op
            group = (session.get(m.ServerGroup, instance.server_group_id)
                     if instance.server_group_id else None)
            request = placement.Request(instance.ram_mb, instance.vcpus,
                                        instance.availability_zone,
                                        group.policy if group else None,
                                        local_instances.group_hosts(session, instance))
            host = placement.choose_host(self._host_usages(session), request,
                                         CONF.local_driver.cpu_allocation_ratio)
            instance.host = host.name
            instance.availability_zone = host.zone
            local_networks.allocate_address(session, instance)
            return _placement_of(instance)

    def reserve_resize(self, instance_id, ram_mb, vcpus):
        with session_scope() as session:
            _hold_placement(session)
            instance = _instance(session, instance_id)
            host = next((h for h in self._host_usages(session) if h.name == instance.host), None)
            if host is None:
                return   # a host since removed from the configuration: nothing to measure
            host.used_ram_mb -= instance.ram_mb       # its usage without the instance
            host.used_vcpus -= instance.vcpus
            placement.check_fits(host, ram_mb, vcpus, CONF.local_driver.cpu_allocation_ratio)
            instance.ram_mb = max(instance.ram_mb, ram_mb)
            instance.vcpus = max(instance.vcpus, vcpus)

    def provision_volume(self, instance_id):
        with session_scope() as session:
            path = local_instances.volume_dir(session, _instance(session, instance_id))
        local_instances.make_volume(path)
        return path

    def resize_volume(self, instance_id, size_gb):
        # A directory volume has no size of its own: the instance's record is its limit.
        with session_scope() as session:
            path = local_instances.volume_dir(session, _instance(session, instance_id))
        if not local_instances.volume_exists(path):
            raise base.DriverError('The volume of this instance is missing.')

    def spawn_guest(self, instance_id, spec):
        with session_scope() as session:
            local_instances.write_guest_config(session, _instance(session, instance_id), spec)
        local_instances.spawn_guest(instance_id)

    def guest_exited(self, instance_id):
        return local_instances.guest_exited(instance_id)

    def guest_exit_reason(self, instance_id):
        return local_instances.guest_exit_reason(instance_id)

    def stop(self, instance_id):
        local_instances.stop_guest(instance_id, self._volume_path(instance_id))

    def start(self, instance_id):
        if not local_instances.was_spawned(instance_id):
            raise base.DriverError('The instance has no guest to start: it was never built.')
        if local_instances.guest_pid(instance_id) is None:
            # An agent killed outright leaves its engine running: stop what is left first, or
            # the new agent would find the engine's address and data directory taken.
            local_instances.stop_guest(instance_id, self._volume_path(instance_id))
            local_instances.spawn_guest(instance_id)

    def resume(self, instance_ids):
        started = []
        for instance_id in instance_ids:
            if (local_instances.was_spawned(instance_id)
                    and local_instances.guest_pid(instance_id) is None):
                local_instances.spawn_guest(instance_id)
                started.append(instance_id)
        return started

    def destroy(self, instance_id):
        with session_scope() as session:
            instance = session.get(m.Instance, instance_id)
            volumes = ([local_instances.volume_dir(session, instance)] if instance is not None
                       else local_instances.possible_volume_dirs(session, instance_id))
        local_instances.stop_guest(instance_id, *volumes)
        local_instances.remove_files(instance_id, *volumes)

    def describe(self, instance_id):
        with session_scope() as session:
            instance = session.get(m.Instance, instance_id)
            return _placement_of(instance) if instance is not None and instance.host else None

    def _volume_path(self, instance_id):
        with session_scope() as session:
            instance = session.get(m.Instance, instance_id)
            return local_instances.volume_dir(session, instance) if instance else None


def _hold_placement(session):
    try:
        locks.hold(session, locks.PLACEMENT)
    except locks.Busy as error:
        raise base.PlacementError('The hosts are busy: another placement held them for more '
                                  'than %d seconds. Try again.' % locks.WAIT_SECONDS) from error


def _instance(session, instance_id):
    instance = session.get(m.Instance, instance_id)
    if instance is None:
        raise base.DriverError('The instance no longer exists.')
    return instance


def _placement_of(instance):
    return base.Placement(instance.host, instance.availability_zone, instance.address)
