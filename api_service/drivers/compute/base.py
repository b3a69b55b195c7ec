"""The compute driver interface: the catalogue, networks, and the whole instance lifecycle.

The task manager's flows see only this interface (through `get_driver()`): a flow that
imports a driver module is a bug. Each method speaks in the driver's words (a host, a
volume, a guest, an address); how the local driver models them (processes and loopback
addresses) or a cloud driver makes them (Nova, Cinder, Neutron) stays behind it.

Errors a tenant may read are `PlacementError` (no host can take the instance) and
`DriverError` (a step failed); their messages are written for the tenant.
"""
import abc
import dataclasses


class DriverError(Exception):
    """A driver step failed; the message is safe for the tenant."""


class PlacementError(DriverError):
    """No host satisfies the request; the message says why."""


@dataclasses.dataclass(frozen=True)
class Flavor:
    id: str
    name: str
    ram: int
    vcpus: int
    disk: int = 0
    ephemeral: int = 0


@dataclasses.dataclass(frozen=True)
class VolumeType:
    id: str
    name: str
    description: str = ''
    is_public: bool = True


@dataclasses.dataclass(frozen=True)
class AvailabilityZone:
    name: str
    available: bool
    hosts: int


@dataclasses.dataclass(frozen=True)
class Network:
    """A network instances attach to; `cidr` is the subnet their addresses come from."""
    id: str
    name: str
    cidr: str
    is_default: bool = False


@dataclasses.dataclass(frozen=True)
class GuestSpec:
    """What a guest agent needs to run an instance's engine."""
    instance_id: str
    manager: str          # mariadb, postgresql, redis
    version: str          # the engine version, e.g. 10.11
    engine_path: str      # where the engine's binaries are
    memory_mb: int
    instance_key: str     # seals the guest's RPC; secret


class ComputeDriver(abc.ABC):
    """What the service needs from whatever runs instances."""

    # -- catalogue ---------------------------------------------------------------------

    @abc.abstractmethod
    def list_flavors(self):
        """Every flavor, ordered by RAM then name."""

    @abc.abstractmethod
    def get_flavor(self, flavor_id):
        """One flavor, or None."""

    @abc.abstractmethod
    def list_volume_types(self):
        """Every public volume type, by name."""

    @abc.abstractmethod
    def get_volume_type(self, id_or_name):
        """One volume type by id or name, or None."""

    @abc.abstractmethod
    def availability_zones(self):
        """The zones instances can be placed in."""

    # -- networks ----------------------------------------------------------------------

    @abc.abstractmethod
    def list_networks(self):
        """The networks instances may attach to (a list of Network), the default first."""

    @abc.abstractmethod
    def get_network(self, network_id):
        """One Network by id, or None."""
