"""A flavor resize takes its room on the host when it is checked, not when it ends."""
import pytest

from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.drivers.compute import get_driver
from api_service.drivers.compute.base import PlacementError
from tests.unit.test_instances_api import api, create  # noqa: F401  (fixture)


def on_host_h1(api):  # noqa: F811
    instance_id = create(api).json_body_or_none['instance']['id']
    with session_scope() as session:
        session.get(m.Instance, instance_id).host = 'h1'     # 4096 MB, 4 vCPUs
    return instance_id


def sizes(instance_id):
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id)
        return instance.ram_mb, instance.vcpus


def test_a_checked_resize_holds_its_room_so_the_next_one_sees_it(api):  # noqa: F811
    growing, other = on_host_h1(api), on_host_h1(api)
    before = sizes(other)
    get_driver().reserve_resize(growing, 3000, 1)
    assert sizes(growing) == (3000, max(1, before[1]))
    # 4096 - 3000 left: the other one cannot grow to 1500 while the first resize runs.
    with pytest.raises(PlacementError, match="Host 'h1' has room for 1096 MB"):
        get_driver().reserve_resize(other, 1500, 1)
    assert sizes(other) == before


def test_a_shrinking_resize_keeps_its_larger_size_until_it_ends(api):  # noqa: F811
    instance_id = on_host_h1(api)
    ram, vcpus = sizes(instance_id)
    get_driver().reserve_resize(instance_id, ram // 2, vcpus)
    assert sizes(instance_id) == (ram, vcpus)
