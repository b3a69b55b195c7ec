"""The canary run of a promote or an eject: what a switchover costs a writing client.

A client of the set writes all the time; the figures a switchover report gives are what such
a client saw. The canary is that client: a thread of the task manager writes seq 1, 2, 3…
every INTERVAL through an account made for this run on the set's members (guest RPC
replication_canary_account, a fresh random password per run, removed afterwards), first to
the old source, and, once the task manager recorded the new source, to the new one until it
acknowledges a write. So:
- write_stopped_at: when the old source acknowledged the canary's last write (promote);
- write_resumed_at: when the new source acknowledged its first;
- write_downtime_seconds: between the two (promote); from the eject's start to the first
  write the new source acknowledged (eject: when the old source stopped is not known);
- transactions_lost (promote): the canary's writes the old source acknowledged that the new
  source does not have (the seq stored there is read in the same transaction as the
  canary's first write to it, so the read never delays that write);
- detection_seconds (eject): from the source's last heartbeat saying its engine ran to the
  eject's start (how long the set was without a working source before it was acted on,
  as far as the service can know: an upper bound of the time since the source failed).

The canary never fails the operation and hardly delays it. A promote sets the accounts up
before its fence (a guest call on the source, then one on the other members at once, each
at most ACCOUNT_TIMEOUT) and awaits the canary's first write at most READY_WAIT; an eject's
canary sets the replicas' accounts up in its own thread while the eject probes its source,
and writes to the replica chosen from its choice on (PostgreSQL makes the canary's role on
it only once it is promoted: a standby cannot). Everything after the operation (the new
source's first write, the report, removing the accounts) is done by the canary's thread
while the operation ends. Any failure of the canary only leaves figures null, and the
report says why in words. The password is never logged or stored.
"""
import logging
import secrets
import threading
import time

from sqlalchemy import select

from api_service.db import models
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.domain import access
from api_service.domain import switchovers
from api_service.taskmanager import flows
from api_service.taskmanager import owners

LOG = logging.getLogger(__name__)

# A write every INTERVAL seconds (a write that waits longer delays the next).
INTERVAL = 0.01
# After the switchover, the new source has this long to acknowledge a canary write.
RESUME_DEADLINE = 30
# Each guest's canary account call waits at most this (the operation waits for them).
ACCOUNT_TIMEOUT = 5
# Before fencing, the canary's first write on the old source is awaited this long at most.
READY_WAIT = 1.0
# A failed operation's end waits this long at most for its canary to store the report.
END_WAIT = 2.0
# A run that is never ended (a flow that died without its finally) stops after this.
MAX_RUN = 3600

NOT_SET_UP = ('The canary writer could not be set up on the members, so the write downtime '
              'was not measured.')
NO_RESUME = ('The new source did not acknowledge a canary write within %d s, so the write '
             'downtime is not known.' % RESUME_DEADLINE)
NO_STOP = ('The old source acknowledged no canary write before the switchover, so when '
           'writes stopped is not known.')
NO_LOSS = ('The new source could not tell which canary writes it had, so the transactions '
           'lost are not known.')
NO_LOSS_EJECT = ('The old source could not be asked which canary writes it had acknowledged, '
                 'so the transactions lost are not known.')
FAILED = 'The %s did not complete.'


def _elapsed(later, earlier):
    """Seconds between two time.monotonic() readings, or None."""
    if later is None or earlier is None:
        return None
    return max(0.0, later - earlier)


def _seconds(later, earlier):
    if later is None or earlier is None:
        return None
    return max(0.0, (later - earlier).total_seconds())


def _endpoint(instance_id):
    """(datastore manager, address) of a member, or None once deleted."""
    with session_scope() as session:
        found = session.execute(
            select(models.DatastoreVersion.manager, m.Instance.address)
            .join(m.Instance, m.Instance.datastore_version_id == models.DatastoreVersion.id)
            .where(m.Instance.id == instance_id, m.Instance.deleted.is_(False))).first()
        return tuple(found) if found else None


