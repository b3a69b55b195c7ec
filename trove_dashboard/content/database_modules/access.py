"""Who may use a module's admin-only options: the API's `module:admin_options` rule, read
through Horizon's policy check, so the dashboard offers exactly what the API accepts."""
from openstack_dashboard import policy

ADMIN_OPTIONS = (('database', 'module:admin_options'),)


def admin_options(request):
    return policy.check(ADMIN_OPTIONS, request)


def may_change(request, module):
    """An admin's module is locked to admins, unless it was made with full access."""
    return not getattr(module, 'is_admin', False) or admin_options(request)
