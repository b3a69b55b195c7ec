"""Our own processes: config file, schema and catalogue seeding, api, taskmanager, conductor."""
import glob
import os
import signal
import time

import requests

from api_service.embedded import process
from api_service.embedded import rabbitmq

CONFIG_TEMPLATE = """[DEFAULT]
transport_url = {transport_url}
debug = false
module_key = {module_key}
module_types = {module_types}

{rabbit_reconnect}
[api]
bind_port = {api_port}
policy_file = {policy_file}

[database]
connection = {database_url}

[local_driver]
hosts = host-1:nova:16384:8,host-2:nova:16384:8,host-3:zone-b:8192:4
address_pool = {address_pool}
instances_dir = {instances_dir}
templates_dir = {templates_dir}
guest_config_file = {guest_config}

[backup]
storage_root = {backups}
deadline = {backup_deadline}

[instance]
master_key = {master_key}
heartbeat_interval = {heartbeat}
build_deadline = {build_deadline}
operation_deadline = {operation_deadline}

[metrics]
interval_seconds = {metrics_interval}

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


# The broker is on loopback: after it restarts, reconnect within 2 s rather than oslo's
# back-off to 30 s, so a server's queue is back before a cast's delivery window (30 s) ends.
RABBIT_RECONNECT = """[oslo_messaging_rabbit]
rabbit_retry_interval = 1
rabbit_retry_backoff = 1
rabbit_interval_max = 2
"""


def write_config(layout, secrets):
    layout.ensure('etc')
    text = CONFIG_TEMPLATE.format(
        transport_url=rabbitmq.transport_url(layout, secrets), api_port=layout.ports.api,
        rabbit_reconnect=RABBIT_RECONNECT,
        policy_file=layout.path('etc', 'policy.yaml'), database_url=database_url(layout),
        keystone=layout.keystone_url, service_password=secrets['service_password'],
        instances_dir=layout.instance_path('instances'),
        templates_dir=layout.instance_path('templates'),
        guest_config=layout.path('etc', 'guest.conf'), master_key=secrets['master_key'],
        module_key=secrets['module_key'],
        backups=layout.ensure('backups'),
        # Stacks side by side (STACK_PORT_OFFSET) must not hand out the same addresses.
        address_pool='127.%d.0.0/16' % (10 + int(os.environ.get('STACK_PORT_OFFSET', '0'))
                                        // 100 % 240),
        # Tests shorten these to see heartbeats and deadlines act quickly.
        heartbeat=int(os.environ.get('STACK_HEARTBEAT_INTERVAL', '5')),
        build_deadline=int(os.environ.get('STACK_BUILD_DEADLINE', '120')),
        backup_deadline=int(os.environ.get('STACK_BACKUP_DEADLINE', '3600')),
        operation_deadline=int(os.environ.get('STACK_OPERATION_DEADLINE', '240')),
        # Tests shorten it to see an instance's metrics grow within seconds.
        metrics_interval=int(os.environ.get('STACK_METRICS_INTERVAL', '60')),
        # Tests add the types of their own guest module drivers (tests/fixtures).
        module_types=os.environ.get('STACK_MODULE_TYPES', 'ping,file'))
    fd = os.open(layout.config_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        handle.write(text)


def database_url(layout):
    """DBAAS_DATABASE_URL (a server database: postgresql+psycopg://…, mysql+pymysql://…) if
    set, else the stack's own SQLite file; oslo.config would read a `$` as a reference."""
    url = os.environ.get('DBAAS_DATABASE_URL') or 'sqlite:///' + layout.path('dbaas.sqlite')
    return url.replace('$', '$$')


def write_guest_config(layout, secrets):
    """What every guest agent reads first: only the broker, nothing of the control plane."""
    text = ('[DEFAULT]\ntransport_url = %s\n\n' % rabbitmq.transport_url(layout, secrets)
            + RABBIT_RECONNECT)
    fd = os.open(layout.path('etc', 'guest.conf'), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        handle.write(text)


def stop_guests(layout):
    """Stop every instance's agent (each stops its engine); the task manager restarts them."""
    pids = []
    for pid_file in glob.glob(layout.instance_path('instances', '*', 'agent.pid')):
        try:
            with open(pid_file) as handle:
                pid = int(handle.read())
            os.kill(pid, signal.SIGTERM)
            pids.append(pid)
        except (OSError, ValueError):
            pass
    deadline = time.monotonic() + 30
    while pids and time.monotonic() < deadline:
        pids = [p for p in pids if _alive(p)]
        time.sleep(0.05)
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass


def _alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return handle.read().split(')')[-1].split()[0] != 'Z'
    except OSError:
        return False


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
                                                 engine.manager, engine.path,
                                                 capabilities=engine.capabilities)
    # Seeded on the first start only: afterwards they are the operator's to change.
    catalogue_admin.seed_flavors(FLAVORS)
    catalogue_admin.seed_volume_types([(name, layout.ensure_instance_dir('volumes', name), text)
                                       for name, text in VOLUME_TYPES])


def start(layout, name):
    argv = [layout.binary('dbaas-' + name), '--config-file', layout.config_file]
    # gunicorn (api) stops at once on SIGQUIT; the RPC services stop cleanly on SIGTERM.
    stop_signal = signal.SIGQUIT if name == 'api' else signal.SIGTERM
    return process.Child(name, argv, layout.log_file(name), stop_signal=stop_signal).start()


def api_ready(layout):
    return requests.get(layout.api_url + '/', timeout=1).status_code == 200
