"""A PostgreSQL replica's slot on its source: its name, whether it still serves the replica,
and what the replica's engine logs when it does not, in the user's words.

A source keeps one physical slot per replica ('r_' and the replica's id) holding its WAL
until that replica has streamed it. The slot goes when the replica is forgotten
(forget_replica), and it is lost when the replica stays away longer than its source keeps WAL
for it (max_slot_wal_keep_size: wal_status 'lost', PostgreSQL 17+ also gives an
invalidation_reason). Nothing brings either back: the replica must be recreated. Without a
slot a standby's WAL receiver retries for ever (every wal_retrieve_retry_interval) and, on
data that needs the source's WAL to become consistent, its start never ends; so a replica's
slot is checked on the source before it follows (condition), its log is watched while its
engine starts (watching_start) and while it catches up (stream_failure), and status() says
so ('reason': SLOT_LOST) rather than show a replica that only seems to lag.
"""
import contextlib
import logging
import re
import threading
import time

from api_service.guestagent import errors

LOG = logging.getLogger(__name__)

SLOT_PREFIX = 'r_'
# How long a starting standby may still not answer once its log says its slot is gone.
START_GRACE = 3
# status()'s 'reason' for a replica whose slot on its source is gone or lost.
SLOT_LOST = 'slot_lost'
# What a tenant reads about such a replica (never the engine's own text).
SLOT_GONE = ('The source no longer keeps this replica\'s data (its replication slot is gone): '
             'delete this replica and create a new one.')

# What a replica's engine logs when its slot does not serve it (dropped, or invalidated:
# PostgreSQL 18 says it can no longer access the slot, 15 that the WAL was removed).
_SLOT_FAILURE = re.compile(r'replication slot "[^"]*" does not exist|'
                           r'can no longer (?:get changes from|access) replication slot|'
                           r'This slot has been invalidated|'
                           r'requested WAL segment \S+ has already been removed')
# What it logs when the source cannot serve it for other reasons, and that in the user's words
# (the source may answer again: a caller waits a while before giving up).
_OTHER_FAILURES = (
    (re.compile(r'password authentication failed'),
     'its source refused the replication account'),
    (re.compile(r'no pg_hba.conf entry'),
     'its source does not admit replication from this instance'),
    (re.compile(r'could not connect to the primary server'),
     'its source cannot be reached'),
)


def slot_name(replica_id):
    """The source's slot for a replica: 'r_' and the id's letters and digits (63 at most)."""
    cleaned = re.sub(r'[^a-z0-9_]', '', str(replica_id).lower())
    if not cleaned:
        raise errors.BadRequest('A replica id is not valid.')
    return (SLOT_PREFIX + cleaned)[:63]


def checked_slot(name):
    if not (isinstance(name, str) and re.fullmatch(r'[a-z0-9_]{1,63}', name)):
        raise errors.BadRequest('The replication slot name is not valid.')
    return name


def slot_failure(text):
    """True when an engine's log text says its slot on the source does not serve it."""
    return bool(_SLOT_FAILURE.search(text))


def stream_failure(text):
    """(words, final) for what a replica's log says of its source: final when its slot is
    gone (SLOT_GONE), else words for a failure that may pass; (None, False) for none."""
    if slot_failure(text):
        return SLOT_GONE, True
    return next((words for sign, words in _OTHER_FAILURES if sign.search(text)), None), False


_CONDITION = ("SELECT wal_status, to_jsonb(s)->>'invalidation_reason' "
              'FROM pg_replication_slots AS s WHERE slot_name = %s')


def condition(conn, slot):
    """'missing', 'lost' or None (the slot serves its replica), read in a session on the
    source (the replication account may read pg_replication_slots)."""
    row = conn.execute(_CONDITION, (slot,)).fetchone()
    if row is None:
        return 'missing'
    if row[0] == 'lost' or row[1]:
        return 'lost'
    return None


def replica_trouble(session, source):
    """A replica's status()'s {'reason', 'message'} when its slot on its source is gone or
    lost, else None (also when the source cannot be asked: its WAL receiver's status says
    enough). `session` opens a session on the source (the strategy's _source_session)."""
    try:
        with session(source['host'], source['port'], source['user']) as conn:
            found = condition(conn, source['slot'])
    except (errors.GuestError, KeyError) as exc:
        LOG.info('postgresql: the source\'s slot could not be read: %s', exc)
        return None
    if found:
        return {'reason': SLOT_LOST, 'message': SLOT_GONE}
    return None


class _SlotGoneWhileStarting(Exception):
    """Raised through the manager's start from its readiness check (never leaves here)."""


@contextlib.contextmanager
def watching_start(manager, read_log):
    """Within it, a start of the engine by this thread ends (an EngineError: SLOT_GONE) as
    soon as the engine's log (`read_log()`: what it logged since the start was asked) says
    its slot is gone, rather than wait out the start timeout for a consistency that needs the
    source's WAL. The engine is then left running read-only when it answers (a hot standby
    on its own data), else stopped: never half-started."""
    thread = threading.get_ident()
    ping = manager._ping
    seen = []

    def watched_ping():
        if ping():
            return True
        if threading.get_ident() == thread and slot_failure(read_log()):
            # A standby consistent on its own data answers a moment after its WAL receiver
            # first fails: a short grace before it counts as one that never will.
            seen.append(time.monotonic())
            if seen[-1] - seen[0] > START_GRACE:
                raise _SlotGoneWhileStarting()
        return False

    manager._ping = watched_ping
    try:
        yield
    except _SlotGoneWhileStarting:
        manager.__dict__.pop('_ping', None)
        details = manager._log_tail()
        if not ping():
            LOG.warning('postgresql: the replica cannot become consistent without its slot; '
                        'stopping it')
            manager.stop()
        raise errors.EngineError(SLOT_GONE, details=details)
    finally:
        manager.__dict__.pop('_ping', None)
