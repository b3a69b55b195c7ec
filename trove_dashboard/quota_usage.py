"""A project's quota of one resource as GET /limits reports it: `max_<resource>` (-1: no
limit) and our extension's `in_use_<resource>`. The Overview's pies, Launch's bars and the
Instances page's launch refusal all read it here."""


def limit_and_use(limits, resource):
    """(limit, used) of `resource`, or None when the limits do not report both as numbers
    (an older API, or a resource it does not count)."""
    limit, used = limits.get('max_' + resource), limits.get('in_use_' + resource)
    if isinstance(limit, int) and isinstance(used, int):
        return limit, used
    return None
