"""Networks as users see them, and what a create's `nics` asks for.

Networks come from the compute driver. A create may name one network (`net-id` or
`network_id`, as upstream Trove takes them), or its subnet (`subnet_id`), and a fixed
`ip_address` inside it; without `nics` the instance lands on the default network.
"""
import ipaddress

from sqlalchemy import or_, select

from api_service.common import exceptions
from api_service.db import models_instances as m
from api_service.drivers.compute import get_driver


def list_networks():
    """Every network instances may attach to, the default first."""
    return get_driver().list_networks()


def _named(networks):
    return ', '.join('%s (%s)' % (n.name, n.id) for n in networks) or 'none'


def resolve_nics(nics):
    """The network and requested address (or None) that `nics` asks for; 400 if it cannot be.

    Upstream Trove attaches one network (its schema allows one nic); so do we.
    """
    networks = list_networks()
    if not nics:
        network = next((n for n in networks if n.is_default), None)
        if network is None:
            raise exceptions.BadRequest('This deployment has no default network: name one in '
                                        'nics; networks: %s.' % _named(networks))
        return network, None
    if len(nics) > 1:
        raise exceptions.BadRequest('An instance attaches to one network: give nics one entry, '
                                    'not %d.' % len(nics))
    nic = nics[0]
    network_id = nic.get('network_id') or nic.get('net-id')
    if nic.get('network_id') and nic.get('net-id') and nic['network_id'] != nic['net-id']:
        raise exceptions.BadRequest("nics: net-id '%s' and network_id '%s' name different "
                                    'networks; give one.' % (nic['net-id'], nic['network_id']))
    subnet_id = nic.get('subnet_id')
    if not network_id and not subnet_id:
        raise exceptions.BadRequest('nics: name the network (net-id or network_id) or its '
                                    'subnet (subnet_id).')
    network = None
    if network_id:
        network = next((n for n in networks if n.id == network_id), None)
        if network is None:
            raise exceptions.BadRequest("Network '%s' does not exist; networks: %s."
                                        % (network_id, _named(networks)))
    if subnet_id:
        in_subnet = next((n for n in networks if n.subnet_id == subnet_id), None)
        if in_subnet is None:
            raise exceptions.BadRequest("Subnet '%s' does not exist." % subnet_id)
        if network is not None and network.id != in_subnet.id:
            raise exceptions.BadRequest("Subnet '%s' is not in network %s (%s)."
                                        % (subnet_id, network.name, network.id))
        network = in_subnet
    return network, _requested_address(network, nic.get('ip_address'))


def _requested_address(network, text):
    if text is None:
        return None
    try:
        address = ipaddress.IPv4Address(text)
    except ValueError:
        raise exceptions.BadRequest("nics: ip_address '%s' is not an IPv4 address."
                                    % str(text)[:64])
    subnet = ipaddress.ip_network(network.cidr)
    if address not in subnet or address in (subnet.network_address, subnet.broadcast_address):
        raise exceptions.BadRequest('The address %s is not inside network %s (%s): pick a host '
                                    'address of %s.' % (address, network.name, network.id,
                                                        network.cidr))
    return str(address)


def check_address_free(session, network, address):
    """400 if another instance has, or asked for, `address`; the unique column on
    instances.address settles what this read cannot see (a create committing at once)."""
    if address is None:
        return
    taken = session.scalars(select(m.Instance.id).where(or_(
        m.Instance.address == address, m.Instance.requested_address == address))).first()
    if taken is not None:
        raise exceptions.BadRequest('The address %s on network %s (%s) is already taken.'
                                    % (address, network.name, network.id))
