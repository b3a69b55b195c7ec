"""A configuration group's values on the guest. Mixed into EngineManager.

The values live in an include file the engine reads after its base config (so a group's value
wins over a flavor-derived default), written whole from the agent's state at every change and
every start; it always exists, empty without a group. The state keeps two sets:

- `overrides`: the values in the include;
- `applied_overrides`: what the running engine has (taken live, or started with).

They differ while a value waits for a restart. Whether a value can change live is the engine's
word (each engine's `_apply_overrides_live`), never a table's. A value the running engine
refuses leaves everything as it was (include, state and live values) and is a BadRequest naming
the parameter with the engine's reason. A start with values the engine never ran with whose
process exits is retried with `applied_overrides` (`_roll_back_start`), and says what it undid;
a start that only takes long is no reason to drop the values.
"""
import logging
import math
import os
import re

from api_service.guestagent import errors

LOG = logging.getLogger(__name__)

NAME_MAX = 80
VALUE_MAX = 4096
# Bytes of the engine's log read for the reason a start failed.
LOG_READ_MAX = 65536
_ABSENT = object()
# Control characters would end an option line (and start another) in any engine's file.
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')


def same(first, second):
    """Equal values of the same type (True is not 1; 1 is not 1.0)."""
    return type(first) is type(second) and first == second


def differing(first, second):
    """The names whose value (or presence) differs between two {name: value} sets."""
    return {name for name in set(first) | set(second)
            if not same(first.get(name, _ABSENT), second.get(name, _ABSENT))}


