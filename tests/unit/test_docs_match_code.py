"""What docs/api-extensions.md states as facts about the code, checked against the code."""
import json
import os
import re

from api_service.domain import instances, status
from api_service.drivers.compute import local_engines

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _doc():
    with open(os.path.join(REPO, 'docs', 'api-extensions.md'), encoding='utf-8') as handle:
        return handle.read()


def _section(title):
    text = _doc()
    start = text.index('\n## ' + title)
    end = text.find('\n## ', start + 1)
    return ' '.join(text[start:end if end > 0 else None].split())


def _ticked(text):
    return re.findall(r'`([^`]+)`', text)


def test_documented_capabilities_are_what_the_versions_declare():
    text = _section('Datastore versions: `capabilities`')
    documented = {}
    for listed, names in re.findall(r'`(\[[^\]]*\])` for ([A-Za-z]+(?: and [A-Za-z]+)?)', text):
        for name in names.split(' and '):
            documented[name.lower()] = json.loads(listed)
    declared = {manager: local_engines.Engine(manager, '1', '1', manager, '/').capabilities
                .split(',') for manager in ('mariadb', 'postgresql', 'redis')}
    assert documented == declared


def test_documented_refused_create_fields_are_the_refused_ones():
    text = _section('Instances: what the local driver adds or decides')
    refused = re.search(r'Refused \(400\) until their features land: ([^.]*)\.', text)
    assert refused, 'the list of refused create fields'
    assert set(_ticked(refused.group(1))) == set(instances.UNSUPPORTED)
    assert 'restorePoint' not in instances.UNSUPPORTED


def test_documented_instance_statuses_are_the_stored_ones():
    text = _section('Instances: what the local driver adds or decides')
    listed = re.search(r'Status is stored: (.*?);', text)
    assert listed, 'the list of instance statuses'
    defined = getattr(status, 'STATES', None) or {
        value for name, value in vars(status).items()
        if isinstance(value, str) and name == value and value.isupper()}
    assert set(_ticked(listed.group(1))) == defined
