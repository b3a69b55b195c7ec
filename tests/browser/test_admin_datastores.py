"""The Admin Datastores panel in a real browser against a real stack.

The admin registers a new MariaDB version on the panel (same engine build as the existing
one, so it could be launched), makes it private there, and the demo user's Launch dialog
no longer offers it; the admin adds the demo project as a member on the version's
Members tab and the dialog offers it again. The admin then deletes the version on the
panel; a cleanup deletes it through the API if the test stopped before, so the other tests
sharing the stack see the catalogue as it was. Screenshots go to tests/artifacts/.
"""
import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.browser.test_instances import unique

PANEL = '/admin/datastores/'


class AdminApi:
    """The admin's management API, to read what the panel did and to clean up."""

    def __init__(self, stack):
        token, project_id = stack.token('admin')
        self.base = stack.api(project_id)
        self.headers = {'X-Auth-Token': token}

    def versions(self):
        resp = requests.get(self.base + '/mgmt/datastore-versions', headers=self.headers,
                            timeout=30)
        resp.raise_for_status()
        return resp.json()['versions']

    def version(self, datastore, name):
        found = [v for v in self.versions()
                 if v['datastore_name'] == datastore and v['name'] == name]
        return found[0] if found else None

    def allowed_flavors(self, version):
        resp = requests.get('%s/datastores/%s/versions/%s/flavors' % (
            self.base, version['datastore_id'], version['id']), headers=self.headers,
            timeout=30)
        resp.raise_for_status()
        return resp.json()['flavors']

    def delete(self, version_id):
        resp = requests.delete('%s/mgmt/datastore-versions/%s' % (self.base, version_id),
                               headers=self.headers, timeout=30)
        assert resp.status_code in (202, 404), resp.text


def no_server_errors(page, failed):
    page.on('response', lambda r: failed.append('%s %s' % (r.status, r.url))
            if r.status >= 500 else None)


def version_row(page, name):
    return page.locator('#datastore_versions tbody tr[data-display="mariadb %s"]' % name)


def row_action(page, row, action):
    """A row action: the row's first (or only) action is a button of its own, the others
    are in its menu."""
    button = row.locator('[id$="__action_%s"]' % action)
    expect(button).to_have_count(1)
    if not button.is_visible():
        row.locator('.dropdown-toggle').click()
    button.click()


def confirm(page):
    """Horizon's confirmation of a dangerous action."""
    page.locator('.modal-footer .btn-danger').click()


def launch_offers(page, dashboard):
    """The datastore versions the Launch dialog offers, as labelled there."""
    page.goto(dashboard + '/project/databases/')
    page.click('#instances__action_launch')
    select = page.locator('.modal select[name=datastore_version]')
    expect(select).to_be_visible(timeout=30000)    # slow to load on a busy host
    return select.locator('option').all_inner_texts()


@pytest.fixture
def demo_page(browser, stack):
    """A second browser, logged in as demo, next to the admin's."""
    context = browser.new_context(viewport={'width': 1280, 'height': 900})
    page = context.new_page()
    failed = []
    no_server_errors(page, failed)
    login(page, stack, 'demo')
    yield page
    context.close()
    assert failed == []


def test_private_version_is_offered_to_members_only(page, demo_page, stack):
    dashboard = stack.urls['dashboard']
    api = AdminApi(stack)
    failed = []
    no_server_errors(page, failed)
    existing = api.version('mariadb', '10.11')
    # Its engine build (a version `dbaas-manage datastore discover` made names none).
    image = existing['image'] or 'mariadb-%s' % existing['version']
    name = unique('shop')
    label = 'mariadb %s' % name
    try:
        # Register the version on the panel, on the existing version's engine build.
        login(page, stack, 'admin')
        page.goto(dashboard + PANEL)
        expect(page.locator('h1')).to_have_text('Datastores')
        page.click('#datastore_versions__action_register')
        form = page.locator('.modal form')
        expect(form).to_be_visible(timeout=15000)
        form.locator('input[name=datastore]').fill('mariadb')
        form.locator('select[name=manager]').select_option('mariadb')
        form.locator('input[name=name]').fill(name)
        form.locator('input[name=image]').fill(image)
        screenshot(page, 'admin-datastores-register-1280')
        form.locator('input[type=submit]').click()
        row = version_row(page, name)
        expect(row).to_be_visible(timeout=15000)
        expect(row).to_contain_text(image)
        expect(row).to_contain_text('Public')
        registered = api.version('mariadb', name)
        assert registered['datastore_manager'] == 'mariadb'
        assert registered['active'] is True
        assert registered['default'] is False
        assert label in launch_offers(demo_page, dashboard)

        # Private: the demo project is not a member, so its Launch dialog leaves it out.
        row_action(page, row, 'visibility')
        form = page.locator('.modal form')
        expect(form).to_be_visible(timeout=15000)
        # Horizon's themed radios hide the input: its label is what is clicked.
        form.get_by_text('Private (members only)').click()
        expect(form.locator('input[name=visibility][value=private]')).to_be_checked()
        form.locator('input[type=submit]').click()
        expect(version_row(page, name)).to_contain_text('Private (members only)',
                                                        timeout=15000)
        assert api.version('mariadb', name)['visibility'] == 'private'
        screenshot(page, 'admin-datastores-private-1280')
        offered = launch_offers(demo_page, dashboard)
        assert label not in offered
        assert 'mariadb 10.11' in offered
        screenshot(demo_page, 'admin-datastores-launch-without-private-1280')

        # The demo project as a member, on the version's Members tab.
        row_action(page, version_row(page, name), 'members')
        members = page.locator('#members')
        expect(members).to_be_visible(timeout=15000)
        page.click('#members__action_add_member')
        form = page.locator('.modal form')
        expect(form).to_be_visible(timeout=15000)
        form.locator('select[name=project]').select_option(label='demo')
        form.locator('input[type=submit]').click()
        expect(members.locator('tbody tr[data-display="demo"]')).to_be_visible(timeout=15000)
        screenshot(page, 'admin-datastores-members-1280')
        assert label in launch_offers(demo_page, dashboard)
        screenshot(demo_page, 'admin-datastores-launch-as-member-1280')

        # One flavor associated: the version allows it alone; dissociated: all again.
        page.click('a[data-target$="__flavors"]')
        flavors = page.locator('#version_flavors')
        expect(flavors).to_contain_text('Yes (no restriction)', timeout=15000)
        tiny = flavors.locator('tbody tr[data-display="db.tiny"]')
        row_action(page, tiny, 'associate')
        flavors = page.locator('#version_flavors')
        expect(flavors.locator('tbody tr[data-display="db.tiny"]')).to_contain_text(
            'Yes (associated)', timeout=15000)
        expect(flavors.locator('tbody tr[data-display="db.small"]')).to_contain_text('No')
        assert [f['name'] for f in api.allowed_flavors(registered)] == ['db.tiny']
        screenshot(page, 'admin-datastores-flavors-1280')
        flavors.locator('tbody tr[data-display="db.tiny"] [id$="__action_dissociate"]').click()
        confirm(page)
        expect(page.locator('#version_flavors')).to_contain_text('Yes (no restriction)',
                                                                 timeout=15000)
        assert len(api.allowed_flavors(registered)) > 1

        # Delete it on the panel (nothing uses it).
        page.goto(dashboard + PANEL)
        row_action(page, version_row(page, name), 'delete')
        confirm(page)
        expect(version_row(page, name)).to_have_count(0, timeout=15000)
        assert api.version('mariadb', name) is None
    finally:
        left = api.version('mariadb', name)
        if left:
            api.delete(left['id'])
    assert failed == []
