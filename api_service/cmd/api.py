"""dbaas-api: the REST API under gunicorn."""
import sys

from gunicorn.app.base import BaseApplication

from api_service.common import config
from api_service.common import log
from api_service.domain import access
from api_service.drivers import compute


class _Server(BaseApplication):

    def __init__(self, conf, argv):
        self.conf = conf
        self.argv = argv
        super().__init__()

    def load_config(self):
        api = self.conf.api
        self.cfg.set('bind', '%s:%d' % (api.bind_host, api.bind_port))
        self.cfg.set('workers', api.workers)
        self.cfg.set('threads', api.threads)
        self.cfg.set('worker_class', 'gthread')
        self.cfg.set('accesslog', None)
        self.cfg.set('graceful_timeout', 1)
        # Idle keep-alive connections stay open this long (gthread keeps them in its poller, not
        # in a thread). With gunicorn's 2 s, a client pausing about 2 s between calls sends its
        # next request on a connection the server is closing that instant and gets no answer
        # (bench/load.py saw it); 75 s is nginx's default.
        self.cfg.set('keepalive', 75)
        self.cfg.set('proc_name', 'dbaas-api')

    def load(self):
        # Each worker builds its own app: token caches and DB pools are per process.
        from api_service.api import app
        return app.build_app()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    conf = config.load(argv)
    log.setup('api', conf.debug)
    compute.check_configured('dbaas-api')
    access.check_configured('dbaas-api')
    _Server(conf, argv).run()


if __name__ == '__main__':
    main()
