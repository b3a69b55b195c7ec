"""dbaas-taskmanager: runs long operations and the scheduler."""
import sys

from api_service.common import config
from api_service.common import log
from api_service.rpc import service
from api_service.taskmanager.service import TaskManagerEndpoint


def main(argv=None):
    conf = config.load(sys.argv[1:] if argv is None else argv)
    log.setup('taskmanager', conf.debug)
    service.serve('taskmanager', conf.rpc.taskmanager_topic, [TaskManagerEndpoint()])


if __name__ == '__main__':
    main()
