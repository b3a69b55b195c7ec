"""The registered datastore versions, empty datastores, and a version's members, flavors
and volume types."""
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from horizon import tables

from trove_dashboard.content.admin_datastores import actions

NARROW_HIDDEN = ('hidden-xs', 'hidden-sm')

VISIBILITY = {
    'public': _('Public'),
    'private': _('Private (members only)'),
    'unlisted': _('Unlisted'),
    'deprecated': _('Deprecated'),
}
MATURITY = {
    'stable': _('Stable'),
    'technical-preview': _('Technical preview'),
    'experimental': _('Experimental'),
}
YES_NO = {True: pgettext_lazy('a yes/no cell', 'Yes'), False: pgettext_lazy('a yes/no cell', 'No')}


def detail_url(version):
    return reverse('horizon:admin:datastores:detail', args=[version.datastore_id, version.id])


def visibility_label(version):
    value = getattr(version, 'visibility', None) or 'public'
    return VISIBILITY.get(value, value)


def maturity_cell(version):
    value = getattr(version, 'maturity', None) or 'stable'
    label = MATURITY.get(value, value)
    if value == 'stable':
        return label
    return format_html('<span class="label label-warning datastore-maturity">{}</span>', label)


def yes_no(attribute):
    return lambda row: YES_NO[bool(getattr(row, attribute, False))]


class VersionFilter(tables.FilterAction):
    """Narrows the rows on the page by datastore, version or manager (no API call)."""
    def filter(self, table, versions, text):
        text = text.lower().strip()
        return [v for v in versions
                if any(text in str(getattr(v, key, '') or '').lower()
                       for key in ('datastore_name', 'name', 'version', 'datastore_manager',
                                   'image', 'visibility', 'maturity'))]


class VersionsTable(tables.DataTable):
    datastore = tables.Column('datastore_name', verbose_name=_('Datastore'))
    name = tables.Column('name', verbose_name=_('Version Name'), link=detail_url)
    version = tables.Column('version', verbose_name=_('Version Number'),
                            classes=NARROW_HIDDEN)
    manager = tables.Column('datastore_manager', verbose_name=_('Manager'),
                            classes=NARROW_HIDDEN)
    image = tables.WrappingColumn(lambda v: getattr(v, 'image', None) or '-',
                                  verbose_name=_('Image'), classes=NARROW_HIDDEN)
    active = tables.Column(yes_no('active'), verbose_name=_('Active'))
    default = tables.Column(yes_no('default'), verbose_name=_('Default'))
    visibility = tables.Column(visibility_label, verbose_name=_('Visibility'))
    maturity = tables.Column(maturity_cell, verbose_name=_('Maturity'), classes=NARROW_HIDDEN)

    class Meta:
        name = 'datastore_versions'
        verbose_name = _('Datastore Versions')
        table_actions = (VersionFilter, actions.RegisterVersion, actions.DeleteVersion)
        row_actions = (actions.EditVersion, actions.SetVisibility, actions.ManageMembers,
                       actions.DeleteVersion)

    def get_object_display(self, datum):
        return '%s %s' % (datum.datastore_name, datum.name)


class EmptyDatastoresTable(tables.DataTable):
    """Datastores with no version (registered by name only): only deleting them is left. One
    whose versions were all deleted is hidden from the catalogue already."""
    name = tables.Column('name', verbose_name=_('Datastore'))
    id = tables.Column('id', verbose_name=_('ID'), classes=NARROW_HIDDEN)

    class Meta:
        name = 'empty_datastores'
        verbose_name = _('Datastores Without Versions')
        table_actions = (actions.DeleteDatastore,)
        row_actions = (actions.DeleteDatastore,)


class Member:
    """A member project of a version, named from Keystone's list."""

    def __init__(self, member, project_names):
        self.id = member.id
        self.project_id = member.member
        self.project_name = project_names.get(self.project_id) or _('(unknown project)')


class MembersTable(tables.DataTable):
    project_name = tables.Column('project_name', verbose_name=_('Project'))
    project_id = tables.Column('project_id', verbose_name=_('Project ID'),
                               classes=NARROW_HIDDEN)

    class Meta:
        name = 'members'
        verbose_name = _('Members')
        table_actions = (actions.AddMember, actions.RemoveMember)
        row_actions = (actions.RemoveMember,)
        no_data_message = _('No project is a member. A private version is seen by its '
                            'members only.')

    def get_object_display(self, datum):
        return datum.project_name


class Association:
    """A flavor or volume type, whether the version is associated with it, and whether it
    is allowed: associated, or the version has no association of this kind at all."""

    def __init__(self, obj_id, name, detail, associated, restricted):
        self.id = obj_id
        self.name = name
        self.detail = detail
        self.associated = associated
        self.allowed = associated or not restricted


def associations(everything, associated_ids, key, item_id, name, detail):
    """Rows for every flavor (volume type); `associated_ids` are the version's (its mgmt
    view's `flavors` or `volume_types`), matched by `item_id`; `key` names the row."""
    ids = set(associated_ids or ())
    return [Association(key(item), name(item), detail(item), item_id(item) in ids, bool(ids))
            for item in everything]


def allowed_label(row):
    if row.associated:
        return _('Yes (associated)')
    return _('Yes (no restriction)') if row.allowed else _('No')


class FlavorsTable(tables.DataTable):
    name = tables.Column('name', verbose_name=_('Flavor'))
    detail = tables.Column('detail', verbose_name=_('Size'), classes=NARROW_HIDDEN)
    allowed = tables.Column(allowed_label, verbose_name=_('Allowed'))

    class Meta:
        name = 'version_flavors'
        verbose_name = _('Flavors')
        table_actions = (actions.AssociateFlavor, actions.DissociateFlavor)
        row_actions = (actions.AssociateFlavor, actions.DissociateFlavor)

    def get_object_display(self, datum):
        return datum.name


class VolumeTypesTable(tables.DataTable):
    name = tables.Column('name', verbose_name=_('Volume Type'))
    detail = tables.Column('detail', verbose_name=_('Description'), classes=NARROW_HIDDEN)
    allowed = tables.Column(allowed_label, verbose_name=_('Allowed'))

    class Meta:
        name = 'version_volume_types'
        verbose_name = _('Volume Types')
        table_actions = (actions.AssociateVolumeType, actions.DissociateVolumeType)
        row_actions = (actions.AssociateVolumeType, actions.DissociateVolumeType)

    def get_object_display(self, datum):
        return datum.name
