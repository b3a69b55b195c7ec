"""Our own processes: config file, schema and catalogue seeding, api, taskmanager, conductor."""
import os
import signal

import requests

from api_service.embedded import process
from api_service.embedded import rabbitmq

CONFIG_TEMPLATE = """[DEFAULT]
transport_url = {transport_url}
debug = false

[api]
bind_port = {api_port}
policy_file = {policy_file}

[database]
connection = sqlite:///{db}

[local_driver]
hosts = host-1:nova:16384:8,host-2:nova:16384:8,host-3:zone-b:8192:4

[keystone_authtoken]
www_authenticate_uri = {keystone}/v3
auth_url = {keystone}/v3
auth_type = password
username = dbaas
password = {service_password}
project_name = service
user_domain_id = default
project_domain_id = default
memcached_servers =
token_cache_time = 300
"""

FLAVORS = [('1', 'db.tiny', 256, 1), ('2', 'db.small', 512, 1), ('3', 'db.medium', 1024, 2),
           ('4', 'db.large', 2048, 2)]
VOLUME_TYPES = [('standard', 'Data directories on the default volume root.'),
                ('fast', 'Data directories on the fast volume root.')]


def write_config(layout, secrets):
    layout.ensure('etc')
    text = CONFIG_TEMPLATE.format(
        transport_url=rabbitmq.transport_url(layout, secrets), api_port=layout.ports.api,
        policy_file=layout.path('etc', 'policy.yaml'), db=layout.path('dbaas.sqlite'),
        keystone=layout.keystone_url, service_password=secrets['service_password'])
    fd = os.open(layout.config_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        handle.write(text)


def prepare_database(layout):
    """Schema migrations and the embedded catalogue, in this process (idempotent)."""
    from api_service.common import config
    from api_service.db import migration
    from api_service.domain import catalogue_admin
    from api_service.drivers.compute import local_engines

    config.load(['--config-file', layout.config_file])
    migration.sync()
    for engine in local_engines.discover():
        catalogue_admin.upsert_datastore_version(engine.datastore, engine.name, engine.version,
                                                 engine.manager, engine.path)
    for flavor_id, name, ram, vcpus in FLAVORS:
        catalogue_admin.upsert_flavor(flavor_id, name, ram, vcpus)
    for name, text in VOLUME_TYPES:
        catalogue_admin.upsert_volume_type(name, layout.ensure('volumes', name), text)


def start(layout, name):
    argv = [layout.binary('dbaas-' + name), '--config-file', layout.config_file]
    # gunicorn (api) stops at once on SIGQUIT; the RPC services stop cleanly on SIGTERM.
    stop_signal = signal.SIGQUIT if name == 'api' else signal.SIGTERM
    return process.Child(name, argv, layout.log_file(name), stop_signal=stop_signal).start()


def api_ready(layout):
    return requests.get(layout.api_url + '/', timeout=1).status_code == 200
