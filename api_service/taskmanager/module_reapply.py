"""Reapply a module: send its current version to the instances that have it, in batches.

One instance failing is logged and the others still get the module; nothing raises out of
the worker. The whole reapply ends by its deadline, so a fleet of guests that do not
answer cannot keep a worker thread forever.
"""
import logging
import time

from api_service.domain import instance_modules
from api_service.domain import instances as instances_domain
from api_service.domain import module_payloads
from api_service.rpc import guest_client

LOG = logging.getLogger(__name__)
# However many instances: no reapply runs longer than this; the rest are logged as left.
DEADLINE_SECONDS = 6 * 3600


def reapply(ctx, module_id, md5, include_clustered, batch_size, batch_delay, force,
            project_id=None, deadline_seconds=DEADLINE_SECONDS, sleep=time.sleep,
            clock=time.monotonic):
    """Apply module `module_id` again (see instance_modules.reapply for the selection),
    `batch_size` instances at a time with `batch_delay` seconds between batches; with
    `project_id` (a non-admin asked), to that project's instances only.
    `include_clustered` changes nothing: no instance here is part of a cluster. Returns
    (applied, skipped, failed) instance ids, for tests and the log."""
    try:
        return _reapply(ctx, module_id, md5, batch_size, batch_delay, force, project_id,
                        clock() + deadline_seconds, sleep, clock)
    except Exception:
        LOG.exception('module %s: reapply failed', module_id)
        return [], [], []


def _reapply(ctx, module_id, md5, batch_size, batch_delay, force, project_id, deadline,
             sleep, clock):
    named = module_payloads.load_named([module_id])
    if not named:
        LOG.info('module %s: deleted before its reapply began; nothing to do', module_id)
        return [], [], []
    module = named[0].module
    targets, skipped = instance_modules.reapply_targets(
        module, instance_modules.holders(module_id, project_id), md5=md5, force=force)
    for instance_id in skipped:
        LOG.info('module %s: reapply skips instance %s (not ACTIVE, or no longer of the '
                 "module's datastore)", module_id, instance_id)
    payload = module_payloads.payload(named[0])
    applied, failed = [], []
    for index, instance_id in enumerate(targets):
        if index and index % batch_size == 0:
            sleep(batch_delay)
        if clock() > deadline:
            LOG.warning('module %s: reapply passed its deadline; %d instance(s) not '
                        'reapplied: %s', module_id, len(targets) - index,
                        ', '.join(targets[index:]))
            failed.extend(targets[index:])
            break
        if _apply_to(ctx, instance_id, payload):
            applied.append(instance_id)
        else:
            failed.append(instance_id)
    LOG.info('module %s: reapplied to %d instance(s), %d skipped, %d failed', module_id,
             len(applied), len(skipped), len(failed))
    return applied, skipped, failed


def _apply_to(ctx, instance_id, payload):
    """True when the guest applied the module OK (and it is recorded so)."""
    try:
        guest = guest_client.GuestAPI(instance_id, instances_domain.instance_key(instance_id))
        results = guest.module_apply(ctx, [payload]) or []
        if instance_modules.record_results(instance_id, [payload], results):
            return True
        message = next((r.get('message') for r in results if r.get('id') == payload['id']),
                       None)
        LOG.warning('instance %s: reapplying module %s FAILED: %s', instance_id,
                    payload['id'], message)
    except Exception as error:
        # Only the kind and our own sentence: an agent's text may quote the contents.
        LOG.warning('instance %s: reapplying module %s failed (%s: %s)', instance_id,
                    payload['id'], type(error).__name__, getattr(error, 'message', ''))
    return False
