"""The operator's stop (POST /mgmt/instances/{id}/action {"stop": {}}): the driver stops
the instance's guest agent, which stops its engine; the volume and configuration stay.

The API claimed the instance (domain/mgmt_instances.stop) so nothing else starts on it
meanwhile; the claim is released here, recording SHUTDOWN if the engine stopped. A guest
stopped this way sends no heartbeat, so nothing reports it running again until a restart
(the tenant's, or the operator's reboot) starts it.
"""
import logging
import traceback

from api_service.domain import events
from api_service.domain import faults
from api_service.domain import instances as instances_domain
from api_service.domain import mgmt_instances
from api_service.domain import status
from api_service.drivers.compute import get_driver

LOG = logging.getLogger(__name__)


def stop(ctx, instance_id, claim_text):
    claim = mgmt_instances.claim_of(claim_text)
    try:
        with events.step(instance_id, 'stop', 'stop engine', 'asked by an administrator'):
            get_driver().stop(instance_id)
    except Exception as error:
        instances_domain.end_change(instance_id, claim)
        message = 'Stopping the database failed: %s' % events.readable(error)
        LOG.warning('instance %s: %s', instance_id, message)
        faults.record(instance_id, message, traceback.format_exc())
        return
    if instances_domain.end_change(instance_id, claim, status.engine_stopped):
        LOG.info('instance %s: stopped by an administrator', instance_id)
