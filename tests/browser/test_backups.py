"""Backups and schedules in a real browser against a real stack.

The demo user has MariaDB instances (launched through the API), creates a schedule
that runs every ten seconds from the instance's page, watches its first execution's
backup complete on the schedule's page without reloading, deletes the schedule,
restores the backup through Restore Backup and the Launch Instance workflow, and
sees the new instance turn ACTIVE. Then a full backup made in the Backups panel
completes in its live row, an incremental builds on it (its chain shows both), the
full one's deletion is refused in the API's words and goes with its incrementals.
Everything made is deleted. Screenshots at 1280
and 800 px go to tests/artifacts/.
"""
import time

import requests
from playwright.sync_api import expect

from tests.browser.test_instances import both_widths, delete_instance, instance_row
from tests.browser.test_instances import SETTLE_MS, unique

EVERY_TEN_SECONDS = '* * * * * */10'


class DemoApi:
    """The demo project's API, for what the test sets up and cleans up."""

    def __init__(self, stack):
        token, project_id = stack.token('demo')
        self.base = stack.api(project_id)
        self.headers = {'X-Auth-Token': token}

    def call(self, method, path, **kwargs):
        resp = requests.request(method, self.base + path, headers=self.headers, timeout=30,
                                **kwargs)
        assert resp.status_code < 400, '%s %s: %s' % (method, path, resp.text)
        return resp.json() if resp.content else None

    def launch_mariadb(self, name):
        body = {'instance': {'name': name, 'flavorRef': '1', 'volume': {'size': 1},
                             'datastore': {'type': 'mariadb', 'version': '10.11'}}}
        return self.call('POST', '/instances', json=body)['instance']['id']

    def wait_active(self, instance_id):
        deadline = time.time() + SETTLE_MS / 1000
        while time.time() < deadline:
            status = self.call('GET', '/instances/%s' % instance_id)['instance']['status']
            if status == 'ACTIVE':
                return
            assert status != 'ERROR', 'the instance failed to build'
            time.sleep(1)
        raise AssertionError('the instance did not become ACTIVE')

    def instance_ids(self):
        return {i['id'] for i in self.call('GET', '/instances')['instances']}

    def clean_up(self, before, collection, name):
        """Delete the instances made since `before` (waiting until they are gone: what they
        use may not be deleted before), then the `collection` item (configurations, modules)
        named `name`. Never fails: a test's own assertions say what went wrong."""
        made = self.instance_ids() - before
        for instance_id in made:
            requests.delete('%s/instances/%s' % (self.base, instance_id), headers=self.headers,
                            timeout=30)
        deadline = time.time() + SETTLE_MS / 1000
        while made & self.instance_ids() and time.time() < deadline:
            time.sleep(1)   # polling the API, bounded by the deadline above
        listed = requests.get('%s/%s' % (self.base, collection), headers=self.headers,
                              timeout=30)
        for found in (listed.json().get(collection, []) if listed.ok else []):
            if found['name'] == name:
                requests.delete('%s/%s/%s' % (self.base, collection, found['id']),
                                headers=self.headers, timeout=30)

    def delete_backups_of(self, instance_id):
        for backup in self.call('GET', '/instances/%s/backups?limit=1000' % instance_id)[
                'backups']:
            requests.delete('%s/backups/%s?delete_chain=true' % (self.base, backup['id']),
                            headers=self.headers, timeout=30)


