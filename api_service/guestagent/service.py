"""The guest agent's RPC endpoint and heartbeat around one engine manager."""
import logging
import os
import threading
import time
import traceback

import oslo_messaging as messaging

from api_service.guestagent import errors
from api_service.guestagent import metrics
from api_service.guestagent.datastore import diagnostics, get_manager_class
from api_service.guestagent.modules import manager as modules_mod

LOG = logging.getLogger(__name__)
SYSTEM_USERS = {'mariadb': 'mysql', 'postgresql': 'postgres', 'redis': 'redis'}
HEALTHY, SHUTDOWN, BUILD = 'HEALTHY', 'SHUTDOWN', 'BUILD'


def build_manager(conf):
    cls = get_manager_class(conf.manager)
    run_as = SYSTEM_USERS.get(conf.manager) if os.geteuid() == 0 else None
    return cls(data_dir=conf.data_dir, run_dir=conf.run_dir, address=conf.address,
               engine_path=conf.engine_path, memory_mb=conf.memory_mb, run_as=run_as,
               template_dir=conf.template_dir, admin_password=conf.admin_password)


class GuestEndpoint:
    """What the task manager and the API may ask of this guest (RPC API 1.4: 1.0,
    1.1's stop_db and get_diagnostics, 1.2's module_apply, module_list, module_remove and
    prepare's modules, 1.3's replication_* calls and prepare's replica_of, 1.4's
    replication_canary_account)."""

    target = messaging.Target(version='1.4')

    def __init__(self, manager, reporter, conf):
        self.manager = manager
        self.reporter = reporter
        self.conf = conf
        self.prepared = threading.Event()
        self.busy = threading.Lock()   # lifecycle operations exclude the heartbeat's restarts
        self.found_dead = False
        # A fallback to the previous configuration values that no call answered with (the
        # heartbeat's restart of a dead engine, resume): the next heartbeat carries it.
        self.unreported_rollback = None
        self.modules = modules_mod.ModuleManager(modules_dir(conf), owner=_file_owner(manager))
        self.sampler = metrics.Sampler()

    # -- lifecycle -------------------------------------------------------------------
    def prepare(self, ctxt, databases, users, restore=None, access=None, overrides=None,
                modules=None, replica_of=None):
        threading.Thread(target=self._prepare, args=(databases, users, restore, access,
                                                     overrides, modules, replica_of),
                         daemon=True).start()

    def _prepare(self, databases, users, restore=None, access=None, overrides=None,
                 modules=None, replica_of=None):
        # `access`: the sources tenants may connect from, recorded before the engine's
        # first start so it never runs without them (engines that cannot restrict
        # sources do not declare 'access' and are sent "any"). `overrides`: the attached
        # configuration group's values, written before the first start too, so the engine
        # starts with them. `modules` (1.2): payloads applied once the engine is prepared;
        # one that fails is a failed step, never a failed create. `replica_of` (1.3): the
        # source_info of the source this instance follows (guestagent/replication), after
        # the restore of the source's backup when there is one.
        enforce = access is not None and 'access' in self.manager.capabilities
        with self.busy:
            self.reporter.step('create', 'prepare', 'RUNNING', 'initialising the engine')
            try:
                if enforce:
                    self.manager.apply_access(access)
                if overrides:
                    self.manager.update_overrides(overrides)
                self.manager.last_rollback = None
                if restore:
                    self._restore(restore, replica_of)
                else:
                    self.manager.prepare(databases=databases, users=users)
                    if replica_of:
                        self._replication().attach(replica_of, restored=False)
            except Exception as error:
                LOG.error('prepare failed: %s', error)
                self.reporter.operation_done('create', False, _tenant_message(error),
                                             traceback.format_exc())
                return
            rolled_back = self.manager.last_rollback
            if rolled_back:
                # The engine runs, without the values it could not start with.
                self.reporter.step('create', 'configuration', 'FAILED', _rollback_message(
                    rolled_back))
            self.prepared.set()
            # Marks the data as prepared: after a host restart the agent just starts the engine.
            open(os.path.join(self.conf.run_dir, 'prepared'), 'w').close()
            if modules:
                self._apply_at_create(modules)
            self.reporter.operation_done('create', True)
            self.reporter.heartbeat(HEALTHY, self.manager.data_size_bytes())

    def _apply_at_create(self, modules):
        # Files only (no engine restart): quick enough to finish before the create is done,
        # so the instance is ACTIVE with its modules in place.
        self.reporter.step('create', 'modules', 'RUNNING', 'applying %d modules' % len(modules))
        try:
            results = self.modules.apply(modules)
        except Exception as error:
            # Never a failed create: the instance runs, its modules can be applied again.
            # Type and stack only: the error's text might quote a module's contents.
            LOG.error('applying the modules failed: %s\n%s', type(error).__name__,
                      ''.join(traceback.format_tb(error.__traceback__)))
            self.reporter.step('create', 'modules', 'FAILED', 'The modules could not be '
                               'applied; apply them again once the instance is active.',
                               module_ids=[m['id'] for m in modules
                                           if isinstance(m, dict) and m.get('id')])
            return
        for result in results:
            if result['status'] != modules_mod.OK:
                self.reporter.step('create', 'modules', 'FAILED',
                                   **_failed_step(result))

    def _restore(self, chain, replica_of=None):
        """Restore a backup chain (full first), each object verified, then start the engine
        (restored accounts may carry what would exempt them from the access sources: the
        engine enforces the sources before it listens on its address), as a replica of
        `replica_of` when given."""
        from api_service.guestagent import backup
        records = [{'key': link['location'], 'checksum': link['checksum'],
                    'size': link.get('size'), 'metadata': link['metadata']} for link in chain]
        backup.restore_from_storage(self.manager, self._storage(), records)
        if replica_of:
            self._replication().attach(replica_of, restored=True)
        else:
            self.manager.start_restored()

    def _storage(self):
        if self.conf.backup_storage_backend == 'swift':
            from api_service.drivers.storage import swift
            from api_service.guestagent.config import CONF
            return swift.SwiftObjectStore(**swift.options_from_conf(CONF.backup_swift))
        from api_service.drivers.storage import local
        return local.LocalObjectStore(self.conf.backup_storage_root)

    # -- backups -----------------------------------------------------------------------
    def create_backup(self, ctxt, backup_id, location, parent):
        threading.Thread(target=self._backup, args=(backup_id, location, parent),
                         daemon=True).start()

    def _backup(self, backup_id, location, parent):
        from api_service.guestagent import backup
        parent_record = ({'key': parent['location'], 'metadata': parent['metadata']}
                         if parent else None)
        with self.busy:
            try:
                record = backup.backup_to_storage(self.manager, self._storage(), location,
                                                  parent=parent_record)
            except Exception as error:
                LOG.error('backup %s failed: %s', backup_id, error)
                self.reporter.backup_done(backup_id, False,
                                          message=_tenant_message(error, 'The backup failed'))
                return
        self.reporter.backup_done(backup_id, True, size=record['size'],
                                  checksum=record['checksum'], metadata=record['metadata'])

    def resume(self):
        """After a host restart: the data is prepared; start the engine again (with the
        configuration it last ran with, if new values keep it from starting)."""
        self.prepared.set()
        with self.busy:
            if self.manager.stopped_on_request():
                LOG.info('the engine stays stopped: an operator stopped it')
            elif not self.manager.is_running():
                self._keep_rollback(self.manager.start())

    def restart(self, ctxt):
        """{'status': HEALTHY}, plus {'rolled_back': {'parameters': [names], 'reason':
        the engine's error}} when the engine started again without the configuration values
        that kept it from starting."""
        with self.busy:
            rolled_back = self.manager.restart()
        return _with_rollback({'status': HEALTHY}, rolled_back)

    def resize_memory(self, ctxt, memory_mb):
        """{'memory_bytes': ...}, plus 'rolled_back' as restart answers it."""
        with self.busy:
            self.manager.set_memory(memory_mb)
            rolled_back = self.manager.restart()
        return _with_rollback({'memory_bytes': self.manager.current_memory_setting()},
                              rolled_back)

    def stop_db(self, ctxt):
        """1.1, the operator's stop: stop the engine and keep it stopped; the agent stays up
        and its heartbeats say SHUTDOWN until a restart starts the engine. Answers
        {'result': {'status': SHUTDOWN}}, or {'error': ...} as guest_call does."""
        with self.busy:
            answer = _answer('stopping the database', self.manager.stop_on_request)
            if 'error' in answer:
                return answer
            try:
                # Said at once, not a period later: the operating status changes now.
                self._report(False)
            except Exception:
                LOG.exception('heartbeat failed')   # the next period's says it
        return {'result': {'status': SHUTDOWN}}

    def get_diagnostics(self, ctxt):
        """1.1: {'result': the engine process's figures (diagnostics.KEYS; None while it is
        stopped) and the volume's use}, or {'error': ...} as guest_call answers. Read without
        the lifecycle lock: a figure taken during a restart is as good as any."""
        return _answer('reading the diagnostics', self._diagnostics)

    def _diagnostics(self):
        return dict(diagnostics.of(self.manager), used_bytes=self.manager.data_size_bytes())

    # -- modules (1.2) -------------------------------------------------------------------
    # Not under the lifecycle lock: drivers place files and never touch the engine, so the
    # heartbeat goes on while they work.
    def module_apply(self, ctxt, modules):
        """{'result': [guest result, in the order applied]}: each module OK or FAILED with
        its message; one failing never stops the others."""
        return _answer('applying modules', self.modules.apply, modules=modules)

    def module_list(self, ctxt, include_contents=False):
        """{'result': [guest result of each applied module]}, with base64 `contents` when
        include_contents."""
        return _answer('listing modules', self.modules.list,
                       include_contents=bool(include_contents))

    def module_remove(self, ctxt, module):
        """{'result': {'removed': True}}, or {'error': code 404} when it is not applied."""
        return _answer('removing the module', self.modules.remove, module=module)

    # -- replication (1.3) ------------------------------------------------------------------
    # Each answers {'result': ...} or {'error': ...} as guest_call does, under the lifecycle
    # lock (they may restart the engine). Answers with a source_info carry the replication
    # password: the calls are sealed, and the task manager never logs or records them.
    def _replication(self):
        from api_service.guestagent import replication
        return replication.get_strategy(self.manager)

    def _replicating(self, operation, method_name, **kwargs):
        def run(**arguments):
            return getattr(self._replication(), method_name)(**arguments)
        with self.busy:
            return _answer(operation, run, **kwargs)

    def replication_enable_source(self, ctxt, replica_ids, sources):
        return self._replicating('enabling replication', 'enable_source',
                                 replica_ids=replica_ids, sources=sources)

    def replication_forget_replica(self, ctxt, replica_id):
        return self._replicating('forgetting a replica', 'forget_replica',
                                 replica_id=replica_id)

    def replication_detach(self, ctxt):
        return self._replicating('detaching the replica', 'detach')

    def replication_position(self, ctxt):
        # No lock: a position read during another operation is as good as any, and eject
        # asks every replica while one may be restarting.
        return _answer('reading the replication position', self._replication_position)

    def _replication_position(self):
        return self._replication().position()

    def replication_fence(self, ctxt):
        return self._replicating('stopping writes', 'fence')

    def replication_unfence(self, ctxt):
        return self._replicating('taking writes again', 'unfence')

    def replication_wait_for(self, ctxt, token, timeout):
        return self._replicating('catching up with the source', 'wait_for', token=token,
                                 timeout=timeout)

    def replication_promote(self, ctxt, replica_ids, sources):
        return self._replicating('promoting the replica', 'promote', replica_ids=replica_ids,
                                 sources=sources)

    def replication_follow(self, ctxt, source_info, was_source=False):
        return self._replicating('following the new source', 'follow',
                                 source_info=source_info, was_source=was_source)

    def replication_status(self, ctxt):
        return _answer('reading the replication status', self._replication_status)

    def replication_canary_account(self, ctxt, password, sources, run=None):
        """1.4: the account the task manager's canary writer uses during a switchover
        (guestagent/replication/canary.py), with `password`, admitted from `sources`; None
        removes it. Answers {'user', 'database', 'target', 'port'}; sealed (a password)."""
        from api_service.guestagent.replication import canary

        def apply():
            return canary.account_for(self.manager).apply(password, sources, run=run)
        with self.busy:
            return _answer('setting up the canary account', apply)

    def _replication_status(self):
        return self._replication().status()

    def get_filesystem_stats(self, ctxt):
        return {'used_bytes': self.manager.data_size_bytes()}

    def rpc_ping(self, ctxt):
        return {'instance_id': self.conf.instance_id, 'prepared': self.prepared.is_set()}

    # -- databases, users, root: straight to the manager ---------------------------------------
    def guest_call(self, ctxt, operation, kwargs):
        allowed = {'create_databases', 'list_databases', 'delete_database', 'create_users',
                   'list_users', 'get_user', 'delete_user', 'change_passwords',
                   'update_attributes', 'grant_access', 'revoke_access', 'list_access',
                   'enable_root', 'disable_root', 'is_root_enabled', 'apply_access',
                   'update_overrides', 'get_configuration', 'set_root_hash'}
        if operation not in allowed:
            return {'error': errors.BadRequest('Unknown guest call.').to_dict()}
        return _answer(operation, getattr(self.manager, operation), **kwargs)

    # -- heartbeat ---------------------------------------------------------------------
    def heartbeat_forever(self, stop):
        while not stop.wait(self.conf.heartbeat_interval):
            if not self.prepared.is_set():
                continue
            try:
                self._heartbeat()
            except Exception:
                LOG.exception('heartbeat failed')

    def _heartbeat(self):
        if not self.busy.acquire(blocking=False):
            return          # an operation is changing the engine; report afterwards
        try:
            running = self.manager.is_running()
            if (not running and self.found_dead and self.conf.restart_failed_engines
                    and not self.manager.stopped_on_request()):
                # Dead for a whole period (so SHUTDOWN was reported and seen): restart it.
                # Not one an operator stopped: that one stays down until a restart.
                LOG.warning('the engine is not running; restarting it')
                self._keep_rollback(self.manager.start())
                running = self.manager.is_running()
            self.found_dead = not running
            self._report(running)
        finally:
            self.busy.release()

    def _report(self, running):
        extra = {}
        if self.unreported_rollback:
            extra['last_rollback'] = self.unreported_rollback
        # Never raises: each figure that cannot be read is None.
        extra['metrics'] = self.sampler.sample(self.manager)
        self.reporter.heartbeat(HEALTHY if running else SHUTDOWN,
                                self.manager.data_size_bytes(), **extra)
        self.unreported_rollback = None     # sent (a cast that raised keeps it)

    def _keep_rollback(self, rolled_back):
        if rolled_back:
            self.unreported_rollback = rolled_back


