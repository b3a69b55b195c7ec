"""The instances table: one row per instance, rows in motion refresh themselves."""
import copy

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from horizon import tables
from horizon.tables import base as tables_base

from trove_dashboard.content.databases import actions
from trove_dashboard.content.databases import instance_data
from trove_dashboard.content.databases import replication_actions
from trove_dashboard.content.databases import states
from trove_dashboard.quota_usage import limit_and_use


NARROW_HIDDEN = ('hidden-xs', 'hidden-sm')


def datastore_label(instance):
    datastore = getattr(instance, 'datastore', None) or {}
    return '%s %s' % (datastore.get('type', ''), datastore.get('version', ''))


def address(instance):
    return ', '.join(getattr(instance, 'ip', None) or []) or '-'


def flavor_label(instance):
    flavor = getattr(instance, 'full_flavor', None)
    if flavor is None:
        return instance_data.flavor_id_of(instance) or '-'
    return _('%(name)s | %(ram)s MB RAM') % {'name': flavor.name, 'ram': flavor.ram}


def volume_label(instance):
    volume = getattr(instance, 'volume', None) or {}
    size = volume.get('size')
    if size is None:
        return '-'
    used = volume.get('used')
    if used is None:
        return _('%s GB') % size
    return _('%(used).2f / %(size)s GB') % {'used': used, 'size': size}


def locality_label(instance):
    return getattr(instance, 'locality', None) or '-'


def detail_url(instance):
    return reverse('horizon:project:databases:detail', args=[instance.id])


class InstanceCell(tables_base.Cell):
    """RESTART_REQUIRED is settled (the row does not poll) but shows as a warning."""

    def get_status_class(self, status):
        if self.column.status and states.restart_required(self.datum):
            return 'warning restart-required'
        return super().get_status_class(status)


class InstanceRow(tables.Row):
    """Refreshes itself while its instance is transitional (status None)."""
    ajax = True

    def get_data(self, request, instance_id):
        return instance_data.load(request, instance_id)


# What a launch takes, in the order a refusal names them, and how a used-up one reads.
LAUNCH_TAKES = (
    ('instances', lambda used, limit: ngettext(
        '%(used)s of %(limit)s instance used', '%(used)s of %(limit)s instances used',
        limit) % {'used': used, 'limit': limit}),
    ('volumes', lambda used, limit: _('%(used)s of %(limit)s GB of volume used') % {
        'used': used, 'limit': limit}),
    ('ram', lambda used, limit: _('%(used)s of %(limit)s MB of RAM used') % {
        'used': used, 'limit': limit}),
)


def launch_refusal(limits):
    """Why no instance can be launched now, in the user's words, or None: each resource
    a launch takes whose limit (-1: unlimited) is used up."""
    spent = []
    for name, text in LAUNCH_TAKES:
        limit, used = limit_and_use(limits, name) or (-1, None)
        if limit >= 0 and used >= limit:
            spent.append(text(used, limit))
    return '; '.join(spent) or None


class LaunchInstance(actions.LaunchInstance):
    """Launch Instance, disabled with the reason when a quota is used up."""

    def refused(self, reason):
        """A copy for this page (table actions are shared by every request), disabled."""
        action = copy.copy(self)
        action.classes = tuple(c for c in self.classes if c != 'ajax-modal') + ('disabled',)
        action.attrs = dict(self.attrs, **{'aria-disabled': 'true'})
        action.verbose_name = _('%(action)s (Quota exceeded: %(reason)s)') % {
            'action': self.verbose_name, 'reason': reason}
        return action


class InstancesTable(tables.DataTable):
    name = tables.WrappingColumn('name', verbose_name=_('Instance Name'), link=detail_url)
    # Datastore, address and locality give way on narrow screens (the detail page shows
    # them), as the backups table's datastore does: a Restart Required row needs the room.
    datastore = tables.Column(datastore_label, verbose_name=_('Datastore'),
                              classes=NARROW_HIDDEN)
    address = tables.Column(address, verbose_name=_('Address'), classes=NARROW_HIDDEN)
    size = tables.Column(flavor_label, verbose_name=_('Size'))
    volume = tables.Column(volume_label, verbose_name=_('Volume (used / size)'))
    locality = tables.Column(locality_label, verbose_name=_('Locality'), classes=NARROW_HIDDEN)
    status = tables.Column('status', verbose_name=_('Status'), status=True,
                           status_choices=states.STATUS_CHOICES,
                           display_choices=states.STATUS_DISPLAY)

    class Meta:
        name = 'instances'
        verbose_name = _('Instances')
        status_columns = ['status']
        row_class = InstanceRow
        cell_class = InstanceCell
        table_actions = (LaunchInstance, actions.DeleteInstance)
        # The first allowed action is the row's button: Create Backup for an ACTIVE row (as
        # upstream), nothing for a DELETING one (no action allows it), a harmless one else.
        row_actions = (actions.BackupInstance, actions.ResizeVolume, actions.ResizeFlavor,
                       actions.RenameInstance, actions.BackupSchedules,
                       actions.AttachConfiguration, actions.DetachConfiguration,
                       actions.ApplyModule) + replication_actions.ROW_ACTIONS + (
                       actions.EnableRoot, actions.DisableRoot, actions.RestartInstance,
                       actions.DeleteInstance)

    # Why Launch Instance is disabled on this page (set by the view), or None.
    launch_refusal = None

    def get_table_actions(self):
        found = super().get_table_actions()
        if not self.launch_refusal:
            return found
        return [a.refused(self.launch_refusal) if isinstance(a, LaunchInstance) else a
                for a in found]
