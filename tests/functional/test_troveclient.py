"""python-troveclient's library, as the dashboard uses it, against the real stack."""
import pytest
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from troveclient.v1 import client as trove_client


@pytest.fixture(scope='module')
def trove(stack):
    auth = v3.Password(auth_url=stack.urls['keystone'] + '/v3', username='demo',
                       password=stack.secrets['demo_password'], project_name='demo',
                       user_domain_id='default', project_domain_id='default')
    # The endpoint comes from the catalog entry of type `database`.
    return trove_client.Client(session=ks_session.Session(auth=auth))


def test_catalog_resolves_and_lists_datastores(trove):
    names = [d.name for d in trove.datastores.list()]
    assert {'mariadb', 'postgresql', 'redis'} <= set(names)


def test_versions_and_their_flavors_and_volume_types(trove):
    version = trove.datastore_versions.get('postgresql', '18')
    assert version.name == '18'
    assert trove.datastore_versions.get_by_uuid(version.id).id == version.id
    flavors = trove.flavors.list_datastore_version_associated_flavors('postgresql', version.id)
    assert {f.name for f in flavors} >= {'db.tiny', 'db.small'}
    types = trove.volume_types.list_datastore_version_associated_volume_types(
        'postgresql', version.id)
    assert {t.name for t in types} == {'standard', 'fast'}


def test_flavor_get_and_volume_types(trove):
    assert trove.flavors.get(3).ram == 1024
    assert {t.name for t in trove.volume_types.list()} == {'standard', 'fast'}


def test_limits(trove):
    (absolute,) = [lim for lim in trove.limits.list() if lim.verb == 'ABSOLUTE']
    assert absolute.max_instances >= 1
