"""The operator's stop (POST /mgmt/instances/{id}/action {"stop": {}}): the guest agent stops
its engine and keeps it stopped, as Trove's stop_db; the agent stays up, answers pings and
keeps heartbeating SHUTDOWN; the volume and configuration stay.

The API claimed the instance (domain/mgmt_instances.stop) so nothing else starts on it
meanwhile; the claim is released here, recording SHUTDOWN if the engine stopped. Only a
restart (the tenant's, or the operator's reboot) starts the engine again: the agent's own
restart of a crashed engine leaves one stopped this way alone (guestagent/service.py).
"""
import logging
import traceback

import oslo_messaging as messaging

from api_service.common import exceptions
from api_service.domain import events
from api_service.domain import faults
from api_service.domain import instances as instances_domain
from api_service.domain import mgmt_instances
from api_service.domain import status
from api_service.rpc import guest_client
from api_service.taskmanager import flows

LOG = logging.getLogger(__name__)


def stop(ctx, instance_id, claim_text):
    claim = mgmt_instances.claim_of(claim_text)
    try:
        with events.step(instance_id, 'stop', 'stop engine', 'asked by an administrator'):
            _stop_engine(ctx, instance_id)
    except Exception as error:
        instances_domain.end_change(instance_id, claim)
        message = 'Stopping the database failed: %s' % events.readable(error)
        LOG.warning('instance %s: %s', instance_id, message)
        faults.record(instance_id, message, traceback.format_exc())
        return
    if instances_domain.end_change(instance_id, claim, status.engine_stopped):
        LOG.info('instance %s: stopped by an administrator', instance_id)


def _stop_engine(ctx, instance_id):
    # An agent older than stop_db is refused by guest_client in the operator's words
    # (guest_client.OLDER_AGENT), so the fault says what to do.
    try:
        flows.guest_of(instance_id).stop_db(ctx, timeout=guest_client.STOP_TIMEOUT)
    except messaging.MessagingTimeout:
        # In words for the event and the fault; the timeout itself goes to the details.
        raise exceptions.ServiceUnavailable(
            'the guest agent did not answer within %d seconds (it is not running or cannot '
            'reach the message broker).' % guest_client.STOP_TIMEOUT)
