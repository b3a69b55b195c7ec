"""The local driver's placement: recorded on the row under the placement lock, once."""
import pytest

from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.drivers.compute import get_driver
from api_service.drivers.compute.base import Placement, PlacementError
from tests.unit.test_instances_api import api, create  # noqa: F401  (fixture)


def test_place_records_host_zone_and_address_and_placing_again_changes_nothing(api):  # noqa: F811
    first = create(api).json_body_or_none['instance']['id']
    second = create(api, availability_zone='east').json_body_or_none['instance']['id']
    driver = get_driver()
    placed = driver.place(first)
    assert placed == Placement('h1', 'nova', placed.address)     # h1 has the most free RAM
    assert driver.place(first) == placed == driver.describe(first)
    other = driver.place(second)
    assert (other.host, other.availability_zone) == ('h2', 'east')
    assert other.address != placed.address
    with session_scope() as session:
        row = session.get(m.Instance, second)
        assert (row.host, row.availability_zone, row.address) == tuple(
            (other.host, other.availability_zone, other.address))


def test_a_placement_that_cannot_be_met_records_nothing(api):  # noqa: F811
    instance_id = create(api, flavorRef='3').json_body_or_none['instance']['id']
    with session_scope() as session:
        session.get(m.Instance, instance_id).ram_mb = 8192
    with pytest.raises(PlacementError, match='No host in any availability zone has room'):
        get_driver().place(instance_id)
    assert get_driver().describe(instance_id) is None


def test_an_instance_gone_is_not_placed(api):  # noqa: F811
    assert get_driver().place('0' * 36) is None
