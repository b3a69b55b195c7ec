"""Every configuration option of the service, declared once.

Defaults work for the embedded stack; production overrides them in a config file.
"""
from oslo_config import cfg

# The one import from above `common`: the Swift storage driver declares its own
# options, because the guest agent (which must not import this module) reads them too.
from api_service.drivers.storage import swift as swift_storage

CONF = cfg.CONF

api_opts = [
    cfg.HostAddressOpt('bind_host', default='127.0.0.1',
                       help='Address the API listens on.'),
    cfg.PortOpt('bind_port', default=8779, help='Port the API listens on.'),
    cfg.IntOpt('workers', default=2, min=1, help='API worker processes.'),
    cfg.IntOpt('threads', default=4, min=1, help='Threads per API worker.'),
    cfg.IntOpt('max_page_size', default=1000, min=1,
               help='Largest page a list endpoint returns, whatever limit asks.'),
    cfg.IntOpt('default_page_size', default=20, min=1,
               help='Page size when a list request gives no limit.'),
    cfg.IntOpt('max_body_bytes', default=1024 * 1024,
               help='Largest request body accepted; larger ones get 413.'),
    cfg.IntOpt('max_json_depth', default=32, min=2, max=500,
               help='Deepest nesting of arrays and objects a request body may have; deeper '
                    'bodies get 400 before they are decoded.'),
    cfg.StrOpt('policy_file', default='policy.yaml',
               help='Policy overrides (oslo.policy), relative to the config dir.'),
    cfg.StrOpt('region_name', default='RegionOne',
               help='Region this service runs in, reported by GET /regions.'),
]

database_opts = [
    cfg.FloatOpt('connect_retry_seconds', default=10.0, min=0,
                 help='How long opening a connection to a server database (PostgreSQL, '
                      'MariaDB) is retried while the server restarts, before the request '
                      'gets 503.'),
    cfg.StrOpt('connection', default='sqlite:///dbaas.sqlite', secret=True,
               help='SQLAlchemy URL: sqlite (WAL), mysql+pymysql or postgresql+psycopg.'),
]

quota_opts = [
    cfg.IntOpt('max_instances_per_tenant', default=10, help='Default instances quota.'),
    cfg.IntOpt('max_ram_per_tenant', default=-1, help='Default RAM quota in MB (-1: unlimited).'),
    cfg.IntOpt('max_volumes_per_tenant', default=100, help='Default volume quota in GB.'),
    cfg.IntOpt('max_backups_per_tenant', default=50, help='Default backups quota.'),
]

common_opts = [
    cfg.BoolOpt('debug', default=False, help='Log at DEBUG level.'),
]

compute_opts = [
    cfg.StrOpt('compute_driver', default='local',
               help='Where instances live, a name in api_service.drivers.compute.DRIVERS: '
                    'local (processes on this machine).'),
]

local_driver_opts = [
    cfg.ListOpt('hosts', default=['host-1:nova:16384:8'],
                help='Hosts the local driver places instances on, each '
                     'name:availability_zone:ram_mb:vcpus.'),
    cfg.FloatOpt('cpu_allocation_ratio', default=4.0,
                 help='vCPUs a host may hand out per real vCPU.'),
    cfg.StrOpt('address_pool', default='127.10.0.0/16',
               help='Loopback subnet of the default network, made at first start (db sync); '
                    'later networks are added with `dbaas-manage network create`.'),
    cfg.StrOpt('instances_dir', default='instances',
               help="Where each instance's guest agent keeps its config, sockets and logs."),
    cfg.StrOpt('templates_dir', default='templates',
               help='Pre-initialised engine data directories, copied for fast prepare.'),
    cfg.StrOpt('default_volume_type', default='standard',
               help='Volume type used when a create names none and the version allows it.'),
    cfg.StrOpt('guest_config_file', default=None,
               help='A config file every guest agent reads before its own (broker URL).'),
]

instance_opts = [
    cfg.IntOpt('build_deadline', default=120, min=5,
               help='Seconds a build may take before the instance goes to ERROR.'),
    # Covers the guest's worst restart (rpc/guest_client.RESTART_TIMEOUT: a start that fails
    # with a configuration group's new values and the start with the previous ones), plus
    # starting an exited agent and re-sending its access sources first.
    cfg.IntOpt('operation_deadline', default=240, min=5,
               help='Seconds a restart or resize may take before it is failed.'),
    cfg.IntOpt('heartbeat_interval', default=5, min=1,
               help='Seconds between guest heartbeats.'),
    cfg.BoolOpt('restart_failed_engines', default=True,
                help='Whether a guest restarts its engine when it finds it dead.'),
    cfg.IntOpt('max_volume_size', default=100, min=1, help='Largest volume in GB.'),
    cfg.StrOpt('master_key', secret=True, default=None,
               help='Fernet key that encrypts per-instance RPC keys at rest.'),
]

