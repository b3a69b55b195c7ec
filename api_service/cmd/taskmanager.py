"""dbaas-taskmanager: runs long operations and the scheduler."""
from api_service.common import threads

threads.use_threads()  # before anything imports oslo.messaging

import logging
import sys
import threading

from api_service.common import config
from api_service.common import log
from api_service.domain import access
from api_service.drivers import compute
from api_service.rpc import service
from api_service.taskmanager import owners
from api_service.taskmanager import service as tm_service
from api_service.taskmanager.service import TaskManagerEndpoint


def main(argv=None):
    conf = config.load(sys.argv[1:] if argv is None else argv)
    log.setup('taskmanager', conf.debug)
    compute.check_configured('dbaas-taskmanager')
    access.check_configured('dbaas-taskmanager')
    stop = threading.Event()
    # Seen alive before the first cast is taken (a claim by a task manager without a row
    # is a dead one's to the others), then every second whatever the janitor does.
    try:
        owners.touch()
    except Exception:   # the service database not reachable yet: the heartbeat tries again
        logging.getLogger(__name__).exception('first heartbeat failed')
    threading.Thread(target=owners.heartbeat_forever, args=(stop,), name='heartbeat',
                     daemon=True).start()
    tm_service.resume_guests()
    threading.Thread(target=tm_service.janitor_forever, args=(stop,), daemon=True).start()
    threading.Thread(target=tm_service.scheduler_forever, args=(stop,), daemon=True).start()
    service.serve('taskmanager', conf.rpc.taskmanager_topic, [TaskManagerEndpoint()])
    stop.set()


if __name__ == '__main__':
    main()
