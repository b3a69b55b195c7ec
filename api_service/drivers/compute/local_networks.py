"""The local driver's networks: loopback subnets that instance addresses come from.

A network is an operator-defined row (`dbaas-manage network create`) with one subnet. The
default network is made by the schema migration at first start, with a stable id and the
subnet of [local_driver] address_pool; an instance created without `nics` lands on it.

Placement calls `allocate_address`: the instance's requested address if it asked for one,
else the lowest free address of its network. The unique column on instances.address
settles a race between two placements; the loser gets a DriverError its build fails with.
"""
import ipaddress

from sqlalchemy import exc, or_, select

from api_service.common.config import CONF
from api_service.db import models_instances as m
from api_service.db.session import read_scope, session_scope
from api_service.drivers.compute.base import DriverError, Network

# Made by migration 0009; stable, so clients may name it.
DEFAULT_NETWORK_ID = 'ae757d82-f754-406a-a949-f5471ff50dad'
# Instance engines bind their address on this machine: only loopback addresses work.
LOOPBACK = ipaddress.ip_network('127.0.0.0/8')
_NETWORKS = m.Network.__table__
_ALL_NETWORKS = select(_NETWORKS).order_by(_NETWORKS.c.is_default.desc(), _NETWORKS.c.name)


def _network(row):
    return Network(row.id, row.name, row.cidr, bool(row.is_default), row.subnet_id)


def load_networks():
    """Every network, the default first, then by name."""
    with read_scope() as conn:
        return tuple(_network(r) for r in conn.execute(_ALL_NETWORKS))


def is_assignable(cidr, address):
    """Whether `address` (text) may be given to an instance on the subnet `cidr`."""
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        return False
    subnet = ipaddress.ip_network(cidr)
    return ip in subnet and ip not in (subnet.network_address, subnet.broadcast_address)


def create_network(name, cidr, default=False):
    """An operator's new network; ValueError, in the operator's words, if it cannot be."""
    try:
        subnet = ipaddress.IPv4Network(cidr)
    except ValueError as error:
        raise ValueError('%s is not an IPv4 subnet such as 127.20.0.0/16: %s' % (cidr, error))
    if not subnet.subnet_of(LOOPBACK):
        raise ValueError('%s is not a loopback subnet (inside 127.0.0.0/8): the local driver '
                         "binds instances' engines on this machine." % subnet)
    if subnet.num_addresses < 4:
        raise ValueError('%s is too small: it has no address for an instance.' % subnet)
    for service in CONF.access.service_cidrs:
        if ipaddress.ip_network(service, strict=False).overlaps(subnet):
            raise ValueError("%s overlaps the service's own hosts ([access] service_cidrs %s): "
                             'an instance there would pass for the service in access rules.'
                             % (subnet, service))
    with session_scope() as session:
        for other in session.scalars(select(m.Network)):
            if other.name == name:
                raise ValueError("A network named '%s' exists already (%s)." % (name, other.id))
            if ipaddress.ip_network(other.cidr).overlaps(subnet):
                raise ValueError("%s overlaps network '%s' (%s)." % (subnet, other.name,
                                                                     other.cidr))
            if default:
                other.is_default = False
        row = m.Network(name=name, cidr=str(subnet), is_default=default)
        session.add(row)
        session.flush()
        return _network(row)


def _network_of(session, instance):
    network = None
    if instance.network_id:
        network = session.get(m.Network, instance.network_id)
    else:
        network = session.scalars(select(m.Network).where(m.Network.is_default.is_(True))).first()
    if network is None:
        raise DriverError('The network the instance was created on no longer exists.')
    return network


def allocate_address(session, instance):
    """Give `instance` its address on its network and record it; returns the address.

    The requested address if the create asked for one (DriverError if another instance
    has it by now), else the lowest free one, skipping addresses other instances asked
    for and have not been given yet.
    """
    network = _network_of(session, instance)
    instance.network_id = network.id
    # Whatever the caller decided (host, zone) is written before the address is tried,
    # so a refused address rolls back only itself.
    session.flush()
    if instance.requested_address:
        address = instance.requested_address
        if not is_assignable(network.cidr, address):
            raise DriverError('The address %s is not inside network %s (%s).'
                              % (address, network.name, network.cidr))
        if _taken(session, instance, address) or not _claim(session, instance, address):
            raise DriverError('The address %s on network %s was taken by another instance; '
                              'create the instance with another address.'
                              % (address, network.name))
        return address
    for address in _free_addresses(session, instance, network):
        if _claim(session, instance, address):
            return address
    raise DriverError('Network %s (%s) has no free address left.' % (network.name, network.cidr))


def _taken(session, instance, address):
    return session.scalars(select(m.Instance.id).where(
        m.Instance.id != instance.id, m.Instance.address == address)).first() is not None


def _free_addresses(session, instance, network):
    # Networks never overlap, so only this network's instances (and rows not yet given a
    # network) can hold its addresses.
    used = set()
    for address, requested in session.execute(
            select(m.Instance.address, m.Instance.requested_address).where(
                m.Instance.id != instance.id,
                or_(m.Instance.network_id == network.id, m.Instance.network_id.is_(None)),
                or_(m.Instance.address.is_not(None), m.Instance.requested_address.is_not(None)))):
        used.update((address, requested))
    for ip in ipaddress.ip_network(network.cidr).hosts():
        text = str(ip)
        # .0 and .255 look like network and broadcast addresses to people and some tools.
        if text not in used and not text.endswith('.0') and not text.endswith('.255'):
            yield text


def _claim(session, instance, address):
    """Write the address under a savepoint; False if the unique column refused it."""
    try:
        with session.begin_nested():
            instance.address = address
            session.flush()
        return True
    except exc.IntegrityError:
        return False
