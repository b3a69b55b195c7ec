"""Switchover write downtime per engine (target < 1 s), beside the time the engine's own
promote takes in the same run.

Through the API, on a stack of its own: a source with the application's account (Redis: root
enabled) and one replica; a canary client writes every ~5 ms (a write that fails or does not
answer within 0.1 s makes it try the other member's address) while
promote_to_replica_source runs (--rounds 2, the default, promotes the old source back too).
The write downtime is what that client saw: from the last write the old source acknowledged
to the first the new source acknowledged; `max gap` is the longest time between any two
acknowledged writes (an outage after the switch shows there; the target holds for both).
`lost` counts acknowledged writes the new source does not have; `late` writes the old source
acknowledged after the new one took writes (the canary's, and a probe once the promote
ended); both must be 0. The steps the service recorded
for the promote (GET /instances/{id}/events) say where its time went, and its switchover
report (GET /instances/{id}/switchovers, newest first) is printed when the API has one.

The baseline: a hand-made pair of raw engine processes on 127.84.0.x (PostgreSQL: a standby
made by pg_basebackup, promoted by pg_promote(); MariaDB: a GTID replica, STOP SLAVE; RESET
SLAVE ALL; SET GLOBAL read_only=0; Redis: REPLICAOF NO ONE), timed from the command to the
first write the same canary client has acknowledged on it.

    .venv/bin/python bench/replication_switchover.py [--engines mariadb,postgresql,redis]
        [--rounds 2] [--offset 4200]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import replication_common as rc  # noqa: E402

TARGET = 1.0
PROMOTE = 'promote_to_replica_source'


def raw_promote(engine):
    """Seconds from the engine's own promote command to the first acknowledged write."""
    engines = rc.RawEngines()
    source_address, replica_address = rc.RAW_NET % 1, rc.RAW_NET % 2
    try:
        if engine == 'mariadb':
            socket = engines.mariadb_source(source_address)
            rc.MariaDBClient(source_address).setup()
            replica = engines.mariadb_replica(socket, source_address, replica_address)
            client = rc.MariaDBClient(replica_address)
            promote = lambda: engines.mariadb_promote(replica)  # noqa: E731
        elif engine == 'postgresql':
            engines.pg_source(source_address)
            rc.PostgreSQLClient(source_address).setup()
            replica = engines.pg_replica(source_address, replica_address)
            client = rc.PostgreSQLClient(replica_address)
            promote = lambda: engines.pg_promote(replica)  # noqa: E731
        else:
            engines.redis_start('r-src', source_address)
            replica = engines.redis_replica(source_address, replica_address)
            client = rc.RedisClient(replica_address)
            promote = lambda: engines.redis_promote(replica)  # noqa: E731
        rc.wait_until(lambda: client.keys() is not None, 'the canary table on the raw replica',
                      timeout=30)
        canary = rc.Canary([client])
        canary.start()
        try:
            time.sleep(0.2)              # the client is refused: a replica
            began = time.monotonic()
            promote()
            first = canary.wait_first_ack_on(0, after=began, timeout=60)
        finally:
            canary.halt()
        return first - began
    finally:
        engines.close()


def switchover_report(demo, instance_ids):
    """The API's figures of the last switchover once its measurement ended (the canary
    goes on a little after the promote), or None when it has no such report."""
    for instance_id in instance_ids:
        last = rc.wait_until(lambda: _last_report(demo, instance_id), 'the switchover report',
                             timeout=60, interval=0.2)
        if last == 'none':
            continue
        if isinstance(last, str):
            return last
        return 'write downtime %s s, transactions lost %s%s' % (
            last.get('write_downtime_seconds'), last.get('transactions_lost'),
            ' (%s)' % last['message'] if last.get('message') else '')
    return None


def _last_report(demo, instance_id):
    """The newest report when it is no longer running; 'none' when there is none, an HTTP
    status when the call failed; None while it runs (asked again)."""
    resp = rc.raw(demo, 'GET', '/instances/%s/switchovers' % instance_id)
    if resp.status_code in (404, 405):
        return 'none'
    if not resp.ok:
        return 'HTTP %d' % resp.status_code
    found = resp.json().get('switchovers') or []
    if not found:
        return 'none'
    return found[0] if found[0].get('status') != 'running' else None


def client_for(engine, address, password):
    """A new client of the member at `address` (Redis: with the source's root password)."""
    if engine == 'redis':
        return rc.RedisClient(address, password=password)
    return rc.CLIENTS[engine](address)


def api_switchovers(demo, engine, rounds, made):
    """`rounds` promotes through the API, each of the member that is the replica then (the
    second one promotes the old source back); one result per round."""
    source, client = rc.create_source(demo, engine, 'sw-%s-src' % engine)
    made.append(source.id)
    client.setup()
    password = client.password
    replica_id = demo.instances.create('sw-%s-rep' % engine, replica_of=source.id).id
    made.append(replica_id)
    replica = rc.wait_status(demo, replica_id, 'ACTIVE', timeout=180)
    members = [(source.id, source.ip[0]), (replica_id, replica.ip[0])]
    first_replica = client_for(engine, replica.ip[0], password)
    rc.wait_until(lambda: first_replica.keys() is not None, 'the canary table on the replica',
                  timeout=30)
    results = []
    for _ in range(rounds):
        (old_id, old_ip), (new_id, new_ip) = members
        results.append(promote_once(demo, engine, password, old_id, old_ip, new_id, new_ip))
        members.reverse()
    return results