def modules_dir(conf):
    """[guest] modules_dir, else <run_dir>/modules: inside the instance's own directory, so
    deleting the instance removes them."""
    return getattr(conf, 'modules_dir', None) or os.path.join(conf.run_dir, 'modules')


def _file_owner(manager):
    # The engine's (uid, gid) when the agent is root: the files modules place are its to read.
    owner = getattr(manager, 'file_owner', None)
    return owner() if owner else None


def _answer(operation, method, **kwargs):
    """{'result': what `method` returned}, or {'error': a typed error's code and message}
    that the service's client turns back into its error (details stay in this log)."""
    try:
        return {'result': method(**kwargs)}
    except errors.GuestError as error:
        if error.details:
            LOG.warning('%s failed: %s', operation, error.details)
        answer = error.to_dict()
        answer.pop('details', None)   # operators read them in the agent's log
        return {'error': answer}
    except Exception:
        # Anything else (a full disk, a bug) is still an answer the API can relay.
        LOG.exception('%s failed', operation)
        answer = errors.EngineError('The guest agent could not complete %s.'
                                    % operation.replace('_', ' ')).to_dict()
        answer.pop('details', None)
        return {'error': answer}


# What the tenant reads of a module the operator hid (visible=false) that failed at create:
# not its name (the guest's result, which admins alone see, keeps the whole message).
HIDDEN_MODULE_FAILED = 'A module set by the operator could not be applied.'


def _failed_step(result):
    """The failed 'modules' step of one FAILED result: its message (the admins' details
    for an invisible module) and its id, so the conductor forgets it is on the instance."""
    named = result.get('message') or "Module '%s' failed." % result.get('name')
    step = {'module_ids': [result['id']] if result.get('id') else None}
    if result.get('visible', True):
        return dict(step, message=named)
    return dict(step, message=HIDDEN_MODULE_FAILED, details=named)


def _with_rollback(answer, rolled_back):
    if rolled_back:
        answer['rolled_back'] = rolled_back
    return answer


def _rollback_message(rolled_back):
    return ('The engine did not start with the configuration values of %s (%s); it runs '
            'with the previous ones.' % (', '.join(rolled_back['parameters']),
                                         rolled_back['reason']))


def _tenant_message(error, what='The engine failed to start'):
    if isinstance(error, errors.GuestError) or hasattr(error, 'to_dict'):
        return str(error)
    return '%s: %s' % (what, type(error).__name__)


def wait_engine_stopped(manager, timeout=30):
    deadline = time.monotonic() + timeout
    while manager.is_running() and time.monotonic() < deadline:
        time.sleep(0.1)
