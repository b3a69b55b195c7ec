"""Operators' catalogue against the real stack (issue #12): python-troveclient's mgmt calls
register a version, make it private, admit a project, and manage flavors and associations;
the digest's REG- and VIS- series. The instance on the registered version is checked in the
engine itself."""
import psycopg
import pytest
from troveclient import exceptions
from troveclient.v1 import datastores as ds_api
from troveclient.v1 import management

from tests.functional.instance_helpers import trove, wait_gone, wait_status

DATASTORE = 'pgops'


@pytest.fixture(scope='module')
def admin(stack):
    return trove(stack, 'admin')


@pytest.fixture(scope='module')
def demo(stack):
    return trove(stack, 'demo')


@pytest.fixture(scope='module')
def registered(admin):
    """A version of a new datastore on Debian's PostgreSQL 15 build, removed afterwards."""
    assert admin.mgmt_ds_versions.create('15', DATASTORE, 'postgresql', 'postgresql-15',
                                         active='true',
                                         default='true') is None
    version = next(v for v in admin.mgmt_ds_versions.list()
                   if v.datastore_name == DATASTORE)
    yield version
    try:
        admin.mgmt_ds_versions.delete(version.id)                               # REG-07
    except exceptions.Conflict:
        # Kept for a deleted instance's record: retired instead.
        admin.mgmt_ds_versions.edit(version.id, active='false')


def test_registration_shows_every_field(admin, demo, registered):           # REG-01, 04, 05
    assert registered.packages == [] and registered.default is True
    assert registered.version.startswith('15.')
    assert 'databases' in registered.capabilities
    assert admin.mgmt_ds_versions.get(registered.id).name == '15'
    assert DATASTORE in [d.name for d in demo.datastores.list()]
    assert demo.datastores.get(DATASTORE).default_version == registered.id
    with pytest.raises(exceptions.BadRequest):                                  # REG-02
        admin.mgmt_ds_versions.create('15', DATASTORE, 'postgresql', 'postgresql-15')
    with pytest.raises(exceptions.NotFound):                                    # REG-03
        admin.mgmt_ds_versions.create('16', DATASTORE, 'postgresql', 'postgresql-9')
    with pytest.raises(exceptions.NotFound):
        admin.mgmt_ds_versions.get('00000000-0000-0000-0000-000000000000')


def test_non_admins_are_refused(demo, registered):                             # REG-08, VIS-06
    with pytest.raises(exceptions.Forbidden):
        demo.mgmt_ds_versions.list()
    with pytest.raises(exceptions.Forbidden):
        demo.mgmt_ds_versions.create('x', DATASTORE, 'postgresql', 'postgresql-15')
    with pytest.raises(exceptions.Forbidden):
        demo.datastore_versions.update(DATASTORE, '15', 'private')
    with pytest.raises(exceptions.Forbidden):
        ds_api.DatastoreVersionMembers(demo).list(DATASTORE, '15')


def test_private_version_and_members(stack, admin, demo, registered):       # VIS-02, 05
    members = ds_api.DatastoreVersionMembers(admin)
    admin.datastore_versions.update(DATASTORE, '15', 'private')
    try:
        assert admin.datastore_versions.get(DATASTORE, '15').visibility == 'private'
        assert DATASTORE not in [d.name for d in demo.datastores.list()]
        with pytest.raises(exceptions.NotFound):
            demo.datastore_versions.get_by_uuid(registered.id)
        with pytest.raises(exceptions.NotFound):
            demo.instances.create('hidden', '1', volume={'size': 1}, datastore=DATASTORE,
                                  datastore_version='15')
        member = members.add(DATASTORE, '15', stack.demo_project_id)
        assert member.member == stack.demo_project_id
        assert member.datastore_version_id == registered.id
        assert [m.id for m in members.list(DATASTORE, '15')] == [member.id]
        assert [m.id for m in members.get_by_tenant(DATASTORE, stack.demo_project_id)] == [
            member.id]
        assert members.get(DATASTORE, '15', member.id).member == stack.demo_project_id
        shown = demo.datastore_versions.get(DATASTORE, '15')
        assert shown.id == registered.id and not hasattr(shown, 'visibility')
        with pytest.raises(exceptions.Conflict):
            members.add(DATASTORE, '15', stack.demo_project_id)
        members.delete(DATASTORE, '15', member.id)
        with pytest.raises(exceptions.NotFound):
            demo.datastore_versions.get(DATASTORE, '15')
    finally:
        admin.datastore_versions.update(DATASTORE, '15', 'public')


def test_unlisted_and_deprecated(admin, demo, registered):                    # VIS-03, 04
    try:
        admin.datastore_versions.update(DATASTORE, '15', 'unlisted')
        assert DATASTORE not in [d.name for d in demo.datastores.list()]
        assert demo.datastore_versions.get_by_uuid(registered.id).name == '15'
        admin.datastore_versions.update(DATASTORE, '15', 'deprecated')
        with pytest.raises(exceptions.NotFound):
            demo.datastore_versions.get_by_uuid(registered.id)
        assert admin.datastore_versions.get_by_uuid(registered.id).visibility == 'deprecated'
        with pytest.raises(exceptions.BadRequest):
            admin.datastore_versions.update(DATASTORE, '15', 'secret')
    finally:
        admin.datastore_versions.update(DATASTORE, '15', 'public')


def test_flavor_create_and_association(admin, demo, registered):
    created = management.MgmtFlavors(admin).create('db.ops', 768, 0, 1)
    flavor_id = created.str_id
    path = '/mgmt/datastores/%s/versions/15/flavors/%s' % (DATASTORE, flavor_id)
    admin.client.put(path)
    try:
        allowed = demo.flavors.list_datastore_version_associated_flavors(DATASTORE,
                                                                         registered.id)
        assert [f.str_id for f in allowed] == [flavor_id]
        with pytest.raises(exceptions.Conflict):
            admin.client.delete('/mgmt/flavors/%s' % flavor_id)
    finally:
        admin.client.delete(path)
    admin.client.delete('/mgmt/flavors/%s' % flavor_id)
    with pytest.raises(exceptions.NotFound):
        demo.flavors.get(flavor_id)


def test_instance_on_the_registered_version_and_delete_in_use(admin, demo, registered):
    instance = demo.instances.create(
        'ops-pg', '1', volume={'size': 1}, datastore=DATASTORE, datastore_version='15',
        databases=[{'name': 'shop'}],
        users=[{'name': 'app', 'password': 'app-pw-1', 'databases': [{'name': 'shop'}]}])
    instance = wait_status(demo, instance.id, 'ACTIVE')
    dsn = ('host=%s port=5432 dbname=shop user=app password=app-pw-1 connect_timeout=5'
           % instance.ip[0])
    with psycopg.connect(dsn) as conn:
        # The engine is the build the version's image named.
        assert conn.execute('SHOW server_version').fetchone()[0].startswith('15.')
    with pytest.raises(exceptions.Conflict):                                    # REG-07
        admin.mgmt_ds_versions.delete(registered.id)
    admin.mgmt_ds_versions.edit(registered.id, active='false')                  # REG-06
    with pytest.raises(exceptions.BadRequest):
        demo.instances.create('inactive', '1', volume={'size': 1}, datastore=DATASTORE,
                              datastore_version='15')
    admin.mgmt_ds_versions.edit(registered.id, active='true')
    demo.instances.delete(instance.id)
    wait_gone(demo, instance.id)
