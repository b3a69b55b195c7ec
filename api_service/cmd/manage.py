"""dbaas-manage: database schema and operator-defined catalogue.

  dbaas-manage --config-file F db sync
  dbaas-manage --config-file F flavor create ID NAME --ram MB --vcpus N [--disk GB]
  dbaas-manage --config-file F flavor list
  dbaas-manage --config-file F volume-type create NAME --root DIR [--description TEXT]
  dbaas-manage --config-file F datastore discover        (seed versions of installed engines)
  dbaas-manage --config-file F datastore restrict-flavors DS VERSION [FLAVOR_ID ...]
  dbaas-manage --config-file F datastore restrict-volume-types DS VERSION [TYPE ...]
  dbaas-manage --config-file F network create NAME CIDR [--default]
  dbaas-manage --config-file F network list
"""
import argparse
import sys

from api_service.common import config


def _parser():
    parser = argparse.ArgumentParser(prog='dbaas-manage')
    parser.add_argument('--config-file', action='append', default=[])
    sub = parser.add_subparsers(dest='group', required=True)

    db = sub.add_parser('db').add_subparsers(dest='action', required=True)
    db.add_parser('sync', help='Upgrade the schema to the newest revision.')
    db.add_parser('version', help='Print the current schema revision.')

    flavor = sub.add_parser('flavor').add_subparsers(dest='action', required=True)
    create = flavor.add_parser('create')
    create.add_argument('id')
    create.add_argument('name')
    create.add_argument('--ram', type=int, required=True, help='Memory in MB.')
    create.add_argument('--vcpus', type=int, required=True)
    create.add_argument('--disk', type=int, default=0, help='Root disk in GB.')
    flavor.add_parser('list')

    vtype = sub.add_parser('volume-type').add_subparsers(dest='action', required=True)
    create = vtype.add_parser('create')
    create.add_argument('name')
    create.add_argument('--root', required=True, help='Directory holding volumes of this type.')
    create.add_argument('--description', default='')

    ds = sub.add_parser('datastore').add_subparsers(dest='action', required=True)
    ds.add_parser('discover', help='Register a version for every installed engine.')
    for name in ('restrict-flavors', 'restrict-volume-types'):
        restrict = ds.add_parser(name)
        restrict.add_argument('datastore')
        restrict.add_argument('version')
        restrict.add_argument('allowed', nargs='*')

    network = sub.add_parser('network').add_subparsers(dest='action', required=True)
    create = network.add_parser('create', help='Add a network instances may attach to.')
    create.add_argument('name')
    create.add_argument('cidr', help='Its subnet, a loopback range such as 127.20.0.0/16.')
    create.add_argument('--default', action='store_true',
                        help='Instances created without nics land on it from now on.')
    network.add_parser('list')
    return parser


def _network_command(args):
    from api_service.drivers.compute import local_networks
    if args.action == 'create':
        try:
            shown = [local_networks.create_network(args.name, args.cidr, args.default)]
        except ValueError as error:
            print(error, file=sys.stderr)
            return 1
    else:
        shown = local_networks.load_networks()
    for n in shown:
        print('%s\t%s\t%s\tsubnet=%s%s' % (n.id, n.name, n.cidr, n.subnet_id,
                                           '\tdefault' if n.is_default else ''))
    return 0


def main(argv=None):
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    config.load(['--config-file=%s' % f for f in args.config_file])
    from api_service.db import migration
    from api_service.domain import catalogue_admin
    from api_service.drivers.compute import local_engines

    if args.group == 'network':
        return _network_command(args)
    if args.group == 'db':
        if args.action == 'sync':
            migration.sync()
        print(migration.current_revision())
    elif args.group == 'flavor' and args.action == 'create':
        catalogue_admin.upsert_flavor(args.id, args.name, args.ram, args.vcpus, args.disk)
    elif args.group == 'flavor':
        from api_service.drivers.compute import get_driver
        for f in get_driver().list_flavors():
            print('%s\t%s\tram=%d\tvcpus=%d\tdisk=%d' % (f.id, f.name, f.ram, f.vcpus, f.disk))
    elif args.group == 'volume-type':
        catalogue_admin.upsert_volume_type(args.name, args.root, args.description)
    elif args.action == 'discover':
        for engine in local_engines.discover():
            # Capabilities and maturity from the engine's guest manager, as the launcher seeds.
            row = catalogue_admin.upsert_datastore_version(
                engine.datastore, engine.name, engine.version, engine.manager, engine.path)
            print('%s %s (%s) at %s [%s] image=%s-%s' % (
                engine.datastore, engine.name, engine.version, engine.path, row.capabilities,
                engine.datastore, engine.version))
    elif args.action == 'restrict-flavors':
        catalogue_admin.restrict_flavors(args.datastore, args.version, args.allowed)
    else:
        catalogue_admin.restrict_volume_types(args.datastore, args.version, args.allowed)
    return 0


if __name__ == '__main__':
    sys.exit(main())
