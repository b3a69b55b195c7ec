"""Modules and an instance's modules, through python-troveclient, as the logged-in user.

Each function is exactly one API call, as in trove.py, so a view's cost in calls is the
number of these it makes. Contents go out as bytes: troveclient base64-encodes them; they
come back (retrieve) base64-encoded and are decoded here, so views only see bytes.
"""
import base64

from horizon.utils import functions as horizon_utils

from trove_dashboard.api import trove

# The Apply Module dialog lists the modules that fit an instance in one page this size.
APPLY_CHOICES_LIMIT = 1000


def _client(request):
    return trove.troveclient(request)


# -- the Modules panel ---------------------------------------------------------------------

def module_list_page(request, marker=None):
    """One page of the modules the user may see and whether more follow: one call."""
    page = _client(request).modules.list(limit=horizon_utils.get_page_size(request),
                                         marker=marker)
    return list(page), page.next


def module_list_for(request, datastore):
    """The modules of `datastore` (by name) and of all datastores: one call."""
    return list(_client(request).modules.list(limit=APPLY_CHOICES_LIMIT, datastore=datastore))


def module_get(request, module_id):
    """The module with its instance_count (never its contents)."""
    return _client(request).modules.get(module_id)


def module_create(request, name, module_type, contents, **options):
    """contents: bytes. options: troveclient's (description, datastore, datastore_version,
    all_tenants, auto_apply, visible, live_update, priority_apply, apply_order,
    full_access); the ones left out take the API's defaults."""
    return _client(request).modules.create(name, module_type, contents, **options)


def module_update(request, module_id, **changes):
    """Change only what `changes` names (troveclient's update arguments; contents bytes)."""
    return _client(request).modules.update(module_id, **changes)


def module_delete(request, module_id):
    """Refused while a module that cannot be updated live is applied somewhere."""
    _client(request).modules.delete(module_id)


# -- an instance's modules -----------------------------------------------------------------

def instance_module_list(request, instance_id):
    """The modules recorded as applied to the instance (no guest call): one call."""
    return list(_client(request).instances.modules(instance_id))


def instance_module_query(request, instance_id):
    """What the instance's guest reports it holds (status, message, md5...): one call."""
    return list(_client(request).instances.module_query(instance_id))


def instance_module_apply(request, instance_id, module_ids):
    """Apply the modules now; the guest's result for each (status OK or FAILED)."""
    return list(_client(request).instances.module_apply(instance_id, module_ids))


def instance_module_remove(request, instance_id, module_id):
    _client(request).instances.module_remove(instance_id, module_id)


def instance_module_contents(request, instance_id, module_id):
    """(the guest's result for the module, its contents as bytes), or None when the guest
    does not hold it: one call (the guest answers for all its modules at once)."""
    found = _client(request).instances._modules_get(instance_id, from_guest=True,
                                                    include_contents=True)
    for module in found:
        if module.id == module_id:
            return module, base64.b64decode(getattr(module, 'contents', None) or '')
    return None