class Run:
    """One promote's or eject's report and canary. Each method is safe to call whatever
    happened before (a canary that could not start makes them do nothing but the report)."""

    def __init__(self, ctx, operation, acted_on, old_source_id, new_source_id, report_id):
        self.ctx, self.operation, self.acted_on = ctx, operation, acted_on
        self.old_source_id, self.new_source_id = old_source_id, new_source_id
        self.report_id = report_id
        self.password = secrets.token_urlsafe(24)
        # Scopes the guests' account to this run: a removal by an earlier run that
        # overlaps this one leaves this run's account (guest RPC's `run`).
        self.token = secrets.token_hex(8)
        self.accounts = {}                  # member id -> its account answer
        self._sent = set()                  # members an account call was sent to
        self._account_threads = []          # switch()'s account calls (joined at the end)
        self._began = time.monotonic()      # the operation's start (durations: monotonic)
        self._stopped_mono = self._resumed_mono = None
        self.seq = 0                        # the last seq a member acknowledged
        self.writes = self.failures = 0
        self.stopped_at = None              # the old source's last acknowledgement
        self.acked_on_old = 0               # the seq it had then
        self.resumed_at = None              # the new source's first acknowledgement
        self.seq_on_new = None              # what the new source had before the canary wrote
        self.message = None
        self._target = None                 # the member written to
        self._switched_at = None            # monotonic time of the switchover
        self._ended = threading.Event()     # the operation ended (end())
        self._first_ack = threading.Event()
        self._lock = threading.Lock()
        self._thread = None
        self._sources = None

    # -- the operation's calls -------------------------------------------------------------

    def start(self, member_ids, target=None):
        """The canary account on `member_ids`, then writes to `target` (an eject's is
        chosen later). A promote sets the source's account first, then the others' at
        once, and waits for them and, briefly, for the first write (the old source's
        writes are what the switchover stops); an eject does not wait: its canary's thread
        sets the replicas' accounts up at once while the eject probes its source. Never
        raises."""
        try:
            self._sources = access.service_cidrs()
            self._target = target
            if self.operation == switchovers.PROMOTE:
                self._set_accounts(member_ids)
                if target not in self.accounts:
                    # Without the old source's, nothing measured would mean anything (the
                    # accounts made elsewhere are removed at the end).
                    self.message = NOT_SET_UP
                    return
                member_ids = ()
            self._thread = threading.Thread(target=self._loop, args=(member_ids,),
                                            name='canary', daemon=True)
            self._thread.start()
            if self.operation == switchovers.PROMOTE:
                self._first_ack.wait(READY_WAIT)
        except Exception:
            LOG.exception('%s of %s: the canary could not start', self.operation,
                          self.acted_on)
            self.message = NOT_SET_UP

    def chose(self, new_source_id):
        """Eject: the replica chosen to become the source (the report names it); the canary
        writes to it from now on (refused until it is promoted)."""
        with self._lock:
            self.new_source_id = new_source_id
            self._target = new_source_id
        self._update(new_source_id=new_source_id)

    def switch(self, new_source_id):
        """The new source is recorded: the canary writes to it from now on (for an eject,
        the account is set on it again, now that it is writable)."""
        with self._lock:
            self.new_source_id = new_source_id
            self._target = new_source_id
            self._switched_at = time.monotonic()
        if self.operation == switchovers.EJECT and self._thread is not None:
            thread = threading.Thread(target=self._account_on, args=(new_source_id,),
                                      name='canary-account', daemon=True)
            with self._lock:
                self._account_threads.append(thread)
            thread.start()

    def end(self):
        """The operation ended: the canary's thread completes the report and removes the
        accounts (or this call does, when no thread runs). After a failed operation the
        thread has nothing left to wait for: it is given a moment to end (the instances'
        statuses are final already). Never raises."""
        self._ended.set()
        if self._thread is None:
            self._finish()
        elif self._switched_at is None:
            self._thread.join(END_WAIT)

    # -- accounts ----------------------------------------------------------------------------

    def _account(self, member_id, password):
        return flows.guest_of(member_id).replication_canary_account(
            self.ctx, password, self._sources, timeout=ACCOUNT_TIMEOUT, run=self.token)

    def _account_on(self, member_id):
        with self._lock:
            self._sent.add(member_id)
        try:
            answer = self._account(member_id, self.password)
        except Exception as error:
            LOG.warning('instance %s: canary account not set (%s)', member_id,
                        type(error).__name__)
            return None
        if isinstance(answer, dict):
            self.accounts[member_id] = answer
        return answer

    def _set_accounts(self, member_ids):
        """A promote's source first (on PostgreSQL it makes the role the replicas get by
        replication), then the others at once; an eject's replicas all at once."""
        if not member_ids:
            return
        if self.operation == switchovers.PROMOTE:
            self._account_on(member_ids[0])
            member_ids = member_ids[1:]
        rest = member_ids
        threads = [threading.Thread(target=self._account_on, args=(member,), daemon=True)
                   for member in rest]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(ACCOUNT_TIMEOUT + 1)

    def _remove_accounts(self):
        """From every member a set call was sent to (one that did not answer in time may
        have made it), once switch()'s call on the new source is done."""
        with self._lock:
            threads = list(self._account_threads)
        for thread in threads:
            thread.join(ACCOUNT_TIMEOUT + 1)
        with self._lock:
            members = sorted(self._sent | set(self.accounts), key=str)
        for member_id in members:
            try:
                self._account(member_id, None)
            except Exception as error:
                LOG.warning('instance %s: canary account not removed (%s)', member_id,
                            type(error).__name__)

    # -- the writes ------------------------------------------------------------------------

    def _writer(self, member_id):
        """A writer to `member_id`, or None (none chosen yet, or not reachable)."""
        if member_id is None:
            return None
        endpoint = _endpoint(member_id)
        account = self.accounts.get(member_id) or next(iter(self.accounts.values()), None)
        if endpoint is None or account is None:
            return None
        from api_service.common import canary_writers
        manager, host = endpoint
        return canary_writers.writer_for(manager, host, account.get('port'), account,
                                         self.password)

    def _done(self, began):
        with self._lock:
            switched_at = self._switched_at
        if self._ended.is_set() and switched_at is None:
            return True         # the operation failed: there is no new source to wait for
        if switched_at is not None and (self.resumed_at is not None or
                                        time.monotonic() - switched_at > RESUME_DEADLINE):
            return True
        return time.monotonic() - began > MAX_RUN

    def _loop(self, member_ids=()):
        began = time.monotonic()
        writer, writing_to = None, None
        try:
            self._set_accounts(list(member_ids))
            if not self.accounts:
                self.message = NOT_SET_UP
            while self.accounts and not self._done(began):
                tick = time.monotonic()
                with self._lock:
                    target, switched_at = self._target, self._switched_at
                if target != writing_to:
                    if writer is not None:
                        writer.close()
                    writer, writing_to = self._writer(target), target
                if writer is not None:
                    self._write(writer, target, switched_at)
                time.sleep(max(0.0, INTERVAL - (time.monotonic() - tick)))
        except Exception:
            LOG.exception('%s of %s: the canary stopped', self.operation, self.acted_on)
            self.message = NOT_SET_UP
        finally:
            if writer is not None:
                try:
                    writer.close()
                except Exception:
                    pass
            # The report waits for the operation's end (whether it switched is known then).
            self._ended.wait(MAX_RUN)
            self._finish()

    def _write(self, writer, target, switched_at):
        """One write. A promote's new source's first acknowledged write also reads, in
        the same transaction, the seq it replaced: what the new source had of the old
        source's writes (read after, not before: a read does not delay the first write)."""
        first_on_new = (target == self.new_source_id and switched_at is not None
                        and self.resumed_at is None)
        if first_on_new and self.operation == switchovers.PROMOTE and self.acked_on_old:
            ok, previous = writer.swap(self.seq + 1)
            if ok:
                self.seq_on_new = 0 if previous is None else previous
        else:
            ok = writer.write(self.seq + 1)
        mono, when = time.monotonic(), models.utcnow()
        if not ok:
            self.failures += 1
            return
        self.seq += 1
        self.writes += 1
        if target == self.old_source_id and self.resumed_at is None:
            self.stopped_at, self.acked_on_old = when, self.seq
            self._stopped_mono = mono
            self._first_ack.set()
        elif target == self.new_source_id and self.resumed_at is None:
            # Only a source acknowledges a write: a replica chosen by an eject refuses
            # them until it is promoted.
            self.resumed_at, self._resumed_mono = when, mono

    # -- the report --------------------------------------------------------------------------

    def _update(self, **figures):
        try:
            switchovers.update(self.report_id, **figures)
        except Exception:
            LOG.exception('switchover report %s not updated', self.report_id)

    def _figures(self):
        # Durations from the monotonic clock (a wall clock step would skew them); the
        # wall-clock stamps are for display.
        if self.operation == switchovers.PROMOTE:
            downtime = _elapsed(self._resumed_mono, self._stopped_mono)
            lost = None
            if self.acked_on_old and self.seq_on_new is not None:
                lost = max(0, self.acked_on_old - int(self.seq_on_new))
            stopped = self.stopped_at
        else:
            downtime = _elapsed(self._resumed_mono, self._began)
            lost, stopped = None, None
        return dict(write_stopped_at=stopped, write_resumed_at=self.resumed_at,
                    write_downtime_seconds=downtime, transactions_lost=lost)

    def _finish(self):
        try:
            finished = models.utcnow()
            with self._lock:
                switched = self._switched_at is not None
            figures = dict(finished=finished, new_source_id=self.new_source_id)
            measured = bool(self.accounts) and self.message != NOT_SET_UP
            if measured:
                figures.update(canary_writes=self.writes, canary_failures=self.failures)
            if switched:
                figures['status'] = switchovers.COMPLETED
                if measured:
                    figures.update(self._figures())
                    if self.resumed_at is None:
                        self.message = NO_RESUME
                    elif self.operation == switchovers.PROMOTE and self.stopped_at is None:
                        self.message = NO_STOP
                    elif figures.get('transactions_lost') is None:
                        self.message = (NO_LOSS if self.operation == switchovers.PROMOTE
                                        else NO_LOSS_EJECT)
                figures['message'] = self.message
            else:
                figures['status'] = switchovers.FAILED
                since = switchovers.started(self.report_id)
                figures['message'] = (switchovers.fault_since([self.acted_on], since)
                                      or switchovers.fault_since([self.old_source_id], since)
                                      or FAILED % self.operation)
        except Exception:
            LOG.exception('switchover report %s not completed', self.report_id)
            figures = dict(finished=models.utcnow(), status=switchovers.FAILED
                           if self._switched_at is None else switchovers.COMPLETED)
        # The accounts go before the final status is written: whoever sees the report
        # ended (a next switchover of the set) no longer meets this run's accounts.
        try:
            self._remove_accounts()
        finally:
            self._update(**figures)


