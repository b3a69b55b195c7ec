"""Applying configuration values to instances through their guests, all or nothing.

Attach, detach and a group's new values (PUT/PATCH) are sent by the API to every affected
instance's guest at once (`update_overrides`, the whole set; `{}` to detach), each instance
claimed for the change as access changes are (instances.claim_change), so the two exclude
each other. Nothing is recorded until every guest took the values; if one refuses, the ones
that took them get their previous values back and the refusal is the answer. What is
recorded is checked again under the group's row lock: an attach and a group change that
crossed each other would otherwise leave an instance with the group's old values, so the
later of the two gives its values back and answers 409.
"""
import collections
import concurrent.futures
import json
import logging

from sqlalchemy import select

from api_service.common import exceptions
from api_service.db import models_configurations as mc
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.domain import configurations
from api_service.domain import events
from api_service.domain import faults
from api_service.domain import instances
from api_service.domain import parameters
from api_service.domain import status
from api_service.rpc import guest_client

LOG = logging.getLogger(__name__)
# A claim covers the call and, when another guest refused, the call giving values back.
CLAIM_SECONDS = 2 * guest_client.APPLY_CONFIGURATION_TIMEOUT + 30
MAX_PARALLEL = 16

# One instance of a change: its claim, the values it had before, and how messages name it.
Target = collections.namedtuple('Target', 'instance_id claim previous label')


def named(instance):
    """How a message names an instance: its name, which the tenant knows, and its id."""
    return "instance '%s' (id %s)" % (instance.name, instance.id)


def _first_up(text):
    return text[:1].upper() + text[1:]


def _claim(instance, previous):
    """Claim a locked, configurable instance for the change (409 when busy or not ACTIVE)."""
    allowed = status.ALLOWED['configure']
    if instance.status not in allowed:
        raise exceptions.Conflict('The configuration of %s cannot change while it is %s; it '
                                  'must be %s.' % (named(instance), instance.status,
                                                   ' or '.join(sorted(allowed))))
    return Target(instance.id, instances.claim_change(instance, CLAIM_SECONDS), previous,
                  named(instance))


def _send(ctx, instance_id, values):
    with faults.of_guest_calls(instance_id):
        guest = guest_client.GuestAPI(instance_id, instances.instance_key(instance_id))
        return guest.update_overrides(ctx, values)


def _in_parallel(ctx, calls):
    """{instance_id: answer or the exception raised} of update_overrides calls, at once."""
    with concurrent.futures.ThreadPoolExecutor(min(MAX_PARALLEL, len(calls))) as pool:
        futures = {instance_id: pool.submit(_send, ctx, instance_id, values)
                   for instance_id, values in calls}
    found = {}
    for instance_id, future in futures.items():
        try:
            found[instance_id] = future.result()
        except Exception as error:     # noqa: BLE001 - each guest's outcome is kept
            found[instance_id] = error
    return found


def _give_back(ctx, targets):
    """The previous values back on `targets`' guests; one that fails keeps a fault."""
    if not targets:
        return
    for instance_id, outcome in _in_parallel(
            ctx, [(t.instance_id, t.previous) for t in targets]).items():
        if isinstance(outcome, Exception):
            LOG.warning('instance %s: its previous configuration could not be restored: %s',
                        instance_id, outcome)
            faults.record(instance_id, 'The configuration values it had could not be put back '
                          'after a configuration change failed; attach or detach the '
                          'configuration group again.', str(outcome))


def _release(targets):
    for target in targets:
        instances.end_change(target.instance_id, target.claim)


def _refusal(target, error, several):
    """The error a tenant reads for a guest that did not take the values."""
    instance_id = target.instance_id
    if not isinstance(error, exceptions.DBaaSError):
        # Not a refusal the guest explained (a broken connection, a bug): a 503 in our
        # words; what happened is the fault's details, for admins.
        LOG.warning('instance %s: applying a configuration failed: %s', instance_id,
                    type(error).__name__)
        message = ('The guest agent of %s failed while applying the configuration, so '
                   'nothing was changed; try again later.' % target.label)
        details = '%s: %s' % (type(error).__name__, error)
        faults.record(instance_id, message, details)
        return exceptions.GuestFailed(message, details=details)
    rest = ' The other instances keep their previous values.' if several else ''
    message = 'The configuration was not taken by %s: %s%s' % (
        target.label, error.message, rest)
    if isinstance(error, exceptions.GuestFailed):
        return exceptions.GuestFailed(message, details=error.details)
    return type(error)(message)


def _push(ctx, targets, values):
    """{instance_id: answer} once every target's guest took `values`; otherwise every target
    gets its previous values back, the claims end and the refusal is raised. Every one, not
    only those that answered: a call that timed out or broke on the way may still be applied
    by its guest later, and sending the previous whole set again is harmless."""
    outcomes = _in_parallel(ctx, [(t.instance_id, values) for t in targets])
    failed = [(t, outcomes[t.instance_id]) for t in targets
              if isinstance(outcomes[t.instance_id], Exception)]
    if failed:
        _give_back(ctx, targets)
        _release(targets)
        raise _refusal(failed[0][0], failed[0][1], len(targets) > 1)
    return outcomes


def _undo(ctx, targets, message):
    _give_back(ctx, targets)
    _release(targets)
    raise exceptions.Conflict(message)


def _record_restart(instance, answer):
    """RESTART_REQUIRED while values the guest wrote wait for the engine's next start."""
    if (answer or {}).get('pending_restart'):
        status.needs_restart(instance)
    else:
        status.no_restart_needed(instance)


def _held(instance, target):
    return instance is not None and instance.access_change_until == target.claim


