"""An instance's pages in a real browser against a real stack (issue #14).

One MariaDB instance, launched through the API for the module, serves every test: its
Overview's connection command is copied with the Copy button and connects (PyMySQL, on the
host and port parsed from the clipboard's text); its row's button is Create Backup; every
form opened from it has a Cancel that closes the modal; Disable Root is offered only while
root is enabled, and a Disable of a root someone disabled meanwhile says so in words; a
backup step in its Events links to the backup; its schedule's page runs, pauses and deletes
the schedule. A second instance is backed up and deleted: its backup names it as text,
marked deleted. Everything made is deleted.
"""
import re
import time

import pymysql
import pytest
import requests
from playwright.sync_api import expect

from tests.browser.test_backups import DemoApi
from tests.browser.test_instances import SETTLE_MS, both_widths, instance_row, unique

USER, PASSWORD = 'h3reader', 'Copy-Connects-42'
ROOT_NOT_ENABLED = 'Root is not enabled on this instance: there is nothing to disable.'


class Api(DemoApi):
    """The demo project's API, with what these tests wait for."""

    def wait(self, what, read, deadline_ms=SETTLE_MS):
        """Poll the API until read() is truthy (bounded): its value."""
        deadline = time.time() + deadline_ms / 1000
        while time.time() < deadline:
            found = read()
            if found:
                return found
            time.sleep(0.5)     # polling the API, bounded by the deadline above
        raise AssertionError('%s did not happen in time' % what)

    def backup(self, instance_id, name):
        """A full backup, waited until COMPLETED and the instance ACTIVE again: its id."""
        backup_id = self.call('POST', '/backups', json={'backup': {
            'name': name, 'instance': instance_id}})['backup']['id']
        self.wait('backup %s' % name, lambda: self.call(
            'GET', '/backups/%s' % backup_id)['backup']['status'] == 'COMPLETED')
        self.wait_active(instance_id)
        return backup_id

    def root_enabled(self, instance_id):
        return self.call('GET', '/instances/%s/root' % instance_id)['rootEnabled']


@pytest.fixture(scope='module')
def api(stack):
    return Api(stack)


@pytest.fixture(scope='module')
def maria(api):
    """An ACTIVE MariaDB instance with a user of its engine: (id, name)."""
    name = unique('pages-db')
    instance_id = api.launch_mariadb(name)
    try:
        api.wait_active(instance_id)
        api.call('POST', '/instances/%s/users' % instance_id, json={'users': [
            {'name': USER, 'password': PASSWORD, 'databases': []}]})
        yield instance_id, name
    finally:
        api.delete_backups_of(instance_id)
        requests.delete('%s/instances/%s' % (api.base, instance_id), headers=api.headers,
                        timeout=30)


def detail_url(stack, instance_id):
    return '%s/project/databases/%s/' % (stack.urls['dashboard'], instance_id)


def test_the_copied_connection_command_connects(demo, stack, maria):
    page = demo
    instance_id, _name = maria
    dashboard = stack.urls['dashboard']
    page.context.grant_permissions(['clipboard-read', 'clipboard-write'], origin=dashboard)
    page.goto(detail_url(stack, instance_id))

    copy = page.locator('.copy-connection')
    copy.click()
    expect(copy).to_have_text('Copied')
    copied = page.evaluate('navigator.clipboard.readText()')
    assert copied == page.locator('.connection-command-text').input_value()
    found = re.fullmatch(r'mysql -h (\S+) -P (\d+) -u USER -p', copied)
    assert found, copied
    expect(page.locator('.connection-user-note')).to_contain_text('Replace USER')
    both_widths(page, 'instance-connection')

    # The command's essentials, as the mysql client would use them, with a real user.
    conn = pymysql.connect(host=found.group(1), port=int(found.group(2)), user=USER,
                           password=PASSWORD, connect_timeout=10)
    try:
        with conn.cursor() as cursor:
            cursor.execute('SELECT CURRENT_USER()')
            assert cursor.fetchone()[0].startswith(USER + '@')
    finally:
        conn.close()

    # The volume usage's percentage is beside its bar, never inside the fill.
    percent = page.locator('.volume-usage-percent')
    expect(percent).to_have_text(re.compile(r'^\d+%$'), timeout=SETTLE_MS)
    assert page.locator('.volume-usage .progress-bar').inner_text() == ''


