"""Where an instance admits connections from: the sources its engine is told to let in.

An instance's `access` is what the tenant asked for (`is_public`, `allowed_cidrs`); its
sources are what that means on this deployment:

- private (`is_public` false, the default): the service's own hosts
  ([access] service_cidrs) only. Not the instance's network: networks are the operator's
  and shared by every project, so its subnet would admit other tenants' instances;
- public: any source;
- `allowed_cidrs` given: only those, within the above (so narrowing to sources of one's
  own is done on a public instance, as in Trove). CIDRs either nest or are disjoint, so
  the intersection of two lists keeps the narrower of each nesting pair.

The engines enforce the sources (see the guest managers' `apply_access`); a datastore
version that cannot is offered no access control (it lacks the `access` capability).
"""
import ipaddress
import json

from api_service.common import exceptions
from api_service.common.config import CONF

# The capability of a datastore version whose engine enforces the sources.
CAPABILITY = 'access'
ANY_SOURCE = ('0.0.0.0/0', '::/0')


def parse_cidrs(values, what='allowed_cidrs'):
    """Normalised CIDR texts (host bits cleared, duplicates dropped); 400 naming every bad
    one (fixing them one refusal at a time is a chore)."""
    cidrs, bad = [], []
    for value in values or ():
        try:
            cidr = str(ipaddress.ip_network(value, strict=False))
        except (TypeError, ValueError):
            bad.append("'%s'" % str(value)[:64])
            continue
        if cidr not in cidrs:
            cidrs.append(cidr)
    if len(bad) == 1:
        raise exceptions.BadRequest('%s: %s is not a CIDR such as 10.0.0.0/24.'
                                    % (what, bad[0]))
    if bad:
        raise exceptions.BadRequest('%s: not valid CIDRs: %s. Write each as a CIDR such as '
                                    '10.0.0.0/24.' % (what, ', '.join(bad)))
    return cidrs


def _networks(cidrs):
    return [ipaddress.ip_network(c) for c in cidrs]


def _within(inner, outer):
    return inner.version == outer.version and inner.subnet_of(outer)


def intersect(first, second):
    """The sources both CIDR lists admit, as CIDR texts (each pair nests or is disjoint)."""
    found = []
    for a in _networks(first):
        for b in _networks(second):
            narrower = a if _within(a, b) else b if _within(b, a) else None
            if narrower is not None and str(narrower) not in found:
                found.append(str(narrower))
    return collapse(found)


def collapse(cidrs):
    """The CIDRs without those another one in the list contains, in their order."""
    networks = _networks(cidrs)
    return [str(n) for n in networks
            if not any(other != n and _within(n, other) for other in networks)]


def service_cidrs():
    return parse_cidrs(CONF.access.service_cidrs, what='[access] service_cidrs')


def private_sources():
    """What a private instance admits: the service's own hosts, nothing else."""
    return collapse(service_cidrs())


def sources(is_public, allowed_cidrs):
    """The sources an instance with this access admits; 400 when there are none."""
    admitted = list(ANY_SOURCE) if is_public else private_sources()
    if not allowed_cidrs:
        return admitted
    narrowed = intersect(allowed_cidrs, admitted)
    if not narrowed:
        raise exceptions.BadRequest(
            'allowed_cidrs %s admit no source a private instance accepts (only the '
            "service's own hosts: %s). To admit exactly the allowed_cidrs, make the instance "
            'public (is_public: true) with them.' % (', '.join(allowed_cidrs),
                                                      ', '.join(admitted)))
    return narrowed


def sources_of(instance):
    """The sources of a stored instance, as its guest must enforce them. A recorded access
    that admits nothing on this deployment (private with allowed_cidrs outside the service's
    hosts: recorded before private meant only those, or [access] service_cidrs changed
    since) admits no source, [], rather than more than was asked."""
    try:
        return sources(bool(instance.is_public), json.loads(instance.allowed_cidrs or '[]'))
    except exceptions.BadRequest:
        return []


def check_configured(process):
    """Stop a service's start, in the operator's words, when [access] service_cidrs holds
    something that is not a CIDR (else every access check would refuse tenants over it)."""
    try:
        service_cidrs()
    except exceptions.BadRequest as error:
        raise SystemExit('%s: %s' % (process, error.message))
