"""Configuration parameters a datastore version accepts, read-only, from the guest's rule files.

Each engine version's rules (type, range, unit, restart_required) were read from the engine
itself (`scripts/parameter_rules.py`) into one JSON file per version; a version finds its file
by its manager and the longest prefix of its version number that has one (`10.11.19` →
`mariadb-10.11.json`, `15.18` → `postgresql-15.json`). Files are parsed once per process.
"""
import collections
import functools
import json
import os

from api_service.common import exceptions
from api_service.domain import datastores
from api_service.guestagent.datastore import parameter_catalogue

# A rule as the views read it; min and max are None for strings and booleans.
Parameter = collections.namedtuple(
    'Parameter', 'name type min max restart_required unit datastore_version_id')


@functools.lru_cache(maxsize=None)
def _rules(manager, version):
    """{name: rule} of the first rule file matching this engine version; {} when none does."""
    parts = version.split('.')
    for n in range(len(parts), 0, -1):
        path = parameter_catalogue.rules_file(manager, '.'.join(parts[:n]))
        if os.path.exists(path):
            with open(path) as source:
                return {rule['name']: rule for rule in json.load(source)}
    return {}


def _parameter(rule, version_id):
    return Parameter(rule['name'], rule['type'], rule.get('min'), rule.get('max'),
                     rule['restart_required'], rule.get('unit'), version_id)


def _for_version(version):
    return version.id, _rules(version.manager, version.version)


def list_parameters(version):
    """The parameters of a datastore version (a row of datastores.get_version*), by name."""
    version_id, rules = _for_version(version)
    return [_parameter(rules[name], version_id) for name in sorted(rules)]


def get_parameter(version, name):
    version_id, rules = _for_version(version)
    if name not in rules:
        raise exceptions.NotFound("No configuration parameter '%s' for datastore version '%s'."
                                  % (name[:128], version_id))
    return _parameter(rules[name], version_id)


def parameters_by_version_id(version_id):
    return list_parameters(datastores.get_version_by_id(version_id))


def parameters_by_name(datastore, version):
    return list_parameters(datastores.get_version(datastore, version))


def parameter_by_version_id(version_id, name):
    return get_parameter(datastores.get_version_by_id(version_id), name)


def parameter_by_name(datastore, version, name):
    return get_parameter(datastores.get_version(datastore, version), name)