def open_and_cancel(page, opener, expected_header):
    """Open a modal form, see its Cancel, and close the modal with it."""
    opener()
    modal = page.locator('.modal', has=page.locator('form'))
    expect(modal.locator('.modal-title')).to_have_text(expected_header)
    cancel = modal.locator('a.cancel')
    expect(cancel).to_have_text('Cancel')
    cancel.click()
    expect(page.locator('.modal.in')).to_have_count(0)


def test_row_button_is_create_backup_and_every_form_cancels(demo, stack, maria):
    page = demo
    instance_id, name = maria
    page.goto(stack.urls['dashboard'] + '/project/databases/')
    row = instance_row(page, name)
    button = row.locator('.btn-group > :first-child')
    expect(button).to_have_text('Create Backup')
    open_and_cancel(page, button.click, 'Create Backup')

    for action, header in (('resize_volume', 'Resize Volume'),
                           ('resize_flavor', 'Resize Instance'),
                           ('rename', 'Rename Instance'),
                           ('enable_root', 'Enable Root')):
        def opener(action=action):
            row.locator('.dropdown-toggle').click()
            row.locator('a[id$="__action_%s"]' % action).click()
        open_and_cancel(page, opener, header)

    # Enable Root: its explanation fills the dialog (no empty column beside it).
    row.locator('.dropdown-toggle').click()
    row.locator('a[id$="__action_enable_root"]').click()
    body = page.locator('.modal .modal-body')
    expect(body).to_contain_text('The root user gets a new generated password')
    expect(body.locator('.col-sm-6')).to_have_count(0)
    both_widths(page, 'enable-root-dialog')
    page.locator('.modal a.cancel').click()
    expect(page.locator('.modal.in')).to_have_count(0)

    page.goto(detail_url(stack, instance_id))
    for tab, action, header in (('databases', 'create_database', 'Create Database'),
                                ('users', 'create_user', 'Create User'),
                                ('schedules', 'create_schedule', 'Create Backup Schedule')):
        page.click('a[data-target="#instance_details__%s"]' % tab)
        open_and_cancel(page, lambda action=action: page.click('a[id$="__action_%s"]' % action),
                        header)


def header_action(page, name):
    return page.locator('.detail-actions [id$="__action_%s"]' % name)


def disable_root_from_the_page(page):
    page.locator('.detail-actions .dropdown-toggle').click()
    header_action(page, 'disable_root').click()
    page.locator('.modal .btn-danger').click()
    page.wait_for_load_state('networkidle')


def test_disable_root_only_when_enabled_and_never_a_false_success(demo, stack, api, maria):
    page = demo
    instance_id, _name = maria
    url = detail_url(stack, instance_id)
    assert api.root_enabled(instance_id) is False
    page.goto(url)
    expect(page.locator('.instance-root')).to_have_text('Not enabled')
    expect(header_action(page, 'disable_root')).to_have_count(0)

    # Enabled: offered. Disabled behind the page's back: the click says so, not "Disabled".
    api.call('POST', '/instances/%s/root' % instance_id)
    page.goto(url)
    expect(page.locator('.instance-root')).to_have_text('Enabled')
    expect(header_action(page, 'disable_root')).to_have_count(1)
    requests.delete('%s/instances/%s/root' % (api.base, instance_id), headers=api.headers,
                    timeout=30).raise_for_status()
    disable_root_from_the_page(page)
    expect(page.locator('.alert-danger', has_text=ROOT_NOT_ENABLED)).to_be_visible()
    expect(page.locator('.alert-success', has_text='Disabled Root')).to_have_count(0)
    expect(page.locator('.alert-danger', has_text='Unable to')).to_have_count(0)

    # Enabled again: the page's Disable Root disables it.
    api.call('POST', '/instances/%s/root' % instance_id)
    page.goto(url)
    disable_root_from_the_page(page)
    expect(page.locator('.alert-success', has_text='Disabled Root')).to_be_visible()
    assert api.root_enabled(instance_id) is False