class NotRun:
    """No report (none could be stored): every call does nothing."""

    def start(self, member_ids, target=None):
        pass

    def chose(self, new_source_id):
        pass

    def switch(self, new_source_id):
        pass

    def end(self):
        pass


def _project_of(instance_id):
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id)
        return instance.project_id if instance is not None else None


def _replicas_of(source_id):
    with session_scope() as session:
        return list(session.scalars(select(m.Instance.id).where(
            m.Instance.replica_of_id == source_id, m.Instance.deleted.is_(False))
            .order_by(m.Instance.id)))


def promote(ctx, replica_id, source_id):
    """A promote's run: its report (running), no canary yet (`start` it before fencing)."""
    try:
        report_id = switchovers.begin(_project_of(replica_id), switchovers.PROMOTE, source_id,
                                      replica_id, task_owner=owners.ME)
        return Run(ctx, switchovers.PROMOTE, replica_id, source_id, replica_id, report_id)
    except Exception:
        LOG.exception('promote of %s: no switchover report', replica_id)
        return NotRun()


def eject(ctx, source_id):
    """An eject's run: its report (running) with the detection time, and its canary
    started: the replicas' accounts are set while the eject probes its source; it writes
    once a replica is chosen (`chose`)."""
    try:
        now = models.utcnow()
        report_id = switchovers.begin(_project_of(source_id), switchovers.EJECT, source_id,
                                      detection_seconds=_seconds(
                                          now, switchovers.last_healthy(source_id)),
                                      task_owner=owners.ME)
        run = Run(ctx, switchovers.EJECT, source_id, source_id, None, report_id)
        replicas = _replicas_of(source_id)
    except Exception:
        LOG.exception('eject of %s: no switchover report', source_id)
        return NotRun()
    if replicas:
        run.start(replicas)
    return run
