"""A datastore version's page: Overview, Members, Flavors and Volume Types.

The view fetches the version once (with the ids of its associated flavors and volume
types) and hands it to the tabs; each other tab asks for its own list only when it is
opened (preload off).
"""
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tabs
from openstack_dashboard.api import keystone

from trove_dashboard.api import admin_catalogue as api
from trove_dashboard.api import trove
from trove_dashboard.content.admin_datastores import tables


class OverviewTab(tabs.Tab):
    name = _('Overview')
    slug = 'overview'
    template_name = 'admin/datastores/_detail_overview.html'

    def get_context_data(self, request):
        version = self.tab_group.kwargs['version']
        return {'version': version,
                'visibility': tables.visibility_label(version),
                'maturity': tables.maturity_cell(version),
                'capabilities': ', '.join(getattr(version, 'capabilities', None) or []) or '-'}


class VersionTableTab(tabs.TableTab):
    template_name = 'admin/datastores/_detail_table.html'
    preload = False
    note = ''

    def version_ref(self):
        kwargs = self.tab_group.kwargs
        return kwargs['datastore_id'], kwargs['version_id']

    def associated(self, kind):
        """The ids of the version's associated `flavors` or `volume_types`."""
        return getattr(self.tab_group.kwargs['version'], kind, None) or []

    def get_context_data(self, request, **kwargs):
        context = super().get_context_data(request, **kwargs)
        context['note'] = self.note
        return context


class MembersTab(VersionTableTab):
    """Member projects by name: the members and Keystone's projects, one call each."""
    name = _('Members')
    slug = 'members'
    table_classes = (tables.MembersTable,)
    note = _('While the version is private, only member projects see it and launch '
             'instances of it.')

    def get_members_data(self):
        try:
            members = api.member_list(self.request, *self.version_ref())
            projects, _more = keystone.tenant_list(self.request)
        except Exception:
            exceptions.handle(self.request, _("Unable to retrieve the version's members."))
            return []
        names = {p.id: p.name for p in projects}
        return [tables.Member(m, names) for m in members]


def _flavor_id(flavor):
    return str(getattr(flavor, 'str_id', None) or flavor.id)


def _flavor_size(flavor):
    return _('%(vcpus)s VCPU, %(ram)s MB RAM') % {'vcpus': flavor.vcpus, 'ram': flavor.ram}


class FlavorsTab(VersionTableTab):
    """Every flavor (one call), and which the version is associated with."""
    name = _('Flavors')
    slug = 'flavors'
    table_classes = (tables.FlavorsTable,)
    note = _('A version with no flavor associated allows every flavor; once one is '
             'associated, only the associated ones.')

    def get_version_flavors_data(self):
        try:
            everything = trove.flavor_list(self.request)
        except Exception:
            exceptions.handle(self.request, _("Unable to retrieve the version's flavors."))
            return []
        return tables.associations(everything, self.associated('flavors'), _flavor_id,
                                   _flavor_id, lambda f: f.name, _flavor_size)


class VolumeTypesTab(VersionTableTab):
    """Every volume type, private ones too (one call), and which the version is
    associated with."""
    name = _('Volume Types')
    slug = 'volume_types'
    table_classes = (tables.VolumeTypesTable,)
    note = _('A version with no volume type associated allows every volume type; once one '
             'is associated, only the associated ones.')

    def get_version_volume_types_data(self):
        try:
            everything = api.volume_type_list(self.request)
        except Exception:
            exceptions.handle(self.request,
                              _("Unable to retrieve the version's volume types."))
            return []
        return tables.associations(everything, self.associated('volume_types'),
                                   lambda t: t['name'], lambda t: t['id'],
                                   lambda t: t['name'], lambda t: t.get('description') or '-')


class VersionTabs(tabs.DetailTabsGroup):
    slug = 'datastore_version'
    tabs = (OverviewTab, MembersTab, FlavorsTab, VolumeTypesTab)
    sticky = True
