"""Placement: capacity, zones, affinity and anti-affinity as real decisions."""
import pytest

from api_service.drivers.compute.placement import (HostUsage, PlacementError, Request, check_fits,
                                                   choose_host)


def hosts(*specs):
    return [HostUsage(name, zone, ram, cpus, used) for name, zone, ram, cpus, used in specs]


def test_most_free_ram_wins():
    chosen = choose_host(hosts(('a', 'nova', 4096, 4, 3000), ('b', 'nova', 4096, 4, 1000)),
                         Request(512, 1))
    assert chosen.name == 'b'


def test_zone_is_honoured_and_unknown_zone_named():
    pool = hosts(('a', 'nova', 4096, 4, 0), ('b', 'east', 1024, 4, 0))
    assert choose_host(pool, Request(512, 1, availability_zone='east')).name == 'b'
    with pytest.raises(PlacementError, match="'west' does not exist.*east, nova"):
        choose_host(pool, Request(512, 1, availability_zone='west'))


def test_full_zone_fails_saying_how_much_is_free():
    pool = hosts(('a', 'nova', 4096, 4, 0), ('b', 'east', 1024, 4, 768))
    with pytest.raises(PlacementError, match="availability zone 'east'.*512 MB RAM.*256 MB"):
        choose_host(pool, Request(512, 1, availability_zone='east'))


def test_vcpus_count_with_allocation_ratio():
    pool = hosts(('a', 'nova', 8192, 1, 0))
    pool[0].used_vcpus = 4
    with pytest.raises(PlacementError):
        choose_host(pool, Request(256, 1), cpu_ratio=4.0)
    assert choose_host(pool, Request(256, 1), cpu_ratio=5.0).name == 'a'


def test_affinity_keeps_group_together_even_when_others_are_freer():
    pool = hosts(('a', 'nova', 4096, 4, 2000), ('b', 'nova', 4096, 4, 0), ('c', 'nova', 4096, 4, 0))
    request = Request(512, 1, policy='affinity', group_hosts=frozenset({'a'}))
    assert choose_host(pool, request).name == 'a'
    first = choose_host(pool, Request(512, 1, policy='affinity'))
    assert first.name in {'b', 'c'}


def test_affinity_fails_when_its_host_is_full():
    pool = hosts(('a', 'nova', 1024, 4, 1024), ('b', 'nova', 4096, 4, 0))
    with pytest.raises(PlacementError, match="host 'a'.*0 MB RAM free"):
        choose_host(pool, Request(512, 1, policy='affinity', group_hosts=frozenset({'a'})))


def test_anti_affinity_spreads_members_then_fails_clearly():
    pool = hosts(('a', 'nova', 4096, 4, 0), ('b', 'nova', 4096, 4, 0))
    used = set()
    for _ in range(2):
        chosen = choose_host(pool, Request(512, 1, policy='anti-affinity',
                                           group_hosts=frozenset(used)))
        assert chosen.name not in used
        used.add(chosen.name)
        chosen.used_ram_mb += 512
    assert used == {'a', 'b'}
    with pytest.raises(PlacementError, match='Anti-affinity needs 3 hosts.*2 are available'):
        choose_host(pool, Request(512, 1, policy='anti-affinity', group_hosts=frozenset(used)))


def test_a_resize_fits_only_in_what_the_other_instances_leave():
    (host,) = hosts(('a', 'nova', 4096, 2, 3072))       # others use 3 GiB of 4
    check_fits(host, 1024, 2, cpu_ratio=1.0)
    with pytest.raises(PlacementError, match="Host 'a' has room for 1024 MB RAM and 2 vCPUs.*"
                                             "needs 2048 MB and 1 vCPUs"):
        check_fits(host, 2048, 1, cpu_ratio=1.0)
    with pytest.raises(PlacementError, match='needs 512 MB and 3 vCPUs'):
        check_fits(host, 512, 3, cpu_ratio=1.0)
