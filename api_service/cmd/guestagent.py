"""dbaas-guestagent: one per instance; drives its engine and reports to the conductor."""
from api_service.common import threads

threads.use_threads()  # before anything imports oslo.messaging

import logging
import os
import signal
import sys
import threading

from oslo_config import cfg

from api_service.common import log
from api_service.guestagent import config  # noqa: F401  (registers [guest])
from api_service.guestagent import exit_report
from api_service.guestagent import reporter as reporter_mod
from api_service.guestagent import service
from api_service.rpc import secure

LOG = logging.getLogger(__name__)


def main(argv=None):
    conf = cfg.CONF
    conf.register_opts([cfg.BoolOpt('debug', default=False)])
    conf(sys.argv[1:] if argv is None else argv, project='dbaas')
    guest = conf.guest
    log.setup('guest-%s' % guest.instance_id[:8], conf.debug)
    exit_report.write_pid(guest.run_dir, os.getpid())
    exit_report.clear(guest.run_dir)
    stop = threading.Event()
    try:
        manager, endpoint, server = _start(conf, guest, stop)
    except Exception as error:
        # Said at once to whoever waits for this agent (the driver reads it), so a build
        # fails with this reason instead of waiting for its deadline.
        LOG.exception('the guest agent could not start')
        exit_report.write(guest.run_dir, error)
        return 1
    if os.path.exists(os.path.join(guest.run_dir, 'prepared')):
        threading.Thread(target=endpoint.resume, daemon=True).start()
    threading.Thread(target=endpoint.heartbeat_forever, args=(stop,), daemon=True).start()
    LOG.info('guest agent for %s listening', guest.instance_id)
    stop.wait()
    LOG.info('stopping the engine and the agent')
    try:
        manager.stop()
    except Exception:
        LOG.exception('engine stop failed')
    server.stop()
    return 0


def _start(conf, guest, stop):
    import oslo_messaging as messaging

    transport = messaging.get_rpc_transport(conf)
    reporter = reporter_mod.Reporter(transport, guest.conductor_topic, guest.instance_id,
                                     guest.instance_key)
    manager = service.build_manager(guest)
    endpoint = service.GuestEndpoint(manager, reporter, guest)
    server = messaging.get_rpc_server(
        transport, messaging.Target(topic='guestagent.' + guest.instance_id, server='guest'),
        [endpoint], serializer=secure.SealingSerializer(guest.instance_key))
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server.start()
    return manager, endpoint, server


if __name__ == '__main__':
    sys.exit(main())
