"""Replica create-to-ACTIVE per engine through the API, beside a manual base backup and start
of a replica of the same data in the same run (target ratio <= 1.5).

Through the API, on a stack of its own: a source (flavor 3) filled by the application with
--size-mb of data (MariaDB and PostgreSQL: rows of ~1 KB of hex text; Redis: 1 MB values),
then `instances.create(replica_of=...)` timed until the replica is ACTIVE (the service says
ACTIVE once the replica follows its source). The steps the service recorded on the replica
(GET /instances/{id}/events) say where the time went.

The manual baseline, on raw engine processes on 127.84.0.x with the same data:
  PostgreSQL  pg_basebackup -R -X stream -c fast, start as a standby, until it streams
  MariaDB     mariadb-backup --backup and --prepare into the replica's data directory,
              start, CHANGE MASTER at the backup's GTID, until both threads run
  Redis       start an empty Redis, REPLICAOF, until master_link_status is up (the time
              its first AOF is written is printed too: the service waits for it)

    .venv/bin/python bench/replica_create.py [--engines mariadb,postgresql,redis]
        [--size-mb 100] [--offset 4200]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import replication_common as rc  # noqa: E402
from backup_throughput import tree_size  # noqa: E402

TARGET = 1.5


def raw_replica(engine, size):
    """(seconds to a following replica, the source's data directory in MB, fill seconds)."""
    engines = rc.RawEngines()
    source_address, replica_address = rc.RAW_NET % 11, rc.RAW_NET % 12
    try:
        if engine == 'mariadb':
            socket = engines.mariadb_source(source_address)
            client = rc.MariaDBClient(source_address)
            make = lambda: engines.mariadb_replica(socket, source_address,  # noqa: E731
                                                   replica_address)
        elif engine == 'postgresql':
            engines.pg_source(source_address)
            client = rc.PostgreSQLClient(source_address)
            make = lambda: engines.pg_replica(source_address, replica_address)  # noqa: E731
        else:
            engines.redis_start('r-src', source_address)
            client = rc.RedisClient(source_address)
            make = lambda: engines.redis_replica(source_address, replica_address)  # noqa: E731
        began = time.monotonic()
        client.fill(size)
        filled = time.monotonic() - began
        on_disk = tree_size(os.path.join(engines.root, {'mariadb': 'm-src', 'postgresql': 'p-src',
                                                        'redis': 'r-src'}[engine]))
        began = time.monotonic()
        replica = make()
        took = time.monotonic() - began
        if engine == 'redis':
            # The service also waits for the replica's first AOF (Redis refuses to stop
            # while it writes it): said beside the baseline, which does not.
            rc.wait_until(lambda: not _aof_busy(replica), 'the raw replica\'s first AOF',
                          timeout=300)
            print('redis: raw replica link up %.2f s, its first AOF written %.2f s'
                  % (took, time.monotonic() - began))
        return took, on_disk / rc.MB, filled
    finally:
        engines.close()


def _aof_busy(client):
    info = client.info('persistence')
    return info.get('aof_rewrite_in_progress') or info.get('aof_rewrite_scheduled')


def api_replica(demo, engine, size, made):
    source, client = rc.create_source(demo, engine, 'rc-%s-src' % engine, flavor='3')
    made.append(source.id)
    began = time.monotonic()
    client.fill(size)
    filled = time.monotonic() - began
    began = time.monotonic()
    replica_id = demo.instances.create('rc-%s-rep' % engine, replica_of=source.id).id
    made.append(replica_id)
    rc.wait_status(demo, replica_id, 'ACTIVE', timeout=300)
    took = time.monotonic() - began
    return {'seconds': took, 'fill': filled,
            'steps': rc.breakdown(rc.events(demo, replica_id, 'create'))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--engines', default='mariadb,postgresql,redis')
    parser.add_argument('--size-mb', type=int, default=100, help='data on the source (MB)')
    parser.add_argument('--offset', default=rc.PORT_OFFSET,
                        help='stack port offset (its instances get 127.<10+offset/100>.x.x)')
    args = parser.parse_args()
    engines, size = args.engines.split(','), args.size_mb * rc.MB
    print('load average before: %.2f %.2f %.2f (2 cores; other work skews the figures)'
          % os.getloadavg())
    baseline = {}
    for engine in engines:
        baseline[engine] = raw_replica(engine, size)
        print('%s: raw replica %.2f s (source %.0f MB on disk, filled in %.1f s)'
              % ((engine,) + baseline[engine]))
        sys.stdout.flush()
    results = {}
    with rc.stack_client(args.offset) as demo:
        for engine in engines:
            made = []
            try:
                results[engine] = api_replica(demo, engine, size, made)
            finally:
                rc.cleanup(demo, made)
    ok = True
    print('%-10s %12s %12s %6s  %s' % ('engine', 'API', 'manual', 'ratio', 'target'))
    for engine in engines:
        ours, manual = results[engine]['seconds'], baseline[engine][0]
        met = ours / manual <= TARGET
        ok &= met
        print('%-10s %10.2f s %10.2f s %6.2f  <= %.1f: %s' % (
            engine, ours, manual, ours / manual, TARGET, 'met' if met else 'NOT met'))
    for engine in engines:
        print('%s: source filled in %.1f s; replica steps: %s'
              % (engine, results[engine]['fill'], results[engine]['steps']))
    print('load average after: %.2f' % os.getloadavg()[0])
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