def test_backup_step_links_to_its_backup(demo, stack, api, maria):
    page = demo
    instance_id, _name = maria
    backup_name = unique('linked')
    backup_id = api.backup(instance_id, backup_name)

    page.goto(detail_url(stack, instance_id))
    page.click('a[data-target="#instance_details__events"]')
    link = page.locator('#events a', has_text='"%s"' % backup_name)
    expect(link).to_have_text('backup "%s"' % backup_name)
    link.click()
    expect(page).to_have_url(re.compile('/project/database_backups/%s/$' % backup_id))
    expect(page.locator('.detail-title')).to_contain_text(backup_name)


def test_schedule_page_runs_pauses_and_deletes_its_schedule(demo, stack, api, maria):
    page = demo
    instance_id, name = maria
    schedule = api.call('POST', '/instances/%s/schedules' % instance_id, json={
        'schedule': {'name': 'pages-nightly', 'pattern': '0 3 * * *'}})['schedule']
    url = '%s/project/database_backups/instances/%s/schedules/%s/' % (
        stack.urls['dashboard'], instance_id, schedule['id'])
    page.goto(url)

    crumbs = page.locator('.breadcrumb')
    expect(crumbs.locator('a', has_text=name)).to_have_attribute(
        'href', re.compile('^/project/(databases/)?%s/$' % instance_id))
    expect(crumbs.locator('a', has_text='Backup Schedules')).to_be_visible()
    both_widths(page, 'schedule-detail-actions')

    # Run Now: back on this page, and the run happens (the scheduler takes it in a tick).
    header_action(page, 'run').click()
    page.wait_for_load_state('networkidle')
    expect(page).to_have_url(url)
    expect(page.locator('.alert-success', has_text='Running Schedule Now')).to_be_visible()
    expect(page.locator('#executions tbody tr', has_text='Succeeded')).to_have_count(
        1, timeout=SETTLE_MS)
    api.wait_active(instance_id)

    # Disable: paused, no Run Now; Enable is offered instead.
    page.locator('.detail-actions .dropdown-toggle').click()
    header_action(page, 'disable').click()
    page.wait_for_load_state('networkidle')
    expect(page).to_have_url(url)
    expect(page.locator('.schedule-detail')).to_contain_text('Paused')
    expect(header_action(page, 'run')).to_have_count(0)
    expect(header_action(page, 'enable')).to_have_count(1)

    # Delete: the list, without it.
    page.locator('.detail-actions .dropdown-toggle').click()
    header_action(page, 'delete').click()
    page.locator('.modal .btn-danger').click()
    page.wait_for_load_state('networkidle')
    expect(page).to_have_url(re.compile('/instances/%s/schedules/$' % instance_id))
    expect(page.locator('#schedules tbody tr', has_text='pages-nightly')).to_have_count(0)


def test_a_deleted_instances_backup_names_it_as_text(demo, stack, api):
    page = demo
    name = unique('gone-db')
    instance_id = api.launch_mariadb(name)
    backup_id = None
    try:
        api.wait_active(instance_id)
        backup_id = api.backup(instance_id, unique('orphan'))
        api.call('DELETE', '/instances/%s' % instance_id)
        api.wait('instance %s deleted' % name,
                 lambda: instance_id not in api.instance_ids())

        page.goto(stack.urls['dashboard'] + '/project/database_backups/')
        row = page.locator('#backups tbody tr[data-object-id="%s"]' % backup_id)
        cell = row.locator('td').nth(2)
        expect(cell).to_have_text('%s (deleted)' % name)
        expect(cell.locator('a')).to_have_count(0)
        both_widths(page, 'backups-deleted-instance')

        page.goto('%s/project/database_backups/%s/' % (stack.urls['dashboard'], backup_id))
        expect(page.locator('.backup-instance')).to_have_text('%s (deleted)' % name)
        expect(page.locator('.backup-instance a')).to_have_count(0)
    finally:
        if backup_id:
            requests.delete('%s/backups/%s' % (api.base, backup_id), headers=api.headers,
                            timeout=30)
        requests.delete('%s/instances/%s' % (api.base, instance_id), headers=api.headers,
                        timeout=30)
