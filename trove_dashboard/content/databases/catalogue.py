"""Datastores and versions as the dashboard needs them: choices and capabilities; and
how a flavor or volume type is named wherever one is chosen (Launch, Resize Flavor).

Built from one `GET /datastores` per request. A version is named in forms by a
reference holding its datastore's id and its own id (both UUIDs), so the version
select needs no parsing of display names and the per-version calls need no lookup.
"""
import collections
import copy

from django.utils.translation import gettext_lazy as _

from trove_dashboard.api import trove

Version = collections.namedtuple(
    'Version', 'ref datastore_id datastore_name id name number capabilities')

_SEP = '/'


def version_ref(datastore_id, version_id):
    return '%s%s%s' % (datastore_id, _SEP, version_id)


def split_ref(ref):
    """(datastore id, version id) of a reference; ValueError when it is not one."""
    datastore_id, sep, version_id = (ref or '').partition(_SEP)
    if not (datastore_id and sep and version_id) or _SEP in version_id:
        raise ValueError('not a datastore version reference: %r' % ref)
    return datastore_id, version_id


class Catalogue:
    """The active datastore versions of one request."""

    def __init__(self, datastores):
        self.versions = []
        self._defaults = set()
        for ds in sorted(datastores, key=lambda d: d.name):
            for v in sorted(getattr(ds, 'versions', []), key=lambda v: v['name']):
                if not v.get('active', True):
                    continue
                version = Version(version_ref(ds.id, v['id']), ds.id, ds.name, v['id'],
                                  v['name'], v.get('version', ''),
                                  frozenset(v.get('capabilities', ())))
                self.versions.append(version)
                if getattr(ds, 'default_version', None) == v['id']:
                    self._defaults.add(version.ref)
        self._by_ref = {v.ref: v for v in self.versions}
        self._by_names = {(v.datastore_name, v.name): v for v in self.versions}

    @classmethod
    def load(cls, request):
        return cls(trove.datastore_list(request))

    def get(self, ref):
        return self._by_ref.get(ref)

    def find(self, datastore_name, version_name):
        """The version an instance names (instances carry names, not ids)."""
        return self._by_names.get((datastore_name, version_name))

    def capabilities_of(self, instance):
        datastore = getattr(instance, 'datastore', None) or {}
        version = self.find(datastore.get('type'), datastore.get('version'))
        return version.capabilities if version else frozenset()

    def having(self, capability):
        """The same catalogue with only the versions that declare `capability`."""
        kept = copy.copy(self)
        kept.versions = [v for v in self.versions if capability in v.capabilities]
        kept._by_ref = {v.ref: v for v in kept.versions}
        kept._by_names = {(v.datastore_name, v.name): v for v in kept.versions}
        return kept

    def default(self):
        """The first datastore's default version, else the first version."""
        for version in self.versions:
            if version.ref in self._defaults:
                return version
        return self.versions[0] if self.versions else None

    def choices(self):
        """Versions grouped by datastore, as a select's choices."""
        groups = collections.OrderedDict()
        for v in self.versions:
            groups.setdefault(v.datastore_name, []).append(
                (v.ref, _('%(datastore)s %(version)s') % {'datastore': v.datastore_name,
                                                          'version': v.name}))
        return list(groups.items())


def flavor_value(flavor):
    """A flavor's id as the API takes it (`str_id` when the flavor has one)."""
    return str(getattr(flavor, 'str_id', None) or flavor.id)


def flavor_label(flavor):
    """A flavor as every flavor choice shows it: the same words in Launch and Resize."""
    return _('%(name)s (%(vcpus)s VCPU, %(ram)s MB RAM)') % {
        'name': flavor.name, 'vcpus': getattr(flavor, 'vcpus', '?'), 'ram': flavor.ram}


# A select cannot wrap its options: a longer description is cut at a word, and shown
# whole in the option's title and under the select.
VOLUME_TYPE_LABEL_CHARS = 40


def shortened(text, limit):
    """`text` cut at the last word that fits in `limit` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if ' ' in cut:
        cut = cut[:cut.rindex(' ')]
    return cut.rstrip(' ,.;:') + '\u2026'


def volume_type_label(volume_type):
    description = getattr(volume_type, 'description', '') or ''
    if not description:
        return volume_type.name
    return '%s: %s' % (volume_type.name, shortened(description, VOLUME_TYPE_LABEL_CHARS))


# Capabilities of features the API gains with later issues (docs/api-extensions.md):
# the launch form offers each only for a version that declares it.
CONFIGURATION, BACKUP, REPLICATION, MODULES = 'configuration', 'backups', 'replication', 'modules'
DATABASES, USERS, ROOT = 'databases', 'users', 'root'
# Users are name@host (MariaDB); without it (PostgreSQL) a user has no host to set.
USER_HOSTS = 'user_hosts'
# Access control (is_public, allowed_cidrs) that the version's engine enforces.
ACCESS = 'access'
