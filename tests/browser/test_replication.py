"""Replication in a real browser against a real stack (#17): launch a replica from the
Launch dialog, promote it, see the report.

A MariaDB source is launched through the API; the Launch dialog makes its replica (step
Advanced: Replica of an instance, the source, one replica). Once both are Active the
replica's Overview links to its source, its row offers Promote, whose confirmation says what
happens to each member; confirmed, the Replication tab shows the roles swapped and the
switchover's report with its write downtime, in the table and in the timeline. Everything
made is deleted (replicas first: a source with replicas refuses its delete).
"""
import re
import time

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_backups import DemoApi
from tests.browser.test_instances import instance_row, launch_tiny_mariadb_to_advanced
from tests.browser.test_instances import unique

# A replica is seeded from a backup of its source, then catches up; a promote fences,
# waits, promotes and repoints: each well within this, never waited for ever.
BUILD_MS = 240000


class Api(DemoApi):
    """The demo project's API, with what this test waits for."""

    def wait(self, what, read, deadline_ms=BUILD_MS):
        deadline = time.time() + deadline_ms / 1000
        while time.time() < deadline:
            found = read()
            if found:
                return found
            time.sleep(1)     # polling the API, bounded by the deadline above
        raise AssertionError('%s did not happen in time' % what)

    def instance(self, instance_id):
        return self.call('GET', '/instances/%s' % instance_id)['instance']

    def by_name(self, name):
        return next((i for i in self.call('GET', '/instances')['instances']
                     if i['name'] == name), None)

    def settled(self, instance_id):
        status = self.instance(instance_id)['status']
        assert status != 'ERROR', 'instance %s failed: %s' % (
            instance_id, self.instance(instance_id).get('fault'))
        return status == 'ACTIVE'

    def switchovers(self, instance_id):
        return self.call('GET', '/instances/%s/switchovers' % instance_id)['switchovers']

    def delete_all(self, ids):
        """Replicas first (a source with replicas refuses its delete), then the rest;
        waited until gone. Never fails: the test's own assertions say what went wrong."""
        def listed():
            return {i['id']: i for i in self.call('GET', '/instances')['instances']
                    if i['id'] in ids}
        for replicas_first in (True, False):
            for instance_id, found in listed().items():
                if bool(found.get('replica_of')) == replicas_first:
                    requests.delete('%s/instances/%s' % (self.base, instance_id),
                                    headers=self.headers, timeout=30)
        deadline = time.time() + BUILD_MS / 1000
        while listed() and time.time() < deadline:
            time.sleep(1)   # polling the API, bounded by the deadline above


@pytest.fixture
def api(stack):
    return Api(stack)


@pytest.fixture
def source(api):
    """An ACTIVE MariaDB instance to replicate: (id, name); it and every instance made
    meanwhile are deleted afterwards."""
    before = api.instance_ids()
    name = unique('repl-src')
    instance_id = api.launch_mariadb(name)
    try:
        api.wait('source ACTIVE', lambda: api.settled(instance_id))
        yield instance_id, name
    finally:
        api.delete_all(api.instance_ids() - before)


def open_row_action(page, name, action):
    row = instance_row(page, name)
    row.locator('.dropdown-toggle').click()
    row.locator('a[id$="__action_%s"]' % action).click()


def test_launch_a_replica_promote_it_and_see_the_report(demo, stack, api, source):
    page = demo
    dashboard = stack.urls['dashboard']
    source_id, source_name = source
    replica_name = unique('repl-copy')

    # Launch: step Advanced, Replica of an instance.
    launch_tiny_mariadb_to_advanced(page, dashboard, replica_name)
    page.select_option('.modal select[name=initial_state]', 'replica')
    expect(page.locator('.modal select[name=replica_of]')).to_be_visible()
    page.select_option('.modal select[name=replica_of]', label=source_name)
    page.fill('.modal input[name=replica_count]', '1')
    screenshot(page, 'replication-launch-1280')
    with page.expect_response(lambda r: r.url.endswith('/project/databases/launch') and
                              r.request.method == 'POST', timeout=BUILD_MS) as launched:
        page.click('.modal input[type=submit]')
    assert launched.value.status < 400, launched.value.status
    page.wait_for_load_state('networkidle')
    expect(page.locator('.modal.in')).to_have_count(0)
    replica = api.wait('the replica listed', lambda: api.by_name(replica_name))
    assert replica['replica_of']['id'] == source_id
    api.wait('replica ACTIVE', lambda: api.settled(replica['id']))

    # Its Overview links to its source by name.
    page.goto('%s/project/databases/%s/' % (dashboard, replica['id']))
    expect(page.locator('.instance-replica-of a')).to_have_text(source_name)

    # Promote from its row's actions; the confirmation names both members.
    page.goto(dashboard + '/project/databases/')
    expect(instance_row(page, replica_name)).to_contain_text('Active')
    open_row_action(page, replica_name, 'promote')
    modal = page.locator('.modal', has=page.locator('form'))
    expect(modal.locator('.modal-title')).to_have_text('Promote to Replica Source')
    whats = modal.locator('.replication-member')
    expect(whats).to_have_count(2)
    member = '.replication-member[data-member-id="%s"] '
    expect(modal.locator(member % replica['id'] + 'th')).to_have_text(replica_name)
    expect(modal.locator(member % replica['id'] + '.replication-what')).to_have_text(
        'Becomes the source: takes writes.')
    expect(modal.locator(member % source_id + 'th')).to_have_text(source_name)
    expect(modal.locator(member % source_id + '.replication-what')).to_have_text(
        'Stops taking writes, then becomes a replica of %s.' % replica_name)
    screenshot(page, 'replication-promote-confirm-1280')
    with page.expect_navigation(timeout=BUILD_MS):
        modal.locator('input[type=submit]').click()
    assert 'tab=instance_details__replication' in page.url, page.url

    # The set settles with the roles swapped and the report is stored.
    api.wait('promote finished', lambda: api.settled(replica['id']) and
             not api.instance(replica['id']).get('replica_of'))
    report = api.wait('the report', lambda: next(
        (r for r in api.switchovers(replica['id']) if r['status'] != 'running'), None))
    assert report['status'] == 'completed', report
    assert report['operation'] == 'promote'

    # The Replication tab: the members' roles and lag, the report and its timeline.
    page.goto('%s/project/databases/%s/?tab=instance_details__replication'
              % (dashboard, replica['id']))
    members = page.locator('#replication_members tbody tr')
    expect(members).to_have_count(2)
    expect(members.nth(0)).to_contain_text(replica_name)
    expect(members.nth(0)).to_contain_text('Source')
    expect(members.nth(1)).to_contain_text(source_name)
    expect(members.nth(1)).to_contain_text('Replica')
    expect(members.nth(1).locator('.replication-lag')).to_have_text(
        re.compile(r'^\s*(\d+\.\d\d s|Unknown)\s*$'))
    reports = page.locator('#switchovers tbody tr')
    expect(reports.first).to_contain_text('Promote')
    expect(reports.first).to_contain_text('Completed')
    expect(reports.first).to_contain_text(source_name)
    expect(reports.first).to_contain_text(replica_name)
    downtime = report['write_downtime_seconds']
    assert downtime is not None, report
    expect(reports.first.locator('.switchover-downtime')).to_have_text('%.3f s' % downtime)
    chart = page.locator('.switchover-timeline svg')
    expect(chart.locator('.switchover-span').first).to_be_visible()
    expect(chart.locator('.switchover-downtime-label').first).to_have_text(
        'writes stopped %.3f s' % downtime)
    screenshot(page, 'replication-tab-1280')