# Trove's names, in [DEFAULT]; the key is a Fernet key (not Trove's AES-CBC passphrase).
module_opts = [
    cfg.ListOpt('module_types', default=['ping', 'file'],
                help='Module types users may create; each needs a guest module driver of '
                     'that name (entry points dbaas.guest.module_drivers).'),
    cfg.StrOpt('module_key', secret=True, default=None,
               help='Fernet key that seals module contents at rest.'),
    cfg.IntOpt('module_reapply_max_batch_size', default=50, min=1,
               help='Most instances a reapply sends a module to before pausing; '
                    "non-admins can't ask for more."),
    cfg.IntOpt('module_reapply_min_batch_delay', default=2, min=0,
               help="Seconds a reapply pauses between batches; non-admins can't ask for "
                    'less.'),
]

access_opts = [
    cfg.ListOpt('service_cidrs', default=['127.0.0.1/32'],
                help="Where the service's own hosts connect from (the control plane and this "
                     "machine's users): all a private instance admits (allowed_cidrs narrow "
                     'that further). Not the networks: they are shared by every project. '
                     'Live instances get the change when the task manager starts.'),
]

rpc_opts = [
    cfg.StrOpt('taskmanager_topic', default='dbaas-taskmanager',
               help='RPC topic of the task manager.'),
    cfg.StrOpt('conductor_topic', default='dbaas-conductor',
               help='RPC topic of the conductor.'),
    cfg.IntOpt('rpc_ping_timeout', default=5, help='Seconds a ping may take.'),
]

backup_opts = [
    cfg.StrOpt('storage_root', default='backups',
               help='Root directory of the local backup object store.'),
    cfg.IntOpt('deadline', default=3600, min=10,
               help='Seconds a backup may take before it is failed.'),
    cfg.StrOpt('storage_backend', default='local', choices=['local', 'swift'],
               help='Where backups are stored: the local directory storage_root, or Swift '
                    '(configured in [backup_swift]); guest agents get the same.'),
    cfg.IntOpt('delete_retry_interval', default=10, min=1,
               help='Seconds before the janitor retries deleting the objects of a backup whose '
                    'delete failed (DELETE_FAILED); doubled after each failure, up to '
                    'delete_retry_max_interval.'),
    cfg.IntOpt('delete_retry_max_interval', default=600, min=1,
               help='The longest wait between two attempts to delete a backup\'s objects.'),
    cfg.IntOpt('delete_attempt_timeout', default=300, min=10,
               help='Seconds an attempt to delete a backup\'s objects may take; one that has '
                    'not ended by then (its task manager died) is made again by the janitor.'),
]

backup_swift_opts = swift_storage.conf_options()

metrics_opts = [
    cfg.IntOpt('interval_seconds', default=60, min=5, max=3600,
               help="Seconds each stored metrics sample of an instance covers: a day's "
                    'samples are kept per instance in 86400 / interval_seconds slots that '
                    'the heartbeats overwrite in turn (a ring, never growing).'),
]


def register_opts(conf=CONF):
    conf.register_opts(api_opts, group='api')
    conf.register_opts(database_opts, group='database')
    conf.register_opts(quota_opts, group='quota')
    conf.register_opts(common_opts)
    conf.register_opts(compute_opts)
    conf.register_opts(local_driver_opts, group='local_driver')
    conf.register_opts(instance_opts, group='instance')
    conf.register_opts(backup_opts, group='backup')
    conf.register_opts(backup_swift_opts, group='backup_swift')
    conf.register_opts(rpc_opts, group='rpc')
    conf.register_opts(access_opts, group='access')
    conf.register_opts(module_opts)
    conf.register_opts(metrics_opts, group='metrics')


def list_opts():
    """For oslo-config-generator."""
    return [('DEFAULT', common_opts + compute_opts + module_opts), ('api', api_opts), ('database', database_opts),
            ('quota', quota_opts), ('local_driver', local_driver_opts),
            ('instance', instance_opts), ('backup', backup_opts),
            ('backup_swift', backup_swift_opts), ('rpc', rpc_opts), ('access', access_opts),
            ('metrics', metrics_opts)]


register_opts()


def load(argv=None, config_files=None):
    """Parse the command line and config files into CONF."""
    CONF(argv if argv is not None else [], project='dbaas',
         default_config_files=config_files)
    return CONF

