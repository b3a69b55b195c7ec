"""Apply, list and remove modules on the guest: the store keeps them, drivers act on them.

A module's outcome is always a guest result (status OK or FAILED with a message in the
user's words); one module failing never stops the others nor raises. The contents never
reach the log: a driver's exception is logged as its type and stack only.
"""
import base64
import binascii
import datetime
import hashlib
import logging
import threading
import traceback

from api_service.guestagent import errors
from api_service.guestagent.modules import base
from api_service.guestagent.modules import registry as registry_mod
from api_service.guestagent.modules import store as store_mod

LOG = logging.getLogger(__name__)
OK, FAILED = 'OK', 'FAILED'
ALL = 'all'
DEFAULT_APPLY_ORDER = 5
# What a guest result repeats of the payload (never its contents).
PAYLOAD_FIELDS = ('id', 'name', 'type', 'tenant', 'datastore', 'datastore_version', 'md5',
                  'auto_apply', 'visible', 'priority_apply', 'apply_order', 'is_admin')


def apply_order(modules):
    """Priority modules first, then apply_order ascending, ties by name then id."""
    return sorted(modules, key=_order_key)


def _order_key(module):
    try:
        order = int(module.get('apply_order'))
    except (TypeError, ValueError):
        order = DEFAULT_APPLY_ORDER
    return (not module.get('priority_apply'), order, str(module.get('name') or ''),
            str(module.get('id') or ''))


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S')


class _Refused(Exception):
    """A payload the guest will not store (the message is the tenant's)."""


