"""The Admin dashboard's Flavors and Volume Types panel in a real browser against a real stack.

As admin: create a flavor with a unique name in the panel, see it in the table, edit it,
try to delete it while the demo user's instance runs on it (the API's refusal is shown and
the row stays), delete it once the instance is gone; then the same for a volume type.
Every value is read back from the API. Nothing made is left behind. Screenshots at 1280 px
go to tests/artifacts/.
"""
import time

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.browser.conftest import screenshot
from tests.browser.test_backups import DemoApi
from tests.browser.test_instances import SETTLE_MS, unique

PANEL = '/admin/database_flavors/'


class AdminApi:
    """The admin's view of the API, to read back what the panel did and to clean up."""

    def __init__(self, stack):
        token, project_id = stack.token('admin')
        self.base = stack.api(project_id)
        self.headers = {'X-Auth-Token': token}

    def get(self, path):
        return requests.get(self.base + path, headers=self.headers, timeout=30)

    def flavor_named(self, name):
        found = [f for f in self.get('/flavors').json()['flavors'] if f['name'] == name]
        return found[0] if found else None

    def volume_type_named(self, name):
        found = [vt for vt in self.get('/volume-types').json()['volume_types']
                 if vt['name'] == name]
        return found[0] if found else None

    def delete(self, path):
        requests.delete(self.base + path, headers=self.headers, timeout=30)


def until(condition, what, timeout=SETTLE_MS / 1000):
    """Poll the API until `condition()` holds; the panel's pages await in the browser."""
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, 'gave up waiting: %s' % what
        time.sleep(0.5)


def row_of(page, table, name):
    return page.locator('#%s tbody tr[data-display="%s"]' % (table, name))


def open_modal(page, opener):
    opener.click()
    page.wait_for_selector('.modal form')


def delete_row(page, table, name):
    row = row_of(page, table, name)
    row.locator('.dropdown-toggle').click()
    row.locator('button[id$="__action_delete"]').click()
    page.locator('.modal .btn-danger').click()


def gone(api, path):
    """For AdminApi and DemoApi alike: the path answers 404."""
    return lambda: requests.get(api.base + path, headers=api.headers,
                                timeout=30).status_code == 404


def delete_instance(demo, instance_id):
    """The instance goes, and with it its hold on the flavor."""
    requests.delete('%s/instances/%s' % (demo.base, instance_id), headers=demo.headers,
                    timeout=30)
    until(gone(demo, '/instances/%s' % instance_id), 'the instance to be deleted')


@pytest.fixture
def admin_page(page, stack):
    """A page logged in as admin; no response of the test may be a server error."""
    failed = []
    page.on('response', lambda r: failed.append('%s %s' % (r.status, r.url))
            if r.status >= 500 else None)
    login(page, stack, 'admin')
    yield page
    assert failed == []


