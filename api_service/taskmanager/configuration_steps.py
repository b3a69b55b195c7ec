"""The task manager's part in configuration groups: the attached group's values go to a new
instance's guest with prepare, and a restart the engine survived only by going back to its
previous values is told to the tenant (a fault and a failed event step), the instance ACTIVE.

Attach, detach and a group's new values are applied by the API itself, synchronously
(domain/configurations.py); see docs/configuration-groups.md.
"""
import json
import logging

from api_service.db import models_configurations as c
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.domain import events
from api_service.domain import faults

LOG = logging.getLogger(__name__)


def values_of(instance_id):
    """The attached group's values ({name: value}), or None when no group is attached."""
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id)
        if instance is None or not instance.configuration_id:
            return None
        group = session.get(c.Configuration, instance.configuration_id)
        return json.loads(group.values) if group is not None else None


def rollback_message(rolled_back):
    """The tenant's sentence for a start the engine refused with the group's new values."""
    names = ', '.join(rolled_back.get('parameters') or []) or 'the new values'
    reason = (rolled_back.get('reason') or '').strip()
    return ('The database did not start with %s%s, so it runs with its previous values; '
            'change the configuration group and restart again.'
            % (names, ' (the engine said: %s)' % reason if reason else ''))[:faults.MESSAGE_LIMIT]


def report_rollback(instance_id, operation, answer):
    """If the guest's answer to a restart says it went back to the previous values, record
    why: a fault and a failed 'apply configuration' step. Returns whether it did."""
    rolled_back = (answer or {}).get('rolled_back') if isinstance(answer, dict) else None
    if not rolled_back:
        return False
    message = rollback_message(rolled_back)
    LOG.warning('instance %s: %s rolled its configuration back: %s', instance_id, operation,
                message)
    event_id = events.start(instance_id, operation, 'apply configuration')
    events.finish(event_id, events.FAILED, message)
    faults.record(instance_id, message)
    return True
