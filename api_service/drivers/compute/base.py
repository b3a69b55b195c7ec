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
    """A network instances attach to; `cidr` is its one subnet (`subnet_id`), where their
    addresses come from."""
    id: str
    name: str
    cidr: str
    is_default: bool = False
    subnet_id: str = ''


@dataclasses.dataclass(frozen=True)
class GuestSpec:
    """What a guest agent needs to run an instance's engine."""
    instance_id: str
    manager: str          # mariadb, postgresql, redis
    version: str          # the engine's full version, e.g. 10.11.19 (names its templates)
    engine_path: str      # where the engine's binaries are
    memory_mb: int
    instance_key: str = dataclasses.field(repr=False)   # seals the guest's RPC; secret


@dataclasses.dataclass(frozen=True)
class Placement:
    """Where an instance runs: the host, its availability zone and the instance's address."""
    host: str
    availability_zone: str
    address: str


class ComputeDriver(abc.ABC):
    """What the service needs from whatever runs instances.

    The lifecycle methods take an instance id: the instance's row (flavor sizes, volume
    size and type, server group, network) is the request, and a driver records what it
    decided (host, zone, address) on that row. Every method may raise DriverError.
    """

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

    # -- lifecycle ---------------------------------------------------------------------

    @abc.abstractmethod
    def place(self, instance_id):
        """Choose the instance's host (within its availability zone, if it names one, and
        its server group's policy) and its address, and record them on its row, under
        `db.locks.PLACEMENT` so that concurrent placements see each other. Returns the
        Placement, or None if the instance no longer exists; PlacementError if no host
        can take it."""

    @abc.abstractmethod
    def reserve_resize(self, instance_id, ram_mb, vcpus):
        """Take room on the instance's host for its new size at once (the larger of the old
        and new sizes until the resize ends), under the same lock as `place`;
        PlacementError, changing nothing, if the host cannot hold it."""

    @abc.abstractmethod
    def provision_volume(self, instance_id):
        """Make the instance's volume (size and type from its row); returns where it is."""

    @abc.abstractmethod
    def resize_volume(self, instance_id, size_gb):
        """Grow the instance's volume to `size_gb`."""

    @abc.abstractmethod
    def spawn_guest(self, instance_id, spec):
        """Start the guest agent that will run the engine described by `spec` (a GuestSpec)
        on the placed host, with the provisioned volume."""

    @abc.abstractmethod
    def guest_exited(self, instance_id):
        """True if the guest was spawned and has since exited (it will not answer)."""

    def guest_exit_reason(self, instance_id):
        """Why an exited guest exited, as the guest said it: (message, details), the message
        safe for the tenant, the details for admins only; None if the driver cannot tell."""
        return None

    @abc.abstractmethod
    def stop(self, instance_id):
        """Stop the instance's guest and engine; its volume and configuration stay. No flow
        calls it (the operator's stop is the guest's stop_db, which keeps the agent up): it
        is what a host going away does to an instance, and tests use it to simulate that."""

    @abc.abstractmethod
    def start(self, instance_id):
        """Start the guest of an instance spawned before (after `stop`, or a host restart);
        nothing if it is running."""

    @abc.abstractmethod
    def resume(self, instance_ids):
        """After the service restarts: start the guests of these live instances that are not
        running. Returns the ids started."""

    @abc.abstractmethod
    def destroy(self, instance_id):
        """Stop the guest and remove the volume and everything else the instance had, leaving
        nothing behind; safe to repeat. Its row (and so its address) is the caller's."""

    @abc.abstractmethod
    def describe(self, instance_id):
        """The instance's Placement (host, zone, address), or None if it has none yet."""
