"""Logging set-up shared by every console script."""
import logging
import sys


def setup(name, debug=False):
    logging.basicConfig(
        stream=sys.stderr, level=logging.DEBUG if debug else logging.INFO,
        format='%(asctime)s %(process)d %(levelname)s ' + name + ' %(name)s: %(message)s')
    for noisy in ('amqp', 'kombu', 'oslo_messaging._drivers', 'stevedore', 'oslo_policy'):
        logging.getLogger(noisy).setLevel(logging.WARNING)
