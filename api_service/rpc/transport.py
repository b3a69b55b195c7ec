"""One oslo.messaging transport per process, from [DEFAULT] transport_url."""
import functools

import oslo_messaging as messaging

from api_service.common.config import CONF
from api_service.rpc.delivery import DELIVERED


@functools.lru_cache(maxsize=None)
def get_transport():
    return messaging.get_rpc_transport(CONF)


def client(topic, version, server=None, timeout=None):
    """Its casts are published mandatory: send them with delivery.cast_delivered."""
    target = messaging.Target(topic=topic, version=version, server=server)
    return messaging.get_rpc_client(get_transport(), target, version_cap=version,
                                    timeout=timeout, transport_options=DELIVERED)


def server(topic, host, endpoints):
    """A threading RPC server for `topic` on this host."""
    target = messaging.Target(topic=topic, server=host)
    return messaging.get_rpc_server(get_transport(), target, endpoints)
