"""Small guards: a driver spec never shows its key, networks stay off the service's hosts,
and a service with an unknown compute driver does not start."""
import pytest

from api_service.drivers import compute
from api_service.drivers.compute import base
from api_service.drivers.compute import local_networks


def test_a_guest_spec_never_shows_its_instance_key():
    spec = base.GuestSpec('i-1', 'mariadb', '10.11.19', '/usr/sbin', 512, 'the-secret-key')
    assert 'the-secret-key' not in repr(spec) and 'the-secret-key' not in str(spec)


def test_a_network_may_not_overlap_the_service_hosts(conf):
    with pytest.raises(ValueError, match=r"overlaps the service's own hosts"):
        local_networks.create_network('sneaky', '127.0.0.0/24')


def test_an_unknown_compute_driver_stops_the_start_saying_so(conf):
    conf.set_override('compute_driver', 'nova-ish')
    compute.get_driver.cache_clear()
    try:
        with pytest.raises(SystemExit, match="dbaas-api: Unknown compute driver 'nova-ish'"):
            compute.check_configured('dbaas-api')
    finally:
        conf.clear_override('compute_driver')
        compute.get_driver.cache_clear()


def test_a_bad_service_cidr_stops_the_start_saying_so(conf):
    from api_service.domain import access
    conf.set_override('service_cidrs', ['127.0.0.1/32', 'localhost'], 'access')
    try:
        with pytest.raises(SystemExit, match=r"dbaas-api: \[access\] service_cidrs: 'localhost' "
                                             'is not a CIDR'):
            access.check_configured('dbaas-api')
    finally:
        conf.clear_override('service_cidrs', 'access')
    access.check_configured('dbaas-api')      # the default is fine
