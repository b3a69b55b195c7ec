"""An instance joined, in memory, with what the API lists beside it.

A page of instances needs its flavors' names and its versions' capabilities:
both come from one list call each per page, never one call per row.
"""
from trove_dashboard.api import trove
from trove_dashboard.content.databases import catalogue as catalogue_mod
from trove_dashboard import exceptions as dash_exceptions


def flavor_id_of(instance):
    flavor = getattr(instance, 'flavor', None) or {}
    return str(flavor.get('id', '')) if isinstance(flavor, dict) else str(flavor)


def join(instances, flavors, catalogue):
    """Attach `full_flavor` and `capabilities` to each instance."""
    by_id = {str(f.id): f for f in flavors}
    by_id.update({str(getattr(f, 'str_id', f.id)): f for f in flavors})
    for instance in instances:
        # A listed troveclient resource lacks what only a show has (`configuration` when
        # none is attached, `root_enabled`): reading one would fetch the instance again (its
        # lazy load), a call per row. What the list said is all there is.
        if '_loaded' in vars(instance):
            instance._loaded = True
        instance.full_flavor = by_id.get(flavor_id_of(instance))
        instance.capabilities = catalogue.capabilities_of(instance)
    return instances


def load(request, instance_id):
    """One instance with its flavor and capabilities: three calls."""
    instance = trove.instance_get(request, instance_id)
    try:
        flavors = [trove.flavor_get(request, flavor_id_of(instance))]
    except dash_exceptions.NOT_FOUND:
        flavors = []    # the operator deleted the flavor; the row still shows
    return join([instance], flavors, catalogue_mod.Catalogue.load(request))[0]
