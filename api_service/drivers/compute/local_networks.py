"""The local driver's networks: loopback subnets that instance addresses come from."""
import ipaddress

from sqlalchemy import select

from api_service.common.config import CONF
from api_service.db import models_instances as m
from api_service.drivers.compute.base import DriverError


def allocate_address(session, instance):
    """The lowest free address of the pool; the unique column settles races."""
    pool = ipaddress.ip_network(CONF.local_driver.address_pool)
    used = set(session.scalars(select(m.Instance.address).where(m.Instance.address.is_not(None))))
    for address in pool.hosts():
        text = str(address)
        if text not in used and not text.endswith('.0') and not text.endswith('.255'):
            instance.address = text
            return text
    raise DriverError('The address pool %s is exhausted.' % pool)