def _record_events(session, step, group_name, answers):
    """One SUCCESS event per instance (its Events tab): what changed and what waits for a
    restart; one insert for any number of instances."""
    done = {'attach': "Configuration group '%s' attached",
            'detach': "Configuration group '%s' detached",
            'apply values': "New values of configuration group '%s' applied"}[step] % group_name
    messages = {}
    for instance_id, answer in answers.items():
        waiting = (answer or {}).get('pending_restart') or []
        messages[instance_id] = done + ('; waiting for a restart: %s.' % ', '.join(waiting)
                                        if waiting else '.')
    events.record_done(session, messages, 'configuration', step)


# -- attach and detach ---------------------------------------------------------------

def attach(ctx, instance_id, configuration_id):
    """Attach a group: 400 if one is attached (detach first, as upstream) or it does not fit."""
    with session_scope() as session:
        session.get(m.Instance, instance_id, with_for_update=True)
        view = instances.get(ctx, instance_id, session)
        if view.instance.configuration_id:
            attached = view.configuration.name if view.configuration else ''
            raise exceptions.BadRequest(
                "%s already has configuration group '%s' (id %s) attached; detach it first."
                % (_first_up(named(view.instance)), attached,
                   view.instance.configuration_id))
        group = configurations.load(ctx, configuration_id, session)
        configurations.check_same_project(group, view.instance.project_id)
        instances.check_configuration_version(group, view.version)
        values = configurations.values_of(group)
        configurations.check_fits(view.instance.ram_mb, view.version.manager, values,
                                  "The values of configuration group '%s' on %s"
                                  % (group.name, named(view.instance)))
        target = _claim(view.instance, {})
    answer = _push(ctx, [target], values)[instance_id]
    with session_scope() as session:
        group = session.get(mc.Configuration, configuration_id, with_for_update=True)
        instance = session.get(m.Instance, instance_id, with_for_update=True)
        fine = (_held(instance, target) and not group.deleted
                and configurations.values_of(group) == values)
        if fine:
            instance.configuration_id, instance.access_change_until = group.id, None
            _record_restart(instance, answer)
            _record_events(session, 'attach', group.name, {instance_id: answer})
    if not fine:
        _undo(ctx, [target], "Configuration group %s changed (or %s had another change) "
              'while it was being attached; nothing was attached. Try again.'
              % (configuration_id, target.label))


def detach(ctx, instance_id):
    """Detach the instance's group (nothing attached: nothing to do, as upstream)."""
    with session_scope() as session:
        session.get(m.Instance, instance_id, with_for_update=True)
        view = instances.get(ctx, instance_id, session)
        if view.configuration is None:
            return
        group_name = view.configuration.name
        target = _claim(view.instance, configurations.values_of(view.configuration))
    answer = _push(ctx, [target], {})[instance_id]
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id, with_for_update=True)
        fine = _held(instance, target)
        if fine:
            instance.configuration_id, instance.access_change_until = None, None
            _record_restart(instance, answer)
            _record_events(session, 'detach', group_name, {instance_id: answer})
    if not fine:
        _undo(ctx, [target], '%s had another change while its configuration group was '
              'being detached; nothing was detached. Try again.'
              % _first_up(target.label))


# -- a group's new values ------------------------------------------------------------

def change(ctx, configuration_id, body, replace):
    """PUT (replace=True: the values become `values`) or PATCH (merged into them): applied
    to every instance the group is attached to before they are recorded."""
    with session_scope() as session:
        group = configurations.load(ctx, configuration_id, session, lock=True)
        view = configurations.view(session, group)
        if 'values' not in body:
            _rename(group, body)
            return
        typed = configurations.validate(body['values'],
                                        configurations.version_of(session, group),
                                        configurations.label(session, group))
        new = typed if replace else dict(view.values, **typed)
        targets = []
        for instance in configurations.attached_instances(session, group):
            targets.append(_claim(instance, view.values))
            configurations.check_fits(
                instance.ram_mb, view.manager, new,
                "The values of configuration group '%s' on %s" % (group.name, named(instance)))
        if not targets:
            group.values = json.dumps(new)
            _rename(group, body)
            return
    answers = _push(ctx, targets, new)
    with session_scope() as session:
        group = session.get(mc.Configuration, configuration_id, with_for_update=True)
        rows = {row.id: row for row in session.scalars(
            select(m.Instance).where(m.Instance.id.in_([t.instance_id for t in targets]))
            .order_by(m.Instance.id).with_for_update())}
        fine = (set(configurations.attached_ids(session, group)) == set(rows) and
                all(_held(rows.get(t.instance_id), t) for t in targets))
        if fine:
            group.values = json.dumps(new)
            _rename(group, body)
            for instance_id, instance in rows.items():
                instance.access_change_until = None
                _record_restart(instance, answers[instance_id])
            _record_events(session, 'apply values', group.name,
                           {i: answers[i] for i in rows})
    if not fine:
        _undo(ctx, targets, 'Configuration group %s was attached to another instance (or one '
              'of its instances had another change) while its values were applied; nothing '
              'was changed. Try again.' % configuration_id)


def _rename(group, body):
    for field in ('name', 'description'):
        if field in body:
            setattr(group, field, body[field])


# -- what the engine runs with -------------------------------------------------------

def effective(ctx, instance_id):
    """{name: value as text} of every parameter of the instance's version, read from its
    engine now (one guest call)."""
    view = instances.get(ctx, instance_id)
    status.check(view.instance, 'guest')
    names = sorted(parameters.for_version_id(view.version.id))
    with faults.of_guest_calls(instance_id):
        guest = guest_client.GuestAPI(instance_id, instances.instance_key(instance_id))
        return guest.get_configuration(ctx, names)