def promote_once(demo, engine, password, old_id, old_ip, new_id, new_ip):
    canary = rc.Canary([client_for(engine, old_ip, password),
                        client_for(engine, new_ip, password)])
    canary.start()
    try:
        rc.wait_until(lambda: len(canary.acks) >= 50 or canary.last_error,
                      'writes on the source', timeout=30)
        if len(canary.acks) < 50:
            rc.wait_until(lambda: len(canary.acks) >= 50, 'writes on the source (the last '
                          'error: %s)' % canary.last_error, timeout=30)
        began = time.monotonic()
        demo.instances.promote_to_replica_source(new_id)
        called = time.monotonic() - began
        canary.wait_first_ack_on(1, after=began, timeout=240)
        rc.wait_until(lambda: demo.instances.get(new_id).status == 'ACTIVE'
                      and not getattr(demo.instances.get(new_id), 'replica_of', None),
                      'the promote to end', timeout=240, interval=0.1)
        finished = time.monotonic() - began
        rc.wait_until(lambda: len([a for a in canary.acks if a[1] == 1]) >= 50,
                      'writes on the new source', timeout=30)
    finally:
        canary.halt()
    downtime, late = canary.downtime()
    probe = client_for(engine, old_ip, password)
    try:
        probe.write('probe-%d' % canary.number)      # once the promote ended: refused
        late += 1
    except Exception:
        pass
    finally:
        probe.close()
    gap, gap_at = canary.longest_gap()
    if gap is not None and gap >= TARGET:
        # Where the client's longest wait was, and what it was told meanwhile.
        told = sorted({'%s (%s)' % (message[:120], ('old', 'new')[index])
                       for t, index, message in canary.failures
                       if gap_at <= t <= gap_at + gap})
        print('%s: no write acknowledged for %.2f s from %+.2f s after the promote call; '
              'errors meanwhile: %s' % (engine, gap, gap_at - began, '; '.join(told)))
    lost = len(canary.acknowledged() - client_for(engine, new_ip, password).keys())
    steps = rc.events(demo, new_id, PROMOTE)
    return {'downtime': downtime, 'gap': gap, 'lost': lost, 'late': late, 'errors': canary.errors,
            'call': called, 'to_active': finished,
            'steps': rc.breakdown(steps[-steps_of_last(steps):]),
            'report': switchover_report(demo, [new_id, old_id])}


def steps_of_last(steps):
    """How many of `steps` the last promote recorded (it begins with 'check members')."""
    names = [e['name'] for e in steps]
    return len(names) - max(i for i, name in enumerate(names) if name == 'check members') \
        if 'check members' in names else len(names)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--engines', default='mariadb,postgresql,redis')
    parser.add_argument('--rounds', type=int, default=2,
                        help='promotes per engine (the second promotes the old source back)')
    parser.add_argument('--offset', default=rc.PORT_OFFSET,
                        help='stack port offset (its instances get 127.<10+offset/100>.x.x)')
    args = parser.parse_args()
    engines = args.engines.split(',')
    print('load average before: %.2f %.2f %.2f (2 cores; other work skews the figures)'
          % os.getloadavg())
    baseline = {}
    for engine in engines:
        baseline[engine] = raw_promote(engine)
        print('%s: raw promote to first write %.3f s' % (engine, baseline[engine]))
        sys.stdout.flush()
    results = {}
    with rc.stack_client(args.offset) as demo:
        for engine in engines:
            made = []
            try:
                results[engine] = api_switchovers(demo, engine, args.rounds, made)
            finally:
                rc.cleanup(demo, made)
    ok = True
    print('%-10s %5s %10s %10s %6s %10s %5s %5s %7s %9s  %s' % (
        'engine', 'round', 'downtime', 'raw prom.', 'ratio', 'max gap', 'lost', 'late',
        'errors', 'promote', 'target'))
    for engine in engines:
        base = baseline[engine]
        for number, r in enumerate(results[engine], 1):
            met = r['downtime'] is not None and max(r['downtime'], r['gap']) < TARGET \
                and not r['lost'] and not r['late']
            ok &= met
            print('%-10s %5d %8.3f s %8.3f s %6.1f %8.3f s %5d %5d %7d %7.2f s  < %.0f s: %s'
                  % (engine, number, r['downtime'] or -1, base, (r['downtime'] or 0) / base,
                     r['gap'] or -1, r['lost'], r['late'], r['errors'], r['to_active'],
                     TARGET, 'met' if met else 'NOT met'))
    for engine in engines:
        for number, r in enumerate(results[engine], 1):
            print('%s %d: API call %.2f s, promote to ACTIVE %.2f s; steps: %s' % (
                engine, number, r['call'], r['to_active'], r['steps']))
            print('%s %d: report: %s' % (engine, number, r['report'] or 'not available'))
    print('load average after: %.2f' % os.getloadavg()[0])
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
