"""dbaas-conductor: records what guests report."""
from api_service.common import threads

threads.use_threads()  # before anything imports oslo.messaging

import sys

from api_service.common import config
from api_service.common import log
from api_service.conductor.service import ConductorEndpoint
from api_service.rpc import service


def main(argv=None):
    conf = config.load(sys.argv[1:] if argv is None else argv)
    log.setup('conductor', conf.debug)
    service.serve('conductor', conf.rpc.conductor_topic, [ConductorEndpoint()])


if __name__ == '__main__':
    main()
