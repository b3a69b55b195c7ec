"""A compute driver held in memory, and a guest that answers at once: tests only.

It proves the seam: the task manager's flows run create, resize, restart and delete
against it exactly as against the local driver, and never import a local module. Like
any driver it records what it decided (host, zone, address) on the instance's row, under
the placement lock; everything else (volumes, guests) is a dictionary.
"""
import ipaddress

from api_service.db import locks
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.domain import status
from api_service.drivers.compute import base

PATH = 'tests.unit.memory_driver:MemoryDriver'


class MemoryDriver(base.ComputeDriver):
    """Two hosts of 2048 MB in two zones; addresses from 10.9.0.0/24."""

    HOSTS = {'mem-1': ('zone-a', 2048), 'mem-2': ('zone-b', 2048)}

    def __init__(self):
        self.flavors = [base.Flavor('1', 'small', 512, 1), base.Flavor('2', 'medium', 1024, 2),
                        base.Flavor('3', 'huge', 4096, 4)]
        self.volume_types = [base.VolumeType('vt-1', 'standard')]
        self.volumes = {}     # instance id -> size in GB
        self.guests = {}      # instance id -> {'spec': GuestSpec, 'running': bool}
        self.calls = []       # (method, instance id), in order

    # -- catalogue ---------------------------------------------------------------------

    def list_flavors(self):
        return list(self.flavors)

    def get_flavor(self, flavor_id):
        return next((f for f in self.flavors if f.id == str(flavor_id)), None)

    def list_volume_types(self):
        return list(self.volume_types)

    def get_volume_type(self, id_or_name):
        return next((v for v in self.volume_types if id_or_name in (v.id, v.name)), None)

    def availability_zones(self):
        return [base.AvailabilityZone(zone, True, 1) for zone, _ in sorted(self.HOSTS.values())]

    def list_networks(self):
        return [base.Network('memory', 'memory', '10.9.0.0/24', True)]

    def get_network(self, network_id):
        return next((n for n in self.list_networks() if n.id == network_id), None)

    # -- lifecycle ---------------------------------------------------------------------

    def _used(self, session, host, but=None):
        return sum(i.ram_mb for i in session.query(m.Instance).filter(
            m.Instance.host == host, m.Instance.deleted.is_(False), m.Instance.id != but))

    def place(self, instance_id):
        self.calls.append(('place', instance_id))
        with session_scope() as session:
            locks.hold(session, locks.PLACEMENT)
            instance = session.get(m.Instance, instance_id)
            if instance is None:
                return None
            fitting = [name for name, (zone, ram) in sorted(self.HOSTS.items())
                       if instance.availability_zone in (None, zone)
                       and ram - self._used(session, name) >= instance.ram_mb]
            if not fitting:
                raise base.PlacementError('No memory host has room for %d MB.' % instance.ram_mb)
            taken = {i.address for i in session.query(m.Instance) if i.address}
            address = next(str(a) for a in ipaddress.ip_network('10.9.0.0/24').hosts()
                           if str(a) not in taken)
            instance.host, instance.availability_zone = fitting[0], self.HOSTS[fitting[0]][0]
            instance.address = address
            return base.Placement(instance.host, instance.availability_zone, address)

    def reserve_resize(self, instance_id, ram_mb, vcpus):
        self.calls.append(('reserve_resize', instance_id))
        with session_scope() as session:
            locks.hold(session, locks.PLACEMENT)
            instance = session.get(m.Instance, instance_id)
            free = self.HOSTS[instance.host][1] - self._used(session, instance.host, instance.id)
            if free < ram_mb:
                raise base.PlacementError("Host '%s' has room for %d MB; the new flavor needs "
                                          '%d MB.' % (instance.host, free, ram_mb))
            instance.ram_mb = max(instance.ram_mb, ram_mb)
            instance.vcpus = max(instance.vcpus, vcpus)

    def provision_volume(self, instance_id):
        self.calls.append(('provision_volume', instance_id))
        with session_scope() as session:
            self.volumes[instance_id] = session.get(m.Instance, instance_id).volume_size
        return 'memory://%s' % instance_id

    def resize_volume(self, instance_id, size_gb):
        self.calls.append(('resize_volume', instance_id))
        if instance_id not in self.volumes:
            raise base.DriverError('The volume of this instance is missing.')
        self.volumes[instance_id] = size_gb

    def spawn_guest(self, instance_id, spec):
        self.calls.append(('spawn_guest', instance_id))
        self.guests[instance_id] = {'spec': spec, 'running': True}

    def guest_exited(self, instance_id):
        return instance_id in self.guests and not self.guests[instance_id]['running']

    def stop(self, instance_id):
        self.calls.append(('stop', instance_id))
        self.guests[instance_id]['running'] = False

    def start(self, instance_id):
        self.calls.append(('start', instance_id))
        if instance_id not in self.guests:
            raise base.DriverError('The instance has no guest to start: it was never built.')
        self.guests[instance_id]['running'] = True

    def resume(self, instance_ids):
        started = [i for i in instance_ids if self.guest_exited(i)]
        for instance_id in started:
            self.start(instance_id)
        return started

    def destroy(self, instance_id):
        self.calls.append(('destroy', instance_id))
        self.guests.pop(instance_id, None)
        self.volumes.pop(instance_id, None)

    def describe(self, instance_id):
        with session_scope() as session:
            instance = session.get(m.Instance, instance_id)
            if instance is None or not instance.host:
                return None
            return base.Placement(instance.host, instance.availability_zone, instance.address)


class FakeGuest:
    """Stands in for `guest_client.GuestAPI`: answers at once, and reports prepare done the
    way the conductor would. Each call is recorded in `FakeGuest.calls`."""

    calls = []
    failures = {}     # method -> the exception its next call raises
    answers = {}      # method -> what its next call answers
    overrides = {}    # instance id -> the configuration values prepare was given

    def __init__(self, instance_id, key, timeout=30):
        self.instance_id = instance_id
        assert key, 'the flows hand the guest its instance key'

    def ping(self, ctx, timeout=2):
        self.calls.append(('ping', self.instance_id))
        return 'pong'

    def prepare(self, ctx, databases, users, restore=None, **kwargs):
        self.calls.append(('prepare', self.instance_id))
        self.overrides[self.instance_id] = kwargs.get('overrides')
        with session_scope() as session:
            instance = session.get(m.Instance, self.instance_id)
            status.finish(instance)          # as the conductor does on the guest's report
            instance.operating_status = 'HEALTHY'

    def restart(self, ctx, timeout=60):
        self.calls.append(('restart', self.instance_id))
        if 'restart' in self.failures:
            raise self.failures.pop('restart')
        return self.answers.pop('restart', {'status': 'HEALTHY'})

    def resize_memory(self, ctx, memory_mb, timeout=60):
        self.calls.append(('resize_memory', self.instance_id))

    def apply_access(self, ctx, sources, timeout=None):
        """Recorded with the sources and the call's timeout, as ('apply_access', id, …)."""
        self.calls.append(('apply_access', self.instance_id, list(sources), timeout))
        if 'apply_access' in self.failures:
            raise self.failures.pop('apply_access')
        return {'sources': list(sources)}