class GuestOverrides:
    """The include file, live changes and safe starts; engines supply the hooks at the end."""

    # The include's name in run_dir.
    overrides_file = 'overrides.conf'
    # Names the agent itself sets (paths, ports, sockets, accounts, replication, logging):
    # never a group's, whatever a parameter table says.
    controlled_parameters = frozenset()
    parameter_name_pattern = re.compile(r'[a-z][a-z0-9_.-]*\Z')
    # What the last start that fell back to applied_overrides undid (for prepare's report).
    last_rollback = None
    # The values the include is written with instead of the state's, during a fallback start.
    _start_values = None

    @property
    def overrides_path(self):
        return os.path.join(self.run_dir, self.overrides_file)

    @property
    def overrides(self):
        """The values in the include file ({} without a group)."""
        return dict(self._load_state().get('overrides') or {})

    @property
    def applied_overrides(self):
        """The values the running engine has (or had when it stopped)."""
        return dict(self._load_state().get('applied_overrides') or {})

    # ----------------------------------------------------------- validation

    def _check_parameter_name(self, name):
        if not isinstance(name, str) or not 0 < len(name) <= NAME_MAX \
                or not self.parameter_name_pattern.match(name):
            raise errors.BadRequest('%r is not a %s parameter name.'
                                    % (str(name)[:NAME_MAX], self.display_name))
        if self._controlled_name(name) in self.controlled_parameters:
            raise errors.BadRequest("The parameter '%s' is set by the guest agent and cannot be "
                                    'configured.' % name)
        return name

    def _controlled_name(self, name):
        """The form `controlled_parameters` lists names in (MariaDB: '-' and '_' alike)."""
        return name

    def _check_overrides(self, values):
        if not isinstance(values, dict):
            raise errors.BadRequest('The configuration values must be an object of '
                                    'parameter names and values.')
        checked = {}
        for name, value in values.items():
            self._check_parameter_name(name)
            if isinstance(value, float) and not math.isfinite(value):
                raise errors.BadRequest("The value of '%s' must be a finite number." % name)
            if isinstance(value, str):
                if len(value) > VALUE_MAX:
                    raise errors.BadRequest("The value of '%s' is longer than %d characters."
                                            % (name, VALUE_MAX))
                if _CONTROL.search(value):
                    raise errors.BadRequest("The value of '%s' must not contain control "
                                            'characters (line breaks, tabs).' % name)
            elif not isinstance(value, (bool, int, float)):
                raise errors.BadRequest("The value of '%s' must be a boolean, a number or a "
                                        'string.' % name)
            checked[name] = value
        return checked

    # --------------------------------------------------------------- public

    def update_overrides(self, values):
        """Make `values` (a group's whole set; {} detaches) the engine's overrides: written
        to the include, taken live where the running engine allows it, otherwise at the
        next start. Returns {'pending_restart': [names]}, the values waiting for a start."""
        self._require('configuration')
        values = self._check_overrides(values)
        with self._lock:
            self._make_dir(self.run_dir)
            state = self._load_state()
            previous = dict(state.get('overrides') or {})
            applied = dict(state.get('applied_overrides') or {})
            bootstrap = not state.get('prepared')
            self._check_known_names(sorted(values))
            if self.pid() is not None:
                # A start that timed out may have come up since, with the values it read.
                applied = self._adopt_spawned_values(applied)
            self._save_state(overrides=values)
            try:
                self._write_config(bootstrap=bootstrap)
                if self.pid() is not None:
                    applied = self._apply_overrides_live(applied, values)
                    self._save_state(applied_overrides=applied)
            except Exception as exc:
                # The engine keeps what it had: put the previous include back.
                self._save_state(overrides=previous)
                self._write_config(bootstrap=bootstrap)
                if self.pid() is not None:
                    self._restore_live()
                if not isinstance(exc, errors.GuestError):
                    LOG.exception('%s: applying the configuration failed', self.manager)
                    raise errors.EngineError('%s could not apply the configuration; it keeps '
                                             'the previous values.' % self.display_name)
                raise
            pending = sorted(differing(values, applied))
            # Names only: values stay out of the log.
            LOG.info('%s: configuration of %d parameters written; waiting for a restart: %s',
                     self.manager, len(values), ', '.join(pending) or 'none')
            return {'pending_restart': pending}

    def get_configuration(self, names):
        """{name: value as text} of `names`, read from the running engine; names it does not
        know are left out."""
        self._require('configuration')
        if not isinstance(names, (list, tuple)) or len(names) > 1000:
            raise errors.BadRequest('The parameter names must be a list of at most 1000.')
        names = [name for name in names if self._is_readable_name(name)]
        if not names:
            return {}
        found = self._read_configuration(sorted(set(names)))
        return {name: found[name] for name in names if name in found}

    def _is_readable_name(self, name):
        return (isinstance(name, str) and 0 < len(name) <= NAME_MAX
                and bool(self.parameter_name_pattern.match(name)))

    # ------------------------------------------------------------- the include

    def _include_values(self):
        """What the include holds: the state's values, or the previous ones during a fallback."""
        if self._start_values is not None:
            return dict(self._start_values)
        return self.overrides

    def _write_overrides(self):
        """Write the include; each engine's _write_config calls this."""
        self._write_file(self.overrides_path, self._render_overrides(self._include_values()))

    # ------------------------------------------------------------ safe starts

    def _pending_overrides(self):
        """Names whose value in the include the engine has not run with."""
        state = self._load_state()
        return differing(state.get('overrides') or {}, state.get('applied_overrides') or {})

    def _spawning_with_overrides(self):
        """The engine is about to read the include: remember what it holds until it answers."""
        self._save_state(spawned_overrides=self._include_values())

    def _started_with_overrides(self):
        """The engine answers: it runs with what it read at its spawn (even one that answers
        only after an earlier start gave up waiting)."""
        state = self._load_state()
        if state.get('spawned_overrides') is not None:
            self._save_state(applied_overrides=state['spawned_overrides'],
                             spawned_overrides=None)

    def _adopt_spawned_values(self, applied):
        if self._load_state().get('spawned_overrides') is None or not self._ping():
            return applied
        self._started_with_overrides()
        return self.applied_overrides

    def _log_since(self, offset):
        try:
            with open(self.log_path, 'rb') as handle:
                handle.seek(max(offset, os.path.getsize(self.log_path) - LOG_READ_MAX))
                return handle.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def _roll_back_start(self, pending, log_offset, timeout, error):
        """The engine exited while starting with the values in `pending` (`error`): start it
        with the ones it last ran with. Only once that start answers does the state take
        them; if it fails too, the state and the include keep the group's values and `error`
        goes on. Returns {'parameters': [names], 'reason': the engine's error line}."""
        reason = (self._start_failure_reason(self._log_since(log_offset))
                  or '%s did not start.' % self.display_name)
        previous = self.applied_overrides
        LOG.warning('%s: exited while starting with the new values of %s (%s); starting with '
                    'the previous ones', self.manager, ', '.join(sorted(pending)), reason)
        self._start_values = previous
        try:
            self._start_once(timeout)
        except Exception as retry_error:
            LOG.error('%s: did not start with the previous values either: %s',
                      self.manager, retry_error)
            self._start_values = None
            self._write_overrides()
            raise error
        finally:
            self._start_values = None
        self._save_state(overrides=previous)
        self._started_with_overrides()
        self.last_rollback = {'parameters': sorted(pending), 'reason': reason}
        return dict(self.last_rollback)

    # -------------------------------------------------- helpers for engines

    @staticmethod
    def _apply_each(steps, current, assign):
        """Assign each (name, value) live in turn. `assign` returns False when the engine
        takes that name only at start. When one is refused (a GuestError), the ones before
        it get their previous values back (read with `current`), and the error goes on.
        Returns the names taken live."""
        done = []
        try:
            for name, value in steps:
                before = current(name)
                if assign(name, value):
                    done.append((name, before))
        except errors.GuestError:
            for name, before in reversed(done):
                try:
                    assign(name, before)
                except errors.GuestError:
                    LOG.exception('restoring the live value of %s failed', name)
            raise
        return [name for name, _ in done]

    # ------------------------------------------------------------------ hooks

    def _check_known_names(self, names):
        """BadRequest for a name the engine does not know, where the option parser would
        read an unknown name as something else (MariaDB's abbreviations); the others let
        the engine itself refuse it (a live change, `postgres -C`, the next start)."""

    def _render_overrides(self, values):
        """The include file's text for `values`."""
        raise NotImplementedError

    def _apply_overrides_live(self, applied, values):
        """Make the running engine take what it can of `values` (it has `applied`); return
        what it has afterwards. A refused value: undo what was changed live, BadRequest."""
        raise NotImplementedError

    def _restore_live(self):
        """After a failed change, the include holds the previous values again: an engine
        that reads the whole file live (PostgreSQL) reads it again. Others undo their own
        changes in _apply_overrides_live."""

    def _read_configuration(self, names):
        """{name: text} for the names the running engine knows."""
        raise NotImplementedError

    def _start_failure_reason(self, log_text):
        """The engine's own line saying why it did not start, from its log since the start."""
        return ''


def bad_value(engine, name, reason):
    """The BadRequest for a value an engine refused, in the tenant's words."""
    reason = ' '.join(str(reason).split()).rstrip('.')
    return errors.BadRequest("%s refused the value of '%s': %s." % (engine, name, reason))
