"""A delete that lands while an instance is being built leaves nothing behind: the build, on
finding its instance deleted (or being deleted), destroys what it made after the delete's own
destroy ran; and the local driver's destroy finds a volume even once the row is gone."""
import os

from api_service.drivers import compute
from api_service.drivers.compute import local
from api_service.taskmanager import flows
from tests.unit import memory_driver
from tests.unit.test_tenant_faults import create, mem  # noqa: F401  (fixture)


def test_a_build_deleted_after_its_volume_was_made_destroys_it(mem, monkeypatch):  # noqa: F811
    driver = compute.get_driver()
    made = memory_driver.MemoryDriver.provision_volume

    def volume_then_the_delete_runs_to_its_end(self, instance_id):
        path = made(self, instance_id)
        flows.delete({}, instance_id)        # destroy, then the row is marked deleted
        return path
    monkeypatch.setattr(memory_driver.MemoryDriver, 'provision_volume',
                        volume_then_the_delete_runs_to_its_end)
    instance_id = create(mem)
    destroys = [c for c in driver.calls if c == ('destroy', instance_id)]
    assert len(destroys) == 2                 # the delete's, then the build's own
    assert instance_id not in driver.volumes and instance_id not in driver.guests
    assert mem.get('/instances/%s' % instance_id).status_code == 404


def test_the_local_destroy_finds_the_volume_of_a_row_that_is_gone(conf, catalogue, tmp_path):
    conf.set_override('instances_dir', str(tmp_path / 'instances'), 'local_driver')
    try:
        instance_id = '5a1d0c8e-0000-4000-8000-00000000beef'
        leftovers = [tmp_path / 'fast' / instance_id, tmp_path / 'instances' / instance_id,
                     tmp_path / 'instances' / 'volumes' / instance_id]
        for path in leftovers:
            os.makedirs(path / 'data')
        local.LocalDriver().destroy(instance_id)
        assert [p for p in leftovers if p.exists()] == []
        assert (tmp_path / 'fast').exists()   # the volume type's root itself stays
    finally:
        conf.clear_override('instances_dir', 'local_driver')