def test_schedule_backs_up_and_its_backup_restores(demo, stack):
    page = demo
    api = DemoApi(stack)
    source_name = unique('orders-db')
    source = api.launch_mariadb(source_name)
    before = api.instance_ids()
    try:
        api.wait_active(source)
        dashboard = stack.urls['dashboard']

        # From the instance's page: its Schedules tab, Create Schedule.
        page.goto('%s/project/databases/%s/' % (dashboard, source))
        page.click('a[data-target="#instance_details__schedules"]')
        page.click('#schedules__action_create_schedule')
        page.wait_for_selector('.modal form')
        page.fill('.modal input[name=name]', 'ten')
        page.fill('.modal input[name=pattern]', 'every ten seconds')
        both_widths(page, 'schedule-create')
        page.click('.modal input[type=submit]')
        # The pattern's refusal shows on the pattern field.
        refusal = page.locator('.modal .has-error', has=page.locator('input[name=pattern]'))
        expect(refusal).to_contain_text('needs 5 fields', timeout=15000)
        both_widths(page, 'schedule-pattern-refused')
        page.fill('.modal input[name=pattern]', EVERY_TEN_SECONDS)
        page.click('.modal input[type=submit]')
        schedules = page.locator('#schedules')
        expect(schedules).to_contain_text(EVERY_TEN_SECONDS, timeout=15000)
        both_widths(page, 'schedules')

        # The schedule's page follows its executions without a reload.
        schedules.locator('a', has_text='ten').click()
        expect(page.locator('h1')).to_contain_text('ten')
        page.evaluate('window.__sameDocument = true')
        completed = page.locator('#executions tbody tr', has_text='(Completed)')
        expect(completed.first).to_be_visible(timeout=SETTLE_MS)
        assert page.evaluate('window.__sameDocument') is True
        expect(completed.first).to_contain_text('Succeeded')
        both_widths(page, 'schedule-executions')
        backup_link = completed.first.locator('a').first
        backup_name = backup_link.inner_text().rsplit(' (', 1)[0]
        backup_url = backup_link.get_attribute('href')

        # The instance's page lists them too.
        page.goto('%s/project/databases/%s/' % (dashboard, source))
        page.click('a[data-target="#instance_details__backups"]')
        expect(page.locator('#instance_backups')).to_contain_text(backup_name)
        both_widths(page, 'instance-backups')
        page.click('a[data-target="#instance_details__schedules"]')
        expect(page.locator('#schedules')).to_contain_text(EVERY_TEN_SECONDS)
        both_widths(page, 'instance-schedules')

        # No more backups: delete the schedule (its backups stay).
        page.goto('%s/project/database_backups/instances/%s/schedules/' % (dashboard, source))
        row = page.locator('#schedules tbody tr', has_text='ten')
        row.locator('.dropdown-toggle').click()
        row.locator('button[id$="__action_delete"]').click()
        page.locator('.modal .btn-danger').click()
        expect(page.locator('#schedules tbody tr', has_text=EVERY_TEN_SECONDS)).to_have_count(
            0, timeout=15000)

        # The backup's page, and the Backups panel.
        page.goto(dashboard + backup_url)
        expect(page.locator('.backup-status')).to_have_text('COMPLETED')
        expect(page.locator('.backup-checksum')).to_contain_text('sha256:')
        both_widths(page, 'backup-overview')
        page.click('a[data-target="#backup_details__chain"]')
        expect(page.locator('#chain')).to_contain_text('This backup')
        both_widths(page, 'backup-chain')
        page.goto(dashboard + '/project/database_backups/')
        expect(page.locator('#backups')).to_contain_text(backup_name)
        both_widths(page, 'backups')

        # Restore: the Launch workflow opens on its Advanced step, the backup chosen.
        page.goto(dashboard + backup_url)
        page.click('.detail-actions a[id$="__action_restore"]')
        page.wait_for_selector('.modal #launch_instance__advanced')
        expect(page.locator('.modal select[name=initial_state]')).to_be_visible()
        expect(page.locator('.modal select[name=initial_state]')).to_have_value('backup')
        expect(page.locator('.modal select[name=backup] option:checked')).to_have_text(
            backup_name)
        both_widths(page, 'restore-launch-advanced')
        restored = unique('restored')
        page.click('.modal a[href="#launch_instance__details"]')
        page.fill('.modal input[name=name]', restored)
        page.click('.modal input[type=submit]')
        page.wait_for_load_state('networkidle')
        expect(instance_row(page, restored)).to_be_visible(timeout=15000)
        page.evaluate('window.__sameDocument = true')
        expect(instance_row(page, restored)).to_contain_text('Active', timeout=SETTLE_MS)
        assert page.evaluate('window.__sameDocument') is True
        both_widths(page, 'restored-instances')
        delete_instance(page, restored)
    finally:
        for made in api.instance_ids() - before:
            requests.delete('%s/instances/%s' % (api.base, made), headers=api.headers,
                            timeout=30)
        api.delete_backups_of(source)
        requests.delete('%s/instances/%s' % (api.base, source), headers=api.headers,
                        timeout=30)


def backup_row(page, name):
    return page.locator('#backups tbody tr[data-display="%s"]' % name)


def test_incremental_chain_and_its_deletion(demo, stack):
    page = demo
    api = DemoApi(stack)
    source = api.launch_mariadb(unique('chain-db'))
    try:
        api.wait_active(source)
        dashboard = stack.urls['dashboard']
        full = unique('full')
        page.goto(dashboard + '/project/database_backups/')
        page.click('#backups__action_create')
        page.wait_for_selector('.modal form')
        page.fill('.modal input[name=name]', full)
        page.select_option('.modal select[name=instance]', source)
        page.click('.modal input[type=submit]')
        # The new row refreshes itself until it is Completed.
        page.wait_for_load_state('networkidle')
        expect(backup_row(page, full)).to_be_visible(timeout=15000)
        page.evaluate('window.__sameDocument = true')
        expect(backup_row(page, full)).to_contain_text('Completed', timeout=SETTLE_MS)
        assert page.evaluate('window.__sameDocument') is True
        api.wait_active(source)

        # An incremental on it (the instance's Create Backup action opens this URL).
        incremental = unique('incr')
        page.goto(dashboard + '/project/database_backups/create?instance=' + source)
        page.fill('input[name=name]', incremental)
        page.select_option('select[name=kind]', 'incremental')
        page.select_option('select[name=parent]', label='%s (%s)' % (
            full, page.locator('select[name=instance] option:checked').inner_text()))
        both_widths(page, 'backup-create-incremental')
        page.click('input[type=submit]')
        expect(backup_row(page, incremental)).to_contain_text('Completed', timeout=SETTLE_MS)
        expect(backup_row(page, incremental)).to_contain_text('Incremental')

        backup_row(page, incremental).locator('a', has_text=incremental).click()
        page.click('a[data-target="#backup_details__chain"]')
        chain = page.locator('#chain tbody tr')
        expect(chain).to_have_count(2)
        expect(chain.nth(0)).to_contain_text(full)
        expect(chain.nth(0)).to_contain_text('Builds on')
        both_widths(page, 'backup-chain-incremental')

        # The full one cannot go alone: the API says why; with its incrementals it can.
        page.goto(dashboard + '/project/database_backups/')
        row = backup_row(page, full)
        row.locator('.dropdown-toggle').click()
        row.locator('button[id$="__action_delete"]').click()
        page.locator('.modal .btn-danger').click()
        expect(page.locator('.alert-danger').first).to_contain_text('delete_chain',
                                                                   timeout=15000)
        both_widths(page, 'backup-delete-refused')
        row = backup_row(page, full)
        row.locator('.dropdown-toggle').click()
        row.locator('button[id$="__action_delete_chain"]').click()
        page.locator('.modal .btn-danger').click()
        expect(backup_row(page, full)).to_have_count(0, timeout=15000)
        expect(backup_row(page, incremental)).to_have_count(0)
    finally:
        api.delete_backups_of(source)
        requests.delete('%s/instances/%s' % (api.base, source), headers=api.headers,
                        timeout=30)
