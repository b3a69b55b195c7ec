"""The compute driver interface: sizes, volume classes and where instances may go."""
import abc
import dataclasses


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


class ComputeDriver(abc.ABC):
    """What the service needs from whatever runs instances."""

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
