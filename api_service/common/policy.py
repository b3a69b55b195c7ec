"""Policy enforcement: one enforcer per process, rules by name."""
import logging
import os
import threading
import time

from oslo_policy import policy

from api_service.common import exceptions
from api_service.common import policies
from api_service.common.config import CONF

LOG = logging.getLogger(__name__)

_ENFORCER = None
_LOCK = threading.Lock()
RELOAD_CHECK_SECONDS = 2.0

# What else a create asks for, by the body's key (upstream's rules; spec POL-04).
_CREATE_EXTRAS = {'users': 'instance:extension:user:create',
                  'databases': 'instance:extension:database:create',
                  'modules': 'instance:module_apply',
                  'configuration': 'instance:update'}


class _Enforcer(policy.Enforcer):
    """oslo.policy's enforcer, looking at the policy file every few seconds.

    The stock one searches the config dirs on every check, which costs more than the rest of
    a catalogue request. An operator's edit applies without a restart; a file that goes away
    or cannot be parsed leaves the registered defaults in force (POL-06), not a 500.
    """

    _checked_at = 0.0
    _refused_mtime = None

    def load_rules(self, force_reload=False):
        now = time.monotonic()
        if not (force_reload or not self.rules or now - self._checked_at > RELOAD_CHECK_SECONDS):
            return
        self._checked_at = now
        if self.policy_path and not os.path.exists(self.policy_path):
            LOG.info('policy file %s is gone: the defaults apply', self.policy_path)
            self._use_defaults()
        try:
            super().load_rules(force_reload)
        except (ValueError, TypeError, AttributeError) as error:
            # Not YAML/JSON, or not a mapping of rule names to check strings.
            self._refuse_file(error)

    def _use_defaults(self):
        """Registered defaults only; the file is looked for again on the next check."""
        self.policy_path = None
        self._file_cache.clear()
        self.file_rules = {}
        self.set_rules({name: default.check for name, default in self.registered_rules.items()},
                       overwrite=True, use_conf=True)

    def _refuse_file(self, error):
        path = self.policy_path
        mtime = os.path.getmtime(path) if path and os.path.exists(path) else None
        if mtime != self._refused_mtime:
            LOG.error('policy file %s cannot be read (%s): the defaults apply until it is '
                      'fixed', path, error)
            self._refused_mtime = mtime
        cache = dict(self._file_cache)
        self._use_defaults()
        # Keep its cached mtime, so the same broken file is not parsed again every check.
        self._file_cache.update(cache)
        self.policy_path = path


def get_enforcer():
    """Build the enforcer once; policy_file overrides are read from disk."""
    global _ENFORCER
    if _ENFORCER is None:
        with _LOCK:
            if _ENFORCER is None:
                enforcer = _Enforcer(CONF, policy_file=CONF.api.policy_file)
                enforcer.register_defaults(policies.list_rules())
                _ENFORCER = enforcer
    return _ENFORCER


def reset():
    global _ENFORCER
    _ENFORCER = None


def _credentials(ctx):
    # A plain dict: oslo.context keeps is_admin, which the `admin` rule names (service
    # contexts), and `tenant`, which Ocata-era policy files compare with
    # (`tenant:%(tenant)s`), as deprecated keys that warn on every check.
    creds = dict(ctx.to_policy_values())
    creds['is_admin'] = bool(getattr(ctx, 'is_admin', False))
    creds['tenant'] = ctx.project_id
    return creds


def enforce(ctx, rule, target=None):
    """Raise Forbidden unless ctx may do `rule` on `target` (default: the URL's project)."""
    enforce_all(ctx, [rule], target)


def enforce_all(ctx, rules, target=None):
    """Raise Forbidden naming the first of `rules` ctx may not do; all must pass."""
    target = dict(target or {})
    target.setdefault('tenant', ctx.url_project_id or ctx.project_id)
    target.setdefault('project_id', ctx.url_project_id or ctx.project_id)
    enforcer = get_enforcer()
    creds = _credentials(ctx)
    for rule in rules:
        try:
            enforcer.authorize(rule, target, creds, do_raise=True)
        except policy.PolicyNotAuthorized:
            raise exceptions.Forbidden("Policy doesn't allow %s to be performed." % rule)


def instance_create_rules(instance_body):
    """Every rule a create with this body needs: instance:create and its extras' rules."""
    return ['instance:create'] + [rule for key, rule in _CREATE_EXTRAS.items()
                                  if instance_body.get(key)]
