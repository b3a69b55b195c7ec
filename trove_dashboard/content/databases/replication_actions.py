"""Promote, Eject and Detach: the actions on a member of a replica set, and what each
does to every member, in words, for its confirmation.

A row knows whether it is a replica (`replica_of`) or a source (`replicas`) from the
instances list itself, so offering the actions costs no API call; the confirmation
(replication_views) reads the set once to name its members.
"""
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from trove_dashboard.content.databases import actions
from trove_dashboard.content.databases import states

SCOPE = 'database'
PROMOTE, EJECT, DETACH = 'promote', 'eject', 'detach'
SOURCE, REPLICA = 'source', 'replica'
ROLE_DISPLAY = {SOURCE: pgettext_lazy('Role in a replica set', 'Source'),
                REPLICA: pgettext_lazy('Role in a replica set', 'Replica')}


def _listed(instance, key):
    """An attribute the API's view has only when set; never a lazy load of the instance
    (a row of a list is not fully loaded, and reading a missing attribute would fetch it)."""
    return vars(instance).get(key) if instance is not None else None


def source_id(instance):
    """The id of the instance's source, if it is a replica."""
    return (_listed(instance, 'replica_of') or {}).get('id')


def replica_ids(instance):
    """The ids of the instance's replicas, if it is a source."""
    return [r['id'] for r in _listed(instance, 'replicas') or []]


def in_a_set(instance):
    return bool(source_id(instance) or replica_ids(instance))


class PromoteReplica(actions.InstanceModalLink):
    name = 'promote'
    verbose_name = _('Promote to Replica Source')
    url_name = 'horizon:project:databases:promote'
    policy_rules = ((SCOPE, 'instance:promote_to_replica_source'),)

    def allowed(self, request, instance=None):
        return bool(source_id(instance)) and states.allows(instance, 'promote')


class EjectSource(actions.InstanceModalLink):
    name = 'eject'
    verbose_name = _('Eject Replica Source')
    url_name = 'horizon:project:databases:eject'
    classes = ('ajax-modal', 'btn-danger')
    policy_rules = ((SCOPE, 'instance:eject_replica_source'),)

    def allowed(self, request, instance=None):
        return bool(replica_ids(instance)) and states.allows(instance, 'eject')


class DetachReplica(actions.InstanceModalLink):
    name = 'detach_replica'
    verbose_name = _('Detach Replica')
    url_name = 'horizon:project:databases:detach_replica'
    # The API checks both: a detach is an update of the instance.
    policy_rules = ((SCOPE, 'instance:detach_replica'), (SCOPE, 'instance:update'))

    def allowed(self, request, instance=None):
        return bool(source_id(instance)) and states.allows(instance, 'detach')


ROW_ACTIONS = (PromoteReplica, DetachReplica, EjectSource)


# -- what an operation does to every member ------------------------------------------------

def members_of(instance, found):
    """(source, replicas) as dicts {id, name, status}: from the API's description of the
    set (`found`, replication.replica_set) or, when it could not be read, from the
    instance's own view (the other members named by id, their status unknown)."""
    if found:
        members = found.get('members') or []
        source = next((m for m in members if m.get('role') == SOURCE), found.get('source'))
        return source, [m for m in members if m.get('role') == REPLICA]
    me = {'id': instance.id, 'name': instance.name, 'status': instance.status}
    if source_id(instance):
        return {'id': source_id(instance), 'name': source_id(instance), 'status': None}, [me]
    return me, [{'id': i, 'name': i, 'status': None} for i in replica_ids(instance)]


def _names(members):
    return ', '.join(m['name'] for m in members)


def status_label(status):
    return dict(states.STATUS_DISPLAY).get(status, status)


def _item(member, role, what):
    return {'id': member['id'], 'name': member['name'], 'role': ROLE_DISPLAY[role],
            'status': status_label(member.get('status')), 'what': what}


def _promote(instance, source, replicas):
    new = next((r for r in replicas if r['id'] == instance.id), None) or {
        'id': instance.id, 'name': instance.name, 'status': instance.status}
    others = [r for r in replicas if r['id'] != instance.id]
    names = {'new': new['name'], 'old': source['name']}
    summary = _('%(new)s becomes the source of the set and takes the writes. Writes stop on '
                '%(old)s until every replica has caught up and %(new)s is promoted, usually '
                'a second or two; no write it acknowledged is lost. Clients must then '
                'connect to %(new)s.') % names
    items = [_item(new, REPLICA, _('Becomes the source: takes writes.')),
             _item(source, SOURCE, _('Stops taking writes, then becomes a replica of '
                                     '%(new)s.') % names)]
    items += [_item(r, REPLICA, _('Follows %(new)s instead of %(old)s.') % names)
              for r in others]
    return summary, items, [source] + replicas


def _eject(instance, source, replicas):
    names = {'old': source['name'], 'replicas': _names(replicas)}
    summary = _('%(old)s leaves the set for good: the most advanced of its replicas '
                '(%(replicas)s) becomes the source and the others follow it. Writes %(old)s '
                'took that no replica received are lost. The service refuses this while '
                '%(old)s still answers: for a planned switchover, promote a replica '
                'instead.') % names
    items = [_item(source, SOURCE, _('Leaves the set: it ends in ERROR with a fault. If its '
                                     'database comes back and could not be told to refuse '
                                     'writes, it takes writes no replica follows: delete '
                                     'it.'))]
    what = (_('Becomes the source: takes writes.') if len(replicas) == 1 else
            _('Becomes the source if it is the most advanced replica; otherwise follows '
              'the new source (a replica that does not answer does not, and gets a '
              'fault).'))
    items += [_item(r, REPLICA, what) for r in replicas]
    return summary, items, replicas


def _detach(instance, source, replicas):
    me = next((r for r in replicas if r['id'] == instance.id), None) or {
        'id': instance.id, 'name': instance.name, 'status': instance.status}
    others = [r for r in replicas if r['id'] != instance.id]
    names = {'replica': me['name'], 'source': source['name'], 'others': _names(others)}
    summary = _('%(replica)s stops following %(source)s and becomes a standalone instance '
                'that takes writes, with the data it has now. It cannot rejoin the set: '
                'a new replica would be made from the source.') % names
    items = [_item(me, REPLICA, _('Becomes a standalone instance: takes writes, keeps its '
                                  'data.'))]
    items.append(_item(source, SOURCE, _('Stays the source of %(others)s.') % names
                       if others else _('Stays as it is, with no replica left.')))
    items += [_item(r, REPLICA, _('Not changed: keeps following %(source)s.') % names)
              for r in others]
    return summary, items, [me]


def _blocked(operation, must_be_active):
    """Why the API will refuse now: a member it needs ACTIVE is not (None: go ahead)."""
    for member in must_be_active:
        status = member.get('status')
        if status and status != states.ACTIVE:
            return _('%(name)s is %(status)s: the service accepts this only while it is '
                     '%(active)s.') % {'name': member['name'], 'status': status_label(status),
                                       'active': status_label(states.ACTIVE)}
    return None


def consequences(operation, instance, found):
    """{'summary', 'members': [{id, name, role, status, what}], 'blocked'}: what the
    operation does to every member of the instance's set, in words."""
    source, replicas = members_of(instance, found)
    summary, items, must_be_active = {PROMOTE: _promote, EJECT: _eject,
                                      DETACH: _detach}[operation](instance, source, replicas)
    return {'summary': summary, 'members': items,
            'blocked': _blocked(operation, must_be_active),
            'partial': not found}