def test_flavor_create_edit_refused_delete_and_delete(admin_page, stack):
    page = admin_page
    admin, demo = AdminApi(stack), DemoApi(stack)
    name = unique('db-panel')
    renamed = name + '-big'
    instance_id = None
    try:
        page.goto(stack.urls['dashboard'] + PANEL)
        expect(page.locator('h1')).to_have_text('Flavors and Volume Types')

        # Create: the form takes the sizes; the row shows them and the API has them.
        open_modal(page, page.locator('#flavors__action_create'))
        page.fill('.modal input[name=name]', name)
        page.fill('.modal input[name=ram]', '384')
        page.fill('.modal input[name=vcpus]', '1')
        page.fill('.modal input[name=disk]', '1')
        screenshot(page, 'admin-flavor-create-1280')
        page.click('.modal input[type=submit]')
        row = row_of(page, 'flavors', name)
        expect(row).to_contain_text('384 MB', timeout=15000)
        created = admin.flavor_named(name)
        assert (created['ram'], created['vcpus'], created['disk']) == (384, 1, 1)
        flavor_id = created['str_id']
        screenshot(page, 'admin-flavors-1280')

        # Edit: renamed and larger, in the table and in the API.
        open_modal(page, row.locator('a[id$="__action_edit"]'))
        expect(page.locator('.modal input[name=ram]')).to_have_value('384')
        page.fill('.modal input[name=name]', renamed)
        page.fill('.modal input[name=ram]', '512')
        page.click('.modal input[type=submit]')
        expect(row_of(page, 'flavors', renamed)).to_contain_text('512 MB', timeout=15000)
        expect(row_of(page, 'flavors', name)).to_have_count(0)
        edited = admin.get('/flavors/%s' % flavor_id).json()['flavor']
        assert (edited['name'], edited['ram']) == (renamed, 512)

        # An instance of the demo project runs on it: the delete is refused in the API's words.
        instance_id = demo.call('POST', '/instances', json={'instance': {
            'name': unique('on-panel-flavor'), 'flavorRef': flavor_id, 'volume': {'size': 1},
            'datastore': {'type': 'mariadb', 'version': '10.11'}}})['instance']['id']
        delete_row(page, 'flavors', renamed)
        refusal = page.locator('.alert-danger', has_text='in use')
        expect(refusal).to_be_visible(timeout=15000)
        expect(refusal).to_contain_text(renamed)
        expect(page.locator('.alert-danger', has_text='Unable to')).to_have_count(0)
        expect(row_of(page, 'flavors', renamed)).to_have_count(1)
        screenshot(page, 'admin-flavor-delete-refused-1280')
        assert admin.get('/flavors/%s' % flavor_id).status_code == 200

        # Once the instance is gone, the delete goes through.
        delete_instance(demo, instance_id)
        instance_id = None
        page.reload()
        delete_row(page, 'flavors', renamed)
        expect(row_of(page, 'flavors', renamed)).to_have_count(0, timeout=15000)
        expect(page.locator('.alert-success', has_text='Deleted Flavor')).to_be_visible()
        assert admin.get('/flavors/%s' % flavor_id).status_code == 404
    finally:
        if instance_id:
            delete_instance(demo, instance_id)
        for leftover in (name, renamed):
            found = admin.flavor_named(leftover)
            if found:
                admin.delete('/mgmt/flavors/%s' % found['str_id'])


def test_volume_type_create_edit_and_delete(admin_page, stack):
    page = admin_page
    admin = AdminApi(stack)
    name = unique('panel-type')
    renamed = name + '-ssd'
    try:
        page.goto(stack.urls['dashboard'] + PANEL + '?tab=database_flavors__volume_types_tab')
        open_modal(page, page.locator('#volume_types__action_create'))
        page.fill('.modal input[name=name]', name)
        page.fill('.modal textarea[name=description]', 'made by the panel test')
        page.click('.modal input[type=submit]')
        row = row_of(page, 'volume_types', name)
        expect(row).to_contain_text('made by the panel test', timeout=15000)
        assert admin.volume_type_named(name)['is_public'] is True

        # Edited: renamed and described anew (it stays public: GET /volume-types lists
        # public types only, so a private one would leave the table).
        open_modal(page, row.locator('a[id$="__action_edit"]'))
        expect(page.locator('.modal input[name=is_public]')).to_be_checked()
        page.fill('.modal input[name=name]', renamed)
        page.fill('.modal textarea[name=description]', 'edited by the panel test')
        page.click('.modal input[type=submit]')
        expect(row_of(page, 'volume_types', renamed)).to_contain_text(
            'edited by the panel test', timeout=15000)
        expect(row_of(page, 'volume_types', name)).to_have_count(0)
        stored = admin.volume_type_named(renamed)
        assert (stored['description'], stored['is_public']) == ('edited by the panel test',
                                                                True)
        screenshot(page, 'admin-volume-types-1280')

        delete_row(page, 'volume_types', renamed)
        expect(row_of(page, 'volume_types', renamed)).to_have_count(0, timeout=15000)
        assert admin.volume_type_named(renamed) is None
    finally:
        for leftover in (name, renamed):
            found = admin.volume_type_named(leftover)
            if found:
                admin.delete('/mgmt/volume-types/%s' % found['id'])

