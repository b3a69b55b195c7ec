"""The flavors a page of instances names, listed at most once a minute per project.

A flavor's id names the same flavor for its life, so rows are labelled from a short-lived
copy of the list; a row naming a flavor the copy lacks (one created since) lists them again
at once. This keeps the Instances page at its instances, limits and datastores calls.
An operator's edit of a flavor's name or size shows within FRESH_SECONDS.
"""
import threading
import time

from trove_dashboard.api import trove
from trove_dashboard.content.databases import instance_data

FRESH_SECONDS = 60
MOST_PROJECTS = 256      # a bound on what one process keeps

_lock = threading.Lock()
_kept = {}               # (region, project) -> (listed at, {flavor id: flavor})


def _key(request):
    return (getattr(request.user, 'services_region', None), request.user.project_id)


def _by_id(flavors):
    found = {}
    for flavor in flavors:
        found[str(flavor.id)] = flavor
        found[str(getattr(flavor, 'str_id', flavor.id))] = flavor
    return found


def flavors_for(request, instances):
    """The flavors `instances` name (one list call, or none while the copy is fresh and
    names them all)."""
    wanted = {instance_data.flavor_id_of(i) for i in instances}
    key = _key(request)
    with _lock:
        listed_at, known = _kept.get(key, (0.0, {}))
    if time.monotonic() - listed_at < FRESH_SECONDS and wanted <= set(known):
        return list({id(f): f for f in known.values()}.values())
    flavors = list(trove.flavor_list(request))
    with _lock:
        if len(_kept) >= MOST_PROJECTS and key not in _kept:
            _kept.pop(min(_kept, key=lambda k: _kept[k][0]))
        _kept[key] = (time.monotonic(), _by_id(flavors))
    return flavors


def forget():
    """Drop every copy (tests start from none)."""
    with _lock:
        _kept.clear()
