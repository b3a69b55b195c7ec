"""Policy enforcement: one enforcer per process, rules by name."""
import threading
import time

from oslo_policy import policy

from api_service.common import exceptions
from api_service.common import policies
from api_service.common.config import CONF

_ENFORCER = None
_LOCK = threading.Lock()
RELOAD_CHECK_SECONDS = 2.0


class _Enforcer(policy.Enforcer):
    """oslo.policy's enforcer, looking for policy file changes every few seconds.

    The stock one searches the config dirs on every check, which costs more than
    the rest of a catalogue request.
    """

    _checked_at = 0.0

    def load_rules(self, force_reload=False):
        now = time.monotonic()
        if force_reload or not self.rules or now - self._checked_at > RELOAD_CHECK_SECONDS:
            self._checked_at = now
            super().load_rules(force_reload)


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


def enforce(ctx, rule, target=None):
    """Raise Forbidden unless ctx may do `rule` on `target`."""
    target = dict(target or {})
    target.setdefault('tenant', ctx.url_project_id or ctx.project_id)
    target.setdefault('project_id', ctx.url_project_id or ctx.project_id)
    try:
        get_enforcer().authorize(rule, target, ctx, do_raise=True)
    except policy.PolicyNotAuthorized:
        raise exceptions.Forbidden("Policy doesn't allow %s to be performed." % rule)
