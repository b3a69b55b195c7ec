"""The Admin dashboard's Quotas panel and the Launch button's reason, in a real browser.

The admin opens the Quotas panel and sees the demo project's bars, lowers its instance
quota to what it uses now in Edit Quotas, and the demo user's Launch Instance button is
disabled with the reason; with the quota restored the button is enabled again. The stack
is shared by the whole run: the demo project's limit is put back whatever happens.
"""
import re
import time

import requests
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot

PANEL = '/admin/database_quotas/'
INSTANCES = '/project/databases/'  # the Instances panel (Overview is the landing page)


class AdminApi:
    """The admin's API, to read and restore the demo project's quota."""

    def __init__(self, stack):
        token, project_id = stack.token('admin')
        self.base = stack.api(project_id)
        self.headers = {'X-Auth-Token': token}

    def call(self, method, path, **kwargs):
        resp = requests.request(method, self.base + path, headers=self.headers, timeout=30,
                                **kwargs)
        assert resp.status_code < 400, '%s %s: %s' % (method, path, resp.text)
        return resp.json()

    def instances_quota(self, project_id):
        """(limit, in use) of the project's instances."""
        quotas = self.call('GET', '/mgmt/quotas/%s' % project_id)['quotas']
        found = next(q for q in quotas if q['resource'] == 'instances')
        return found['limit'], found['in_use']

    def settle(self, project_id, deadline_s=180):
        """Wait until none of the project's instances is being built or deleted (an earlier
        test's clean-up may still be under way), so its usage holds still."""
        moving = {'BUILD', 'DELETING', 'REBOOT', 'RESIZE', 'BACKUP'}
        until = time.monotonic() + deadline_s
        while True:
            found = self.call('GET', '/mgmt/instances', params={'project_id': project_id,
                                                                'limit': 100})['instances']
            busy = [i['id'] for i in found if i['status'] in moving]
            if not busy:
                return
            assert time.monotonic() < until, 'instances still moving: %s' % busy
            time.sleep(1)   # polling the API, bounded by the deadline above

    def set_instances_quota(self, project_id, limit):
        self.call('PUT', '/mgmt/quotas/%s' % project_id,
                  json={'quotas': {'instances': limit}})


def no_server_errors(page):
    failed = []
    page.on('response', lambda r: failed.append('%s %s' % (r.status, r.url))
            if r.status >= 500 else None)
    return failed


def test_admin_lowers_the_demo_quota_and_the_launch_button_says_why(page, browser, stack):
    api = AdminApi(stack)
    demo_id = stack.demo_project_id
    api.settle(demo_id)
    limit, used = api.instances_quota(demo_id)
    admin_failed = no_server_errors(page)
    demo_context = browser.new_context(viewport={'width': 1280, 'height': 900})
    demo = demo_context.new_page()
    demo_failed = no_server_errors(demo)
    try:
        # The admin sees the demo project's bars.
        login(page, stack, 'admin')
        page.goto(stack.urls['dashboard'] + PANEL)
        expect(page.locator('h1')).to_have_text('Quotas')
        row = page.locator('#quotas tbody tr[data-object-id="%s"]' % demo_id)
        expect(row).to_have_count(1)
        expect(row.locator('td').first).to_contain_text('demo')
        cell = row.locator('.quota-cell[data-resource="instances"]')
        expect(cell).to_have_attribute('data-limit', str(limit))
        expect(cell).to_have_attribute('data-used', str(used))
        expect(row.locator('.quota-cell')).to_have_count(4)
        if limit >= 0:
            expect(cell.locator('.quota-bar')).to_have_count(1)
        screenshot(page, 'admin-quotas-1280')
        # At 800 px the table fits: Edit Quotas stays on the screen.
        page.set_viewport_size({'width': 800, 'height': 900})
        assert page.evaluate('document.documentElement.scrollWidth') <= 800
        expect(row.locator('a[id$="__action_edit"]')).to_be_in_viewport()
        screenshot(page, 'admin-quotas-800')
        page.set_viewport_size({'width': 1280, 'height': 900})

        # Edit Quotas: the instance limit down to what the project uses now.
        row.locator('a[id$="__action_edit"]').click()
        field = page.locator('.modal input[name=instances]')
        expect(field).to_have_value(str(limit))
        field.fill(str(used))
        screenshot(page, 'admin-quotas-edit-1280')
        page.click('.modal input[type=submit]')
        cell = page.locator('#quotas tbody tr[data-object-id="%s"] '
                            '.quota-cell[data-resource="instances"]' % demo_id)
        expect(cell).to_have_attribute('data-limit', str(used), timeout=30000)
        screenshot(page, 'admin-quotas-saved-1280')
        expect(page.locator('.alert-success')).to_contain_text(
            'Quotas of demo (%s) updated' % demo_id)
        expect(cell).to_have_class('quota-cell quota-full')
        assert api.instances_quota(demo_id) == (used, used)

        # The demo user's Launch Instance is disabled, saying why.
        login(demo, stack, 'demo')
        demo.goto(stack.urls['dashboard'] + INSTANCES)
        launch = demo.locator('#instances__action_launch')
        expect(launch).to_have_class(_with('disabled'))
        reason = 'Quota exceeded: %d of %d instance%s used' % (used, used,
                                                               '' if used == 1 else 's')
        expect(launch).to_contain_text(reason)
        expect(launch).to_have_attribute('title', 'Launch Instance (%s)' % reason)
        screenshot(demo, 'launch-quota-exceeded-1280')
    finally:
        api.set_instances_quota(demo_id, limit)
    try:
        # Restored: enabled again.
        demo.reload()
        launch = demo.locator('#instances__action_launch')
        expect(launch).to_have_text('Launch Instance')
        expect(launch).not_to_have_class(_with('disabled'))
        assert api.instances_quota(demo_id)[0] == limit
        assert admin_failed == [] and demo_failed == []
    finally:
        demo_context.close()


def _with(css_class):
    """A class attribute containing `css_class` among others."""
    return re.compile(r'(^|\s)%s(\s|$)' % re.escape(css_class))