class ModuleManager:
    """One instance's modules. Calls are serialised among themselves (never with the
    engine's lifecycle: drivers place files, they do not touch the engine)."""

    def __init__(self, modules_dir, owner=None, registry=None):
        self.store = store_mod.ModuleStore(modules_dir, owner)
        self.registry = registry or registry_mod.DriverRegistry()
        self._lock = threading.Lock()

    # -- apply ---------------------------------------------------------------------------
    def apply(self, modules):
        """[guest result] of each payload, in the order applied."""
        with self._lock:
            return [self._apply_guarded(module) for module in apply_order(modules or [])]

    def _apply_guarded(self, module):
        try:
            return self._apply_one(module)
        except Exception as error:
            # A bug or an odd payload: this module fails, the others still apply.
            _log_failure('store', module, error)
            return dict(_result_of(module, now()), status=FAILED, message=(
                "The guest could not apply module '%s'." % module.get('name')))

    def _apply_one(self, module):
        stamp = now()
        result = _result_of(module, stamp)
        try:
            data = _plaintext(module)
            result['md5'] = result['md5'] or _md5(data)
            self._retire_other_types(module)
            previous = self.store.read_result(module['type'], module['id'])
            if previous:
                result['created'] = previous.get('created') or stamp
            path = self.store.write_contents(module['type'], module['id'], data)
            ok, message, filename = self._drive(module, path)
            if ok and previous and previous.get('filename') not in (None, filename):
                self._undo(previous)      # renamed: its old file goes
            elif not ok and previous:
                # What the earlier apply placed is still there: a remove must find it.
                filename = previous.get('filename')
        except (_Refused, store_mod.UnsafeName) as refusal:
            # Not stored: whatever was applied before stays as it was.
            return dict(result, status=FAILED, message=str(refusal))
        except OSError as error:
            LOG.error('module %s: could not be stored: %s', module.get('id'), error)
            return dict(result, status=FAILED, message="The guest could not store module "
                        "'%s': %s." % (module.get('name'), error.strerror or type(error).__name__))
        result.update(status=OK if ok else FAILED, message=message, filename=filename,
                      installed=stamp if ok else None)
        self.store.write_result(result)
        return result

    def _drive(self, module, contents_path):
        """(ok, message, filename) of the module's driver; a missing or failing driver is a
        FAILED outcome."""
        driver_class = self.registry.get(module['type'])
        if driver_class is None:
            return False, "No module driver for type '%s' on this guest." % module['type'], None
        try:
            ok, message, filename = driver_class(self.store).apply(dict(module),
                                                                   contents_path)
        except base.DriverFailed as refusal:
            return False, str(refusal), None
        except Exception as error:
            _log_failure('apply', module, error)
            return False, ("Module '%s' could not be applied: its '%s' driver failed. The "
                           "guest agent's log has the details." % (module.get('name'),
                                                                   module['type'])), None
        return bool(ok), (str(message) if message is not None else None), filename

    def _retire_other_types(self, module):
        # A module whose type changed since it was applied: the old driver undoes its part.
        for stale in self.store.find(module['id']):
            if stale.get('type') != module['type']:
                self._undo(stale)
                self.store.forget(stale['type'], stale['id'])

    def _undo(self, applied):
        driver_class = self.registry.get(applied.get('type'))
        if driver_class is None:
            return True
        try:
            driver_class(self.store).remove(dict(applied))
        except Exception as error:
            _log_failure('remove', applied, error)
            return False
        return True

    # -- list ----------------------------------------------------------------------------
    def list(self, include_contents=False):
        """[guest result] of every applied module, in apply order; `contents` (base64) with
        include_contents."""
        with self._lock:
            results = [self._queried(r) for r in self.store.results() if not r.get('removed')]
            if include_contents:
                for result in results:
                    result['contents'] = self._contents_of(result)
        return apply_order(results)

    def _queried(self, result):
        """The stored result, FAILED now when its driver finds it no longer in effect."""
        driver_class = self.registry.get(result.get('type'))
        if result.get('status') != OK or driver_class is None:
            return result
        try:
            answer = driver_class(self.store).query(dict(result))
        except Exception as error:
            _log_failure('query', result, error)
            return result
        if answer and not answer[0]:
            return dict(result, status=FAILED, message=str(answer[1]))
        return result

    def _contents_of(self, result):
        try:
            data = self.store.read_contents(result['type'], result['id'])
        except OSError:
            return None
        return base64.b64encode(data).decode('ascii')

    # -- remove --------------------------------------------------------------------------
    def remove(self, module):
        """{'removed': True}; errors.NotFound when the module is not applied here."""
        with self._lock:
            applied = self.store.find(module.get('id'))
            if not applied:
                raise errors.NotFound("Module '%s' is not applied on this instance."
                                      % (module.get('name') or module.get('id')))
            for result in applied:
                if not self._undo(result):
                    raise errors.EngineError(
                        "Module '%s' could not be removed: its '%s' driver failed; it stays "
                        "applied." % (result.get('name'), result.get('type')))
                self.store.forget(result['type'], result['id'])
        return {'removed': True}


def _result_of(module, stamp):
    result = {key: module.get(key) for key in PAYLOAD_FIELDS}
    for key in ('tenant', 'datastore', 'datastore_version'):
        result[key] = result[key] or ALL
    result.update(status=None, message=None, filename=None, installed=None, created=stamp,
                  updated=stamp, removed=None)
    return result


def _plaintext(module):
    """The payload's contents as bytes, checked against its md5."""
    name = module.get('name')
    for key in ('id', 'type'):
        if not module.get(key):
            raise _Refused("Module '%s' has no %s; it cannot be applied." % (name, key))
    try:
        data = base64.b64decode(module.get('contents') or '', validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise _Refused("The contents of module '%s' are not base64." % name)
    if module.get('md5') and _md5(data) != module['md5']:
        raise _Refused("The contents of module '%s' do not match its md5; apply it again."
                       % name)
    return data


def _md5(data):
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _log_failure(action, module, error):
    # Type and stack only: an exception's text may quote the contents.
    LOG.error("module %s (%s) of type '%s': %s raised %s\n%s", module.get('id'),
              module.get('name'), module.get('type'), action, type(error).__name__,
              ''.join(traceback.format_tb(error.__traceback__)))
