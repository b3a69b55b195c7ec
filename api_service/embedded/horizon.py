"""Horizon with our plugin under gunicorn; static files come from the install step."""
import os
import signal

import requests

from api_service.embedded import process


def start(layout, secrets):
    env = dict(os.environ, DJANGO_SETTINGS_MODULE='openstack_dashboard.settings',
               DBAAS_KEYSTONE_URL=layout.keystone_url,
               DBAAS_HORIZON_SECRET_KEY=secrets['horizon_secret_key'],
               TROVECLIENT_UUID_CACHE_DIR=layout.ensure('horizon', 'troveclient-cache'))
    argv = [layout.binary('gunicorn'), '--bind', '127.0.0.1:%d' % layout.ports.horizon,
            '--workers', '2', '--threads', '4', '--worker-class', 'gthread',
            '--graceful-timeout', '1', '--name', 'dbaas-horizon', '--timeout', '120',
            'trove_dashboard.wsgi:application']
    return process.Child('horizon', argv, layout.log_file('horizon'), env=env,
                         stop_signal=signal.SIGQUIT).start()  # gunicorn: quick stop


def ready(layout):
    return requests.get(layout.horizon_url + '/auth/login/', timeout=2).status_code == 200
