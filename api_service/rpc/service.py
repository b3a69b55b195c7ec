"""Runs an RPC server until SIGTERM/SIGINT: the body of taskmanager and conductor."""
import logging
import signal
import socket
import threading

from api_service.rpc import transport

LOG = logging.getLogger(__name__)


class PingEndpoint:
    """Every service answers rpc_ping, so launchers and monitors can see it is alive."""

    def __init__(self, name):
        self.name = name

    def rpc_ping(self, ctxt):
        return {'service': self.name, 'host': socket.gethostname()}


def serve(name, topic, endpoints):
    stop = threading.Event()
    server = transport.server(topic, socket.gethostname(), [PingEndpoint(name)] + endpoints)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server.start()
    LOG.info('%s listening on topic %s', name, topic)
    stop.wait()
    LOG.info('%s stopping', name)
    server.stop()
    server.wait()
