"""The guest agent's options: who it is, where its engine lives, how to report."""
from oslo_config import cfg

from api_service.drivers.storage import swift as swift_storage

CONF = cfg.CONF

guest_opts = [
    cfg.StrOpt('instance_id', required=True, help='The instance this agent serves.'),
    cfg.StrOpt('manager', required=True, help='Engine manager: mariadb, postgresql, redis.'),
    cfg.StrOpt('engine_path', required=True, help='Directory of the engine binaries.'),
    cfg.StrOpt('data_dir', required=True, help="The instance's volume (engine data)."),
    cfg.StrOpt('run_dir', required=True, help='Sockets, pid files, engine config and log.'),
    cfg.StrOpt('modules_dir',
               help="Where applied modules and the files their drivers place live; default "
                    "<run_dir>/modules, inside the instance's own directory so deleting the "
                    "instance removes them."),
    cfg.StrOpt('template_dir', help='Cache of a pristine data directory for fast prepare.'),
    cfg.HostAddressOpt('address', required=True, help="The instance's own address."),
    cfg.IntOpt('memory_mb', required=True, help="The flavor's RAM."),
    cfg.StrOpt('admin_password', secret=True, required=True,
               help="The agent's own engine credential."),
    cfg.StrOpt('instance_key', secret=True, required=True,
               help='Fernet key sealing RPC payloads for this instance.'),
    cfg.IntOpt('heartbeat_interval', default=5, help='Seconds between heartbeats.'),
    cfg.BoolOpt('restart_failed_engines', default=True,
                help='Restart the engine when a heartbeat finds it dead.'),
    cfg.StrOpt('conductor_topic', default='dbaas-conductor', help='Where reports go.'),
    cfg.StrOpt('backup_storage_backend', default='local', choices=['local', 'swift'],
               help='Where backups go: backup_storage_root, or Swift as in [backup_swift].'),
    cfg.StrOpt('backup_storage_root', help='Root of the local backup object store.'),
]

CONF.register_opts(guest_opts, group='guest')
CONF.register_opts(swift_storage.conf_options(), group='backup_swift')
