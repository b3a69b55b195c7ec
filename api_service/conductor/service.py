"""The conductor's RPC endpoint: the only writer of what guests report.

Each report names its instance in the clear and carries its content sealed with
that instance's key; a report that does not open with the key is dropped.
"""
import logging

import oslo_messaging as messaging

from api_service.db import models
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.domain import backups
from api_service.domain import events
from api_service.domain import faults
from api_service.domain import instance_modules
from api_service.domain import instances as instances_domain
from api_service.domain import metrics
from api_service.domain import status
from api_service.rpc import secure
from api_service.taskmanager import configuration_steps

LOG = logging.getLogger(__name__)
# Build steps of the guest whose failure the build survives: the configuration group's
# values at the engine's first start, and the modules applied after prepare (one report
# per module that failed).
CONFIGURATION_STEP = 'configuration'
MODULES_STEP = 'modules'
NON_FATAL_STEPS = (CONFIGURATION_STEP, MODULES_STEP)


class ConductorEndpoint:
    """Guest reports (RPC API 1.0)."""

    target = messaging.Target(version='1.0')

    def _open(self, instance_id, sealed):
        key = instances_domain.instance_key(instance_id)
        if key is None:
            return None
        try:
            return secure.unseal(key, sealed)
        except secure.SealError:
            LOG.warning('dropping a report for %s that does not open with its key', instance_id)
            return None

    def heartbeat(self, ctxt, instance_id, sealed):
        report = self._open(instance_id, sealed)
        if report is None:
            return
        with session_scope() as session:
            # Under the row's lock: on PostgreSQL or MariaDB a transition committed between
            # reading the status and writing it back would otherwise be overwritten.
            instance = session.get(m.Instance, instance_id, with_for_update=True)
            if instance is None:
                return
            instance.operating_status = report['status']
            instance.service_status_updated = models.utcnow()
            instance.volume_used_bytes = report['used_bytes']
            if not instance.deleted:
                # The delete (which removes the ring) held the row's lock before us.
                metrics.record(session, instance_id, instance.service_status_updated,
                               report.get('metrics'), report['used_bytes'])
            if report['status'] == 'SHUTDOWN':
                status.engine_stopped(instance)
            elif report['status'] == 'HEALTHY':
                status.engine_running(instance)
            if report.get('last_rollback'):
                # The agent restarted a dead engine (or resumed it) and it came up only with
                # the values it had before the group's new ones: the tenant learns which.
                faults.record(instance_id, configuration_steps.rollback_message(
                    report['last_rollback']), session=session)
            limit = instance.volume_size * 1024 ** 3
            latest = faults.latest(session, instance_id)
            already = latest is not None and latest.message.startswith('The volume is full')
            if report['used_bytes'] > limit and instance.status == status.ACTIVE and not already:
                faults.record(instance_id, 'The volume is full: %.2f GB used of %d GB; resize '
                              'the volume.' % (report['used_bytes'] / 1024 ** 3,
                                               instance.volume_size), session=session)

    def guest_step(self, ctxt, instance_id, sealed):
        report = self._open(instance_id, sealed)
        if report is None or report['outcome'] == events.RUNNING:
            return
        LOG.info('instance %s: %s/%s %s', instance_id, report['operation'], report['step'],
                 report['outcome'])
        if report['step'] in NON_FATAL_STEPS and report['outcome'] == events.FAILED:
            # The engine did not start with the group's values, or a module could not be
            # applied, and the build went on: it succeeds, but the tenant must learn why the
            # group's values or the module are not in effect (other failed steps end their
            # operation, which records the fault).
            message = (report.get('message') or '')[:faults.MESSAGE_LIMIT]
            event_id = events.start(instance_id, report['operation'], report['step'])
            events.finish(event_id, events.FAILED, message)
            # `details` (admins'): a hidden module's own message, its name included.
            faults.record(instance_id, message, report.get('details') or '')
            if report['step'] == MODULES_STEP:
                # Recorded when the create was accepted; a module that failed is not on
                # the instance (a report without ids, from an older agent, forgets none).
                instance_modules.forget_failed(instance_id, report.get('module_ids'))

    def backup_done(self, ctxt, instance_id, sealed):
        """The guest finished streaming a backup: COMPLETED with size and checksum, or FAILED."""
        report = self._open(instance_id, sealed)
        if report is None:
            return
        if not report['ok']:
            backups.fail(instance_id, report['backup_id'], report['message'])
            return
        late_object = backups.complete(instance_id, report['backup_id'], report['size'],
                                       report['checksum'], report.get('metadata') or {})
        if late_object:
            # The backup had already failed (its deadline passed) or was deleted: the
            # object the guest wrote after all belongs to nothing, so it goes.
            LOG.warning('backup %s finished after it had failed; removing its object',
                        report['backup_id'])
            backups.object_store().delete(late_object)

    def operation_done(self, ctxt, instance_id, sealed):
        report = self._open(instance_id, sealed)
        if report is None:
            return
        with session_scope() as session:
            instance = session.get(m.Instance, instance_id, with_for_update=True)   # as above
            if instance is None:
                return
            try:
                changed = (status.finish if report['ok'] else status.fail)(instance)
            except status.IllegalTransition:
                # A guest's report is not ours to trust: one that fits no transition of the
                # instance's status (no operation runs) changes nothing.
                LOG.warning('instance %s: ignoring an operation report in status %s',
                            instance_id, instance.status)
                return
            if not changed:
                return
            if report['ok']:
                instance.operating_status = 'HEALTHY'
                instance.service_status_updated = models.utcnow()
                events.close_running(session, instance_id, events.SUCCESS)
            else:
                faults.record(instance_id, report['message'], report.get('details', ''),
                              session=session)
                events.fail_running(session, instance_id, report['message'])
