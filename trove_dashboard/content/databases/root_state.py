"""Whether root is enabled on an instance, for Disable Root: asked once, on the instance's
detail page only (a list would need a call per row; it offers Enable Root alone)."""
import logging

from trove_dashboard.api import instance_extras
from trove_dashboard.content.databases import states

LOG = logging.getLogger(__name__)


def mark(request, instance):
    """Set `instance.root_enabled`: True or False as the guest says, None when unknown (no
    root capability, the engine not running, or the guest did not answer): one call or none.
    """
    instance.root_enabled = None
    if 'root' not in getattr(instance, 'capabilities', ()) or \
            not states.allows(instance, 'guest'):
        return instance
    try:
        instance.root_enabled = instance_extras.root_enabled(request, instance.id)
    except Exception:
        LOG.warning('Whether root is enabled on instance %s is unknown; Disable Root is not '
                    'offered.', instance.id, exc_info=True)
    return instance
