"""What the launch form offers for one datastore version, fetched once per request.

The form renders with the choices of the selected version; when the user picks
another version, the page asks LaunchChoicesView for that version's choices (the
same object as JSON). Features the API has not got yet are fetched only when the
version declares their capability, so no call ever goes to a missing endpoint.
"""
from trove_dashboard.api import trove
from trove_dashboard.content.database_modules import scope
from trove_dashboard.content.databases import catalogue as cat
from trove_dashboard.content.databases import states
from trove_dashboard.content.databases.workflows import quota as launch_quota


class VersionChoices:
    """Choices for one version: lists of (value, label), plus modules with auto-apply,
    each flavor's RAM (MB) and each volume type's whole description."""

    def __init__(self, version=None, flavors=(), volume_types=(), configurations=(),
                 backups=(), replica_sources=(), modules=(), flavor_ram=None,
                 volume_type_descriptions=None):
        self.version = version
        self.capabilities = version.capabilities if version else frozenset()
        self.flavors = list(flavors)
        self.flavor_ram = dict(flavor_ram or {})
        self.volume_types = list(volume_types)
        self.volume_type_descriptions = dict(volume_type_descriptions or {})
        self.configurations = list(configurations)
        self.backups = list(backups)
        self.replica_sources = list(replica_sources)
        self.modules = list(modules)

    def offers(self, capability):
        return capability in self.capabilities

    @classmethod
    def load(cls, request, version):
        if version is None:
            return cls()
        ds, v = version.datastore_id, version.id
        flavors = trove.version_flavors(request, ds, v)
        volume_types = trove.version_volume_types(request, ds, v)
        found = {
            'flavors': [(cat.flavor_value(f), cat.flavor_label(f)) for f in flavors],
            'flavor_ram': {cat.flavor_value(f): f.ram for f in flavors},
            'volume_types': [(t.name, cat.volume_type_label(t)) for t in volume_types],
            'volume_type_descriptions': {t.name: getattr(t, 'description', '') or ''
                                         for t in volume_types},
        }
        caps = version.capabilities
        if cat.CONFIGURATION in caps:
            found['configurations'] = [
                (c.id, c.name) for c in trove.configuration_list(request)
                if getattr(c, 'datastore_version_id', v) == v]
        if cat.BACKUP in caps:
            found['backups'] = [
                (b.id, b.name) for b in trove.backup_list(request, version.datastore_name)
                if getattr(b, 'status', '') == 'COMPLETED' and
                (getattr(b, 'datastore', None) or {}).get('version_id', v) == v]
        if cat.REPLICATION in caps:
            instances, _more = trove.instance_list(request)
            # A replica cannot be replicated (the API's 400); vars(): a listed instance
            # is not fully loaded, and a missing attribute read would fetch it again.
            found['replica_sources'] = [
                (i.id, i.name) for i in instances
                if states.allows(i, 'guest') and not vars(i).get('replica_of') and
                (i.datastore or {}).get('version') == version.name and
                (i.datastore or {}).get('type') == version.datastore_name]
        if cat.MODULES in caps:
            # The list is by datastore; a module of another of its versions does not fit.
            found['modules'] = [
                {'id': m.id, 'name': m.name, 'auto_apply': bool(getattr(m, 'auto_apply', False))}
                for m in trove.module_list(request, version.datastore_name)
                if scope.fits(m, version.datastore_name, version.name)]
        return cls(version, **found)

    def as_json(self):
        return {'capabilities': sorted(self.capabilities),
                'datastore': self.version.datastore_name if self.version else '',
                'flavors': self.flavors, 'flavor_ram': self.flavor_ram,
                'volume_types': self.volume_types,
                'volume_type_descriptions': self.volume_type_descriptions,
                'configurations': self.configurations,
                'backups': self.backups, 'replica_sources': self.replica_sources,
                'modules': self.modules}


class LaunchContext:
    """A launch request's own state: the catalogue, the chosen version, its choices, and
    the zones, networks and quota (the same for every version).

    A restore (`backup` given) starts on the backup's datastore version.
    """

    def __init__(self, request, backup=None):
        self.catalogue = cat.Catalogue.load(request)
        chosen = request.POST.get('datastore_version') if request.method == 'POST' else None
        self.version = (self.catalogue.get(chosen) or self.version_of(backup) or
                        self.catalogue.default())
        self.choices = VersionChoices.load(request, self.version)
        self.zones = trove.availability_zone_list(request)
        self.networks = trove.network_list(request)
        self.quota = launch_quota.LaunchQuota.load(request)

    def version_of(self, backup):
        datastore = getattr(backup, 'datastore', None) or {}
        return self.catalogue.find(datastore.get('type'), datastore.get('version'))


def restore_initial(launch, backup):
    """The workflow's initial values that restore `backup`: its version, the backup itself."""
    initial = {'initial_state': 'backup', 'backup': backup.id,
               'name': '%s-restored' % backup.name.replace(' ', '-')[:200]}
    if launch.version is not None:
        initial['datastore_version'] = launch.version.ref
    return initial
