"""Choosing a host for an instance: capacity, availability zone and server-group policy.

Pure logic over the driver's hosts and what already runs on them, so it is tested
without processes. A request that cannot be met raises PlacementError with a
message written for the tenant.
"""
import dataclasses

from api_service.drivers.compute.base import PlacementError  # noqa: F401 (re-exported)


@dataclasses.dataclass(frozen=True)
class Request:
    ram_mb: int
    vcpus: int
    availability_zone: str | None = None
    policy: str | None = None            # 'affinity', 'anti-affinity' or None
    group_hosts: frozenset = frozenset()  # hosts already used by the server group


@dataclasses.dataclass
class HostUsage:
    name: str
    zone: str
    ram_mb: int
    vcpus: int
    used_ram_mb: int = 0
    used_vcpus: int = 0

    def free_ram(self):
        return self.ram_mb - self.used_ram_mb

    def free_vcpus(self, cpu_ratio):
        return int(self.vcpus * cpu_ratio) - self.used_vcpus


def choose_host(hosts, request, cpu_ratio=4.0):
    """The host to use, or PlacementError. Spreads load: most free RAM wins."""
    candidates = list(hosts)
    if request.availability_zone:
        candidates = [h for h in candidates if h.zone == request.availability_zone]
        if not candidates:
            zones = ', '.join(sorted({h.zone for h in hosts}))
            raise PlacementError("Availability zone '%s' does not exist (zones: %s)."
                                 % (request.availability_zone, zones))
    where = ("in availability zone '%s'" % request.availability_zone
             if request.availability_zone else 'in any availability zone')

    if request.policy == 'affinity' and request.group_hosts:
        (host_name,) = tuple(request.group_hosts)[:1]
        candidates = [h for h in candidates if h.name == host_name]
        if not candidates:
            raise PlacementError("Affinity keeps this instance on host '%s' of its group, "
                                 "which is not %s." % (host_name, where))
    elif request.policy == 'anti-affinity':
        apart = [h for h in candidates if h.name not in request.group_hosts]
        if not apart:
            raise PlacementError(
                'Anti-affinity needs %d hosts %s, %d are available.'
                % (len(request.group_hosts) + 1, where, len(candidates)))
        candidates = apart

    fitting = [h for h in candidates
               if h.free_ram() >= request.ram_mb and h.free_vcpus(cpu_ratio) >= request.vcpus]
    if not fitting:
        best = max(candidates, key=lambda h: h.free_ram())
        if request.policy == 'affinity' and request.group_hosts:
            raise PlacementError(
                "Affinity keeps this instance on host '%s', which has %d MB RAM free; "
                '%d MB are needed.' % (best.name, best.free_ram(), request.ram_mb))
        raise PlacementError(
            'No host %s has room for %d MB RAM and %d vCPUs (the most free RAM on a '
            'suitable host is %d MB).' % (where, request.ram_mb, request.vcpus, best.free_ram()))
    return max(fitting, key=lambda h: (h.free_ram(), h.name))


def check_fits(host, ram_mb, vcpus, cpu_ratio=4.0):
    """PlacementError unless `host` (its usage without the instance) can take it at this size."""
    if host.free_ram() < ram_mb or host.free_vcpus(cpu_ratio) < vcpus:
        raise PlacementError(
            "Host '%s' has room for %d MB RAM and %d vCPUs beside its other instances; "
            'the new flavor needs %d MB and %d vCPUs.'
            % (host.name, max(host.free_ram(), 0), max(host.free_vcpus(cpu_ratio), 0),
               ram_mb, vcpus))
