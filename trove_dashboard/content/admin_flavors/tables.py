"""The Flavors and Volume Types tables of the operators' panel."""
from django.utils.translation import gettext_lazy as _
from horizon import tables

from trove_dashboard.content.admin_flavors import actions

NARROW_HIDDEN = ('hidden-xs', 'hidden-sm')


def flavor_id(flavor):
    """The id as the API names it: `str_id` holds non-numeric ids too (`id` is then None)."""
    return str(getattr(flavor, 'str_id', None) or flavor.id)


def _megabytes(flavor):
    return _('%s MB') % flavor.ram


def _gigabytes(value):
    return _('%s GB') % (value or 0)


class FlavorsTable(tables.DataTable):
    name = tables.WrappingColumn('name', verbose_name=_('Name'))
    id = tables.Column(flavor_id, verbose_name=_('ID'), classes=NARROW_HIDDEN)
    ram = tables.Column(_megabytes, verbose_name=_('RAM'))
    vcpus = tables.Column('vcpus', verbose_name=_('vCPUs'))
    disk = tables.Column(lambda f: _gigabytes(getattr(f, 'disk', 0)),
                         verbose_name=_('Root Disk'), classes=NARROW_HIDDEN)
    ephemeral = tables.Column(lambda f: _gigabytes(getattr(f, 'ephemeral', 0)),
                              verbose_name=_('Ephemeral Disk'), classes=NARROW_HIDDEN)

    class Meta:
        name = 'flavors'
        verbose_name = _('Flavors')
        table_actions = (actions.CreateFlavor, actions.DeleteFlavor)
        row_actions = (actions.EditFlavor, actions.DeleteFlavor)

    def get_object_id(self, datum):
        return flavor_id(datum)


def _public(volume_type):
    return _('Yes') if getattr(volume_type, 'is_public', True) else _('No')


def _volume_root(volume_type):
    # No root_path: the volumes live in the local driver's instances' volumes directory.
    return getattr(volume_type, 'root_path', None) or _('Default')


class VolumeTypesTable(tables.DataTable):
    name = tables.WrappingColumn('name', verbose_name=_('Name'))
    description = tables.WrappingColumn(lambda vt: getattr(vt, 'description', None) or '-',
                                        verbose_name=_('Description'))
    is_public = tables.Column(_public, verbose_name=_('Public'))
    root_path = tables.WrappingColumn(_volume_root, verbose_name=_('Volume Root'),
                                      classes=NARROW_HIDDEN)
    id = tables.Column('id', verbose_name=_('ID'), classes=NARROW_HIDDEN)

    class Meta:
        name = 'volume_types'
        verbose_name = _('Volume Types')
        table_actions = (actions.CreateVolumeType, actions.DeleteVolumeType)
        row_actions = (actions.EditVolumeType, actions.DeleteVolumeType)
