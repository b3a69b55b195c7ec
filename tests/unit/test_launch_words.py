"""What a launch is told before and when it is refused (issue #14): /limits names the
largest volume, an out-of-range volume is refused without naming the API's field, and
every bad CIDR of a request is named at once."""
import types

import pytest

from api_service.common import exceptions
from api_service.domain import access
from api_service.domain import instances as instances_domain
from tests.unit import test_instances_api as instances_api

api = instances_api.api   # the fixture: an in-process API with MariaDB and Redis versions
create, message = instances_api.create, instances_api.message


def test_limits_name_the_largest_volume(api, conf):
    conf.set_override('max_volume_size', 40, 'instance')
    try:
        (absolute,) = api.get('/limits').json_body_or_none['limits']
    finally:
        conf.clear_override('max_volume_size', 'instance')
    assert absolute['max_volume_size'] == 40


def test_a_volume_over_the_largest_is_refused_in_words(api):
    resp = create(api, volume={'size': 500})
    assert resp.status_code == 400
    assert message(resp) == 'Volume size must be between 1 and 100 GB.'


def test_a_resize_past_the_largest_is_refused_in_words():
    view = types.SimpleNamespace(instance=types.SimpleNamespace(volume_size=2))
    with pytest.raises(exceptions.BadRequest) as raised:
        instances_domain.check_volume_resize(view, 101)
    assert str(raised.value) == 'The new volume size must be at most 100 GB.'


def test_every_bad_cidr_is_named_at_once(api):
    resp = create(api, access={'is_public': True,
                               'allowed_cidrs': ['10.0.0.0/24', '10.0.0/8', 'abc']})
    assert resp.status_code == 400
    assert message(resp) == ("allowed_cidrs: not valid CIDRs: '10.0.0/8', 'abc'. Write each "
                             'as a CIDR such as 10.0.0.0/24.')


def test_one_bad_cidr_reads_as_before():
    with pytest.raises(exceptions.BadRequest) as raised:
        access.parse_cidrs(['10.0.0.0/24', 'ten/8'])
    assert str(raised.value) == "allowed_cidrs: 'ten/8' is not a CIDR such as 10.0.0.0/24."
