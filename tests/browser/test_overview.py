"""The Databases Overview and cron patterns in words, in a real browser against a real stack.

One MariaDB instance of the demo project (launched through the API) with a schedule serves
the module. Create Schedule names what is wrong with a pattern's fields before anything is
sent. The demo user lands on the Overview; its quota pies and counts are what the API says
(GET /limits, GET /overview, read after the page renders; other modules' instances may still
be going away, so the page is reloaded until both agree, within a deadline); an
administrator's status reset gives the instance a fault whose row links to the instance's
page; the schedule, due in half an hour (sooner than any nightly one, too late to run during
the module), is listed as a next backup.
Everything made is deleted. Screenshots at 1280 and 800 px go to tests/artifacts/.
"""
import datetime
import time

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.browser.test_backups import DemoApi
from tests.browser.test_instances import both_widths, unique


@pytest.fixture(scope='module')
def made(stack):
    """(the API as demo, the instance's id and name, the schedule's name); deleted after."""
    api = DemoApi(stack)
    before = api.instance_ids()
    name = unique('overview-db')
    instance_id = api.launch_mariadb(name)
    try:
        api.wait_active(instance_id)
        schedule = unique('soon')
        api.call('POST', '/instances/%s/schedules' % instance_id,
                 json={'schedule': {'name': schedule, 'pattern': _daily_in(minutes=30)}})
        yield api, instance_id, name, schedule
    finally:
        api.clean_up(before, 'instances', name)


def _daily_in(minutes):
    """A daily pattern whose next run is `minutes` from now (the scheduler's clock is UTC)."""
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=minutes)
    return '%d %d * * *' % (when.minute, when.hour)


def test_create_schedule_names_the_wrong_field(demo, stack, made):
    page = demo
    _api, instance_id, _name, _schedule = made
    page.goto('%s/project/databases/%s/' % (stack.urls['dashboard'], instance_id))
    page.click('a[data-target="#instance_details__schedules"]')
    page.click('#schedules__action_create_schedule')
    page.wait_for_selector('.modal form')
    page.fill('.modal input[name=name]', 'bad')
    field = page.locator('.modal .has-error', has=page.locator('input[name=pattern]'))
    for pattern, words in (
            ('* * *', 'The schedule needs 5 fields (minute hour day month weekday); it has 3.'),
            ('61 * * * *', 'Minute must be 0–59; it is 61.'),
            ('0 3 * * fry', "Weekday must be 0–7 (0 and 7 are Sunday) or sun–sat; it is 'fry'.")):
        page.fill('.modal input[name=pattern]', pattern)
        page.click('.modal input[type=submit]')
        expect(field).to_contain_text(words, timeout=15000)
    both_widths(page, 'schedule-pattern-in-words')


def _reset_to_error(stack, instance_id):
    """An administrator's status reset: the instance is ERROR with a fault saying so."""
    token, project_id = stack.token('admin')
    resp = requests.post('%s/instances/%s/action' % (stack.api(project_id), instance_id),
                         json={'reset_status': {}}, headers={'X-Auth-Token': token},
                         timeout=30)
    assert resp.status_code == 202, resp.text


def _read_api(api):
    limits = next(x for x in api.call('GET', '/limits')['limits'] if x['verb'] == 'ABSOLUTE')
    return limits, api.call('GET', '/overview')['overview']


def _differences(page, limits, overview):
    """Where the rendered Overview differs from the API's numbers (empty when it agrees)."""
    found = []
    charts = page.locator('.limit-summary .d3_quota_bar')
    for title, resource, unit in (('Instances', 'instances', ''), ('Backups', 'backups', ''),
                                  ('Volume Storage', 'volumes', 'GB')):
        chart = charts.filter(has=page.locator('.quota_title', has_text=title))
        used, limit = limits['in_use_' + resource], limits['max_' + resource]
        expected = 'Used %d%s of %d%s' % (used, unit, limit, unit) if limit >= 0 else \
            'Used %d%s (No Limit)' % (used, unit)
        shown = chart.locator('.quota_subtitle').inner_text().strip()
        if shown != expected:
            found.append('%s: page %r, API %r' % (title, shown, expected))
        if limit > 0:
            percent = str(min(100, round(100.0 * used / limit)))
            drawn = chart.locator('.pie-chart-usage').get_attribute('data-used')
            if drawn != percent:
                found.append('%s pie: page %s%%, API %s%%' % (title, drawn, percent))
    for table, key, api_rows in (
            ('#overview-by-status', 'status', overview['instances']['by_status']),
            ('#overview-by-datastore', 'datastore', overview['instances']['by_datastore'])):
        counts = {row.get_attribute('data-key'): int(row.locator('.count').inner_text())
                  for row in page.locator('%s tr[data-key]' % table).all()}
        expected = {r[key]: r['count'] for r in api_rows}
        if counts != expected:
            found.append('%s: page %s, API %s' % (table, counts, expected))
    backups = page.locator('.overview-backups-text').inner_text()
    if '%d backup' % overview['backups']['count'] not in backups:
        found.append('backups: page %r, API %d' % (backups, overview['backups']['count']))
    return found


def _agreed_numbers(page, api, within=60):
    """The API's (limits, overview) once the rendered page shows the same numbers: other
    modules' instances may still be going away, so the page is reloaded and the API re-read
    until they agree, or the test fails naming what differs."""
    deadline = time.monotonic() + within
    while True:
        expect(page.locator('.limit-summary .d3_quota_bar')).to_have_count(4)
        limits, overview = _read_api(api)
        differences = _differences(page, limits, overview)
        if not differences:
            return limits, overview
        assert time.monotonic() < deadline, differences
        page.reload()


def test_the_landing_page_is_the_overview_with_the_apis_numbers(page, stack, made):
    api, instance_id, name, schedule = made
    _reset_to_error(stack, instance_id)
    failed = []
    page.on('response', lambda r: failed.append(r.url) if r.status >= 400 else None)

    login(page, stack, 'demo')
    assert page.url.rstrip('/').endswith('/project')
    expect(page.locator('h1')).to_have_text('Overview')

    # Horizon drew its pies (d3): one per quota, and the distributions.
    expect(page.locator('.limit-summary .d3_quota_bar')).to_have_count(4)
    expect(page.locator('.limit-summary .pie-chart-usage svg')).to_have_count(4)
    expect(page.locator('#overview-by-status .pie-chart-distribution svg')).to_have_count(1)
    _limits, overview = _agreed_numbers(page, api)
    statuses = {s['status']: s['count'] for s in overview['instances']['by_status']}
    assert statuses.get('ERROR', 0) >= 1
    # The module's schedule is due in half an hour: among the next backups, on the page too.
    assert schedule in [n['schedule_name'] for n in overview['next_backups']], \
        overview['next_backups']
    expect(page.locator('#overview-next-backups')).to_contain_text(schedule)
    both_widths(page, 'databases-overview')

    # The fault's row links to the instance's page.
    fault = page.locator('#overview-recent-faults tr', has_text=name)
    expect(fault).to_contain_text('Status reset by an administrator.')
    expect(fault).to_contain_text('Error')
    fault.locator('a', has_text=name).click()
    page.wait_for_url('**/project/databases/%s/' % instance_id)
    expect(page.locator('.detail-title, h1').first).to_contain_text(name)
    assert failed == []
