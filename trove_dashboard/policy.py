"""Horizon's policy check, with the target attribute Trove's rules name.

Trove's default rules (and so ours) say `project_id:%(tenant)s`; Horizon fills
`project_id` and `tenant_id` in a target but not `tenant`, so every owner rule
would fail. local_settings.py points POLICY_CHECK_FUNCTION here.
"""
from openstack_auth import policy as auth_policy
from openstack_auth import utils as auth_utils

SCOPE = 'database'


def check(actions, request, target=None):
    target = dict(target or {})
    if any(scope == SCOPE for scope, _rule in actions):
        project_id = target.get('project_id') or auth_utils.get_user(request).project_id
        target.setdefault('tenant', project_id)
        target.setdefault('project_id', project_id)
    return auth_policy.check(actions, request, target)
