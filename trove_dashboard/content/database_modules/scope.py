"""Which datastores a module is for: every one, every version of one, or one version.

The form names the choice by the catalogue's ids (a version's reference, or `datastore:`
and the datastore's id); the API takes names, and says 'all' where the module has none.
"""
from django.utils.translation import gettext_lazy as _

ALL = 'all'
_DATASTORE = 'datastore:'


def _datastores(catalogue):
    """[(datastore id, name, [versions])] in the catalogue's order."""
    found = {}
    for version in catalogue.versions:
        found.setdefault(version.datastore_id, (version.datastore_name, []))[1].append(version)
    return [(ds_id, name, versions) for ds_id, (name, versions) in found.items()]


def choices(catalogue, all_datastores=False):
    """Grouped by datastore: its versions and "all versions"; "All datastores" first for
    those who may choose it (an admin-only option)."""
    found = [(ALL, _('All datastores'))] if all_datastores else []
    for ds_id, name, versions in _datastores(catalogue):
        found.append((name, [(_DATASTORE + ds_id, _('%s, all versions') % name)] +
                      [(v.ref, '%s %s' % (name, v.name)) for v in versions]))
    return found


def _datastore_name(catalogue, ds_id):
    return next((name for found_id, name, _v in _datastores(catalogue) if found_id == ds_id),
                None)


def for_create(catalogue, value):
    """troveclient's create arguments for the choice (none: all datastores)."""
    if value == ALL:
        return {}
    if value.startswith(_DATASTORE):
        return {'datastore': _datastore_name(catalogue, value[len(_DATASTORE):])}
    version = catalogue.get(value)
    return {'datastore': version.datastore_name, 'datastore_version': version.name}


def for_update(catalogue, value):
    """troveclient's update arguments: it needs flags to widen a module to all."""
    if value == ALL:
        return {'all_datastores': True}
    found = for_create(catalogue, value)
    if 'datastore_version' not in found:
        found['all_datastore_versions'] = True
    return found


def initial(catalogue, module):
    """The choice a module's datastore and version names make, or None when the catalogue
    does not offer it (the user then chooses again)."""
    datastore = getattr(module, 'datastore', None) or ALL
    version = getattr(module, 'datastore_version', None) or ALL
    if datastore == ALL:
        return ALL
    if version == ALL:
        return next((_DATASTORE + ds_id for ds_id, name, _v in _datastores(catalogue)
                     if name == datastore), None)
    found = catalogue.find(datastore, version)
    return found.ref if found else None


def label(module):
    """'All datastores', 'mariadb, all versions' or 'mariadb 10.11'."""
    datastore = getattr(module, 'datastore', None) or ALL
    version = getattr(module, 'datastore_version', None) or ALL
    if datastore == ALL:
        return _('All datastores')
    if version == ALL:
        return _('%s, all versions') % datastore
    return '%s %s' % (datastore, version)


def fits(module, datastore, version):
    """Whether the module may be applied to an instance of datastore `version`."""
    return (getattr(module, 'datastore', ALL) in (ALL, datastore, None) and
            getattr(module, 'datastore_version', ALL) in (ALL, version, None))
