"""The Admin dashboard's Instances panel in a real browser against a real stack.

The demo user launches a MariaDB instance through the API; the admin finds it among
every project's instances (filtered to the demo project) with its project's name, pings
its guest and reads the success, opens its detail page (project, host, status, and the
diagnostics tab loaded on demand). The demo user deletes it; the admin's Show Deleted
list still shows it, and its detail says it was deleted and its address released.
Screenshots go to tests/artifacts/.
"""
import time

import requests
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.browser.test_backups import DemoApi
from tests.browser.test_instances import SETTLE_MS, unique

# The Admin dashboard's default panel: Horizon serves it at the dashboard's root.
PANEL = '/admin/'


class AdminApi:
    """The admin's view of the management API, to await what the test waits for."""

    def __init__(self, stack):
        token, project_id = stack.token('admin')
        self.base = stack.api(project_id)
        self.headers = {'X-Auth-Token': token}

    def instance(self, instance_id):
        resp = requests.get('%s/mgmt/instances/%s?deleted=true' % (self.base, instance_id),
                            headers=self.headers, timeout=30)
        assert resp.ok, resp.text
        return resp.json()['instance']

    def wait_deleted(self, instance_id):
        deadline = time.time() + SETTLE_MS / 1000
        while time.time() < deadline:
            if self.instance(instance_id)['deleted']:
                return
            time.sleep(0.5)
        raise AssertionError('the instance was not deleted in time')


def admin_page(page, stack):
    failed = []
    page.on('response', lambda r: failed.append('%s %s' % (r.status, r.url))
            if r.status >= 500 else None)
    login(page, stack, 'admin')
    return failed


def filter_by_project(page, name):
    """Horizon's server filter: field Project, the project's name, Filter."""
    page.evaluate("""() => {
        const field = document.querySelector('select[name="admin_instances__filter__q_field"]');
        field.value = 'project';
        field.dispatchEvent(new Event('change'));
    }""")
    page.fill('input[name="admin_instances__filter__q"]', name)
    with page.expect_navigation():
        page.click('#admin_instances__action_filter')


def find_row(page, instance_id):
    """The instance's row, following the table's Next links (other tests' instances may
    come first)."""
    row = page.locator('#admin_instances__row__%s' % instance_id)
    for _ in range(20):
        if row.count():
            return row
        more = page.locator('#admin_instances tfoot a', has_text='Next')
        assert more.count(), 'instance %s is not listed' % instance_id
        with page.expect_navigation():
            more.first.click()
    raise AssertionError('instance %s is not within 20 pages' % instance_id)


def test_admin_sees_pings_opens_and_finds_deleted_instance(page, stack):
    demo, admin = DemoApi(stack), AdminApi(stack)
    name = unique('admin-view')
    instance_id = demo.launch_mariadb(name)
    deleted = False
    try:
        demo.wait_active(instance_id)
        failed = admin_page(page, stack)

        # The demo project's instance is listed with its project's name.
        page.goto(stack.urls['dashboard'] + PANEL)
        expect(page.locator('#admin_instances')).to_be_visible()
        filter_by_project(page, 'demo')
        row = find_row(page, instance_id)
        expect(row).to_contain_text(name)
        expect(row).to_contain_text('demo')
        expect(row).to_contain_text('Active')
        expect(row).to_contain_text('mariadb 10.11')
        screenshot(page, 'admin-instances-1280')

        # Ping: the guest answers, and Horizon says so.
        with page.expect_navigation():
            row.locator('button[value="admin_instances__ping__%s"]' % instance_id).click()
        expect(page.locator('.messages, .alert-success').first).to_contain_text(
            'The guest agent answered on instance', timeout=15000)

        # The detail page: project, host, status; diagnostics when the tab is opened.
        page.goto(stack.urls['dashboard'] + PANEL + instance_id + '/')
        expect(page.locator('.detail-title')).to_contain_text(name)
        expect(page.locator('.instance-project')).to_contain_text('demo')
        expect(page.locator('.instance-host')).not_to_have_text('-')
        expect(page.locator('.instance-status')).to_have_text('ACTIVE')
        page.click('a[data-target="#admin_instance_details__diagnostics"]')
        expect(page.locator('.hwinfo-cpus')).to_have_text('1', timeout=15000)
        screenshot(page, 'admin-instance-detail-1280')

        # Deleted by its owner, it is still found among the deleted instances.
        demo.call('DELETE', '/instances/%s' % instance_id)
        admin.wait_deleted(instance_id)
        deleted = True
        page.goto(stack.urls['dashboard'] + PANEL)
        page.click('#admin_instances__action_show_deleted')
        page.wait_for_url('**' + PANEL + 'deleted/')
        row = find_row(page, instance_id)   # the project filter is kept in the session
        expect(row).to_contain_text(name)
        expect(row).to_contain_text('Deleted')
        expect(row.locator('button')).to_have_count(0)   # no actions on deleted ones
        screenshot(page, 'admin-instances-deleted-1280')
        with page.expect_navigation():
            row.locator('a', has_text=name).click()
        expect(page.locator('.instance-status')).to_have_text('DELETED')
        expect(page.locator('.instance-address')).to_have_text('Released')
        assert failed == []
    finally:
        if not deleted:
            requests.delete('%s/instances/%s' % (demo.base, instance_id),
                            headers=demo.headers, timeout=30)
