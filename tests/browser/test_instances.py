"""The Instances panel in a real browser against a real stack.

The demo user launches a MariaDB instance through the workflow and watches it turn
ACTIVE without reloading, adds a database and a user, sees a launch that cannot be
placed show its fault and failed step, and deletes both. Screenshots of each page,
at 1280 and 800 px, go to tests/artifacts/.
"""
import os
import subprocess
import uuid

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.conftest import BIN

SETTLE_MS = 60000   # building or failing takes seconds; never wait for ever


def unique(name):
    """A name no earlier run left behind."""
    return '%s-%s' % (name, uuid.uuid4().hex[:6])


def both_widths(page, name):
    """Screenshots at 1280 and 800 px; the page must not scroll sideways at 800."""
    screenshot(page, name + '-1280')
    page.set_viewport_size({'width': 800, 'height': 900})
    page.wait_for_timeout(300)
    screenshot(page, name + '-800')
    width = page.evaluate('document.documentElement.scrollWidth')
    page.set_viewport_size({'width': 1280, 'height': 900})
    assert width <= 800, '%s is %d px wide at 800 px' % (name, width)


def unlabelled_fields(page, scope):
    """Visible form controls in `scope` that no label names."""
    return page.evaluate('''(scope) => {
        const root = document.querySelector(scope);
        return [...root.querySelectorAll('input, select, textarea')]
          .filter(el => !['hidden', 'submit', 'button', 'reset'].includes(el.type))
          .filter(el => el.offsetParent !== null)
          .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
          .map(el => el.name || el.id);
    }''', scope)


def open_launch(page):
    page.click('#instances__action_launch')
    page.wait_for_selector('.modal #launch_instance__details')


def submit_launch(page):
    page.click('.modal input[type=submit]')


def launch_tiny_mariadb_to_advanced(page, dashboard, name):
    """Open Launch from the Instances page, fill `name`, choose MariaDB 10.11 (after Redis,
    so the version's choices are fetched again) and db.tiny, and go to the Advanced step."""
    page.goto(dashboard + '/project/databases/')
    open_launch(page)
    page.fill('.modal input[name=name]', name)
    with page.expect_response(lambda r: 'launch/choices' in r.url and r.ok):
        page.select_option('.modal select[name=datastore_version]', label='redis 7.0')
    with page.expect_response(lambda r: 'launch/choices' in r.url and r.ok):
        page.select_option('.modal select[name=datastore_version]', label='mariadb 10.11')
    page.select_option('.modal select[name=flavor]', label='db.tiny (1 VCPU, 256 MB RAM)')
    page.click('.modal a[href="#launch_instance__advanced"]')


def launch_until_active(page, name):
    """Submit the Launch dialog and wait until the instance's row says Active; its row."""
    with page.expect_response(lambda r: r.url.endswith('/project/databases/launch') and
                              r.request.method == 'POST', timeout=SETTLE_MS) as launched:
        page.click('.modal input[type=submit]')
    assert launched.value.status < 400, launched.value.status
    page.wait_for_load_state('networkidle')
    row = instance_row(page, name)
    expect(row).to_contain_text('Active', timeout=SETTLE_MS)
    return row


def instance_row(page, name):
    return page.locator('#instances tbody tr[data-display="%s"]' % name)


def delete_instance(page, name):
    row = instance_row(page, name)
    row.locator('.dropdown-toggle').click()
    row.locator('button[id$="__action_delete"]').click()
    page.locator('.modal .btn-danger').click()
    page.wait_for_load_state('networkidle')
    expect(instance_row(page, name)).to_have_count(0, timeout=SETTLE_MS)


def test_launch_watch_active_add_database_and_user_delete(demo):
    page = demo
    page.goto(page.url.rstrip('/') + '/databases/')
    expect(page.locator('h1')).to_have_text('Instances')
    open_launch(page)
    assert unlabelled_fields(page, '.modal') == []
    both_widths(page, 'launch-details')
    # Networks come from the API (GET /networks), the default one chosen.
    page.click('.modal a[href="#launch_instance__networking"]')
    expect(page.locator('.modal select[name=network] option:checked')).to_contain_text(
        'default (127.')
    screenshot(page, 'launch-networking-1280')
    page.click('.modal a[href="#launch_instance__details"]')
    # The version decides what is offered: Redis has no databases or users to create.
    databases = page.locator('.modal input[name=databases]')
    with page.expect_response(lambda r: 'launch/choices' in r.url and r.ok):
        page.select_option('.modal select[name=datastore_version]', label='redis 7.0')
    expect(databases).to_be_disabled()
    with page.expect_response(lambda r: 'launch/choices' in r.url and r.ok):
        page.select_option('.modal select[name=datastore_version]', label='mariadb 10.11')
    expect(databases).to_be_enabled()
    name = unique('shop-db')
    page.fill('.modal input[name=name]', name)
    page.select_option('.modal select[name=datastore_version]', label='mariadb 10.11')
    page.select_option('.modal select[name=flavor]', label='db.tiny (1 VCPU, 256 MB RAM)')
    page.click('.modal a[href="#launch_instance__advanced"]')
    screenshot(page, 'launch-advanced-1280')
    page.evaluate('window.__sameDocument = true')
    submit_launch(page)
    page.wait_for_load_state('networkidle')

    row = instance_row(page, name)
    expect(row).to_contain_text('Building', timeout=10000)
    page.evaluate('window.__sameDocument = true')
    expect(row).to_contain_text('Active', timeout=SETTLE_MS)
    assert page.evaluate('window.__sameDocument') is True   # the row refreshed itself
    expect(row).to_contain_text('mariadb 10.11')
    both_widths(page, 'instances')

    row.locator('a', has_text=name).click()
    expect(page.locator('.detail-title')).to_contain_text(name)
    expect(page.locator('.instance-status')).to_have_text('ACTIVE')
    both_widths(page, 'instance-overview')

    page.click('a[data-target="#instance_details__databases"]')
    page.click('#databases__action_create_database')
    page.wait_for_selector('.modal form')
    assert unlabelled_fields(page, '.modal') == []
    page.fill('.modal input[name=name]', 'orders')
    page.click('.modal input[type=submit]')
    expect(page.locator('#databases')).to_contain_text('orders', timeout=15000)
    both_widths(page, 'instance-databases')

    page.click('a[data-target="#instance_details__users"]')
    page.click('#users__action_create_user')
    page.wait_for_selector('.modal form')
    assert unlabelled_fields(page, '.modal') == []
    page.fill('.modal input[name=name]', 'app')
    page.fill('.modal input[name=password]', 'Shop-secret-1')
    page.fill('.modal input[name=databases]', 'orders')
    page.click('.modal input[type=submit]')
    users = page.locator('#users')
    expect(users).to_contain_text('app', timeout=15000)
    expect(users).to_contain_text('orders')
    both_widths(page, 'instance-users')

    page.click('a[data-target="#instance_details__events"]')
    expect(page.locator('#events')).to_contain_text('prepare')
    both_widths(page, 'instance-events')

    page.goto(page.url.split('/project/')[0] + '/project/databases/')
    delete_instance(page, name)


def test_api_refusal_shows_on_its_field(demo):
    # A refusal only the API knows to make (the dialog itself refuses a volume out of range
    # or over quota before sending: tests/browser/test_launch_dialog.py).
    page = demo
    page.goto(page.url.split('/project/')[0] + '/project/databases/')
    open_launch(page)
    page.fill('.modal input[name=name]', 'too-closed')
    page.click('.modal a[href="#launch_instance__access"]')
    page.fill('.modal input[name=allowed_cidrs]', '10.0.0.0/8')
    submit_launch(page)
    error = page.locator('.modal .has-error', has=page.locator('input[name=allowed_cidrs]'))
    expect(error).to_contain_text('admit no source a private instance accepts',
                                  timeout=15000)
    expect(page.locator('.modal input[name=name]')).to_have_value('too-closed')
    screenshot(page, 'launch-refused-1280')
    assert 'Unable to launch' not in page.content()


def test_unplaceable_launch_shows_fault_and_failed_step(demo, stack):
    created = subprocess.run(
        [os.path.join(BIN, 'dbaas-manage'), '--config-file',
         os.path.join(stack.root, 'etc', 'dbaas.conf'), 'flavor', 'create', '90', 'db.huge',
         '--ram', '12000', '--vcpus', '1'], env=stack.env, capture_output=True, text=True)
    assert created.returncode == 0 or 'exists' in created.stderr, created.stderr
    page = demo
    page.goto(stack.urls['dashboard'] + '/project/databases/')   # the flavor is new
    open_launch(page)
    name = unique('too-large')
    page.fill('.modal input[name=name]', name)
    page.select_option('.modal select[name=availability_zone]', 'zone-b')
    page.select_option('.modal select[name=flavor]', label='db.huge (1 VCPU, 12000 MB RAM)')
    submit_launch(page)
    page.wait_for_load_state('networkidle')

    row = instance_row(page, name)
    expect(row).to_contain_text('Error', timeout=SETTLE_MS)
    row.locator('a', has_text=name).click()
    fault = page.locator('.instance-fault')
    expect(fault).to_be_visible()
    expect(fault.locator('.fault-message')).not_to_be_empty()
    expect(fault.locator('.fault-date')).to_contain_text('Recorded')
    expect(fault).not_to_contain_text('Details (administrators only)')
    both_widths(page, 'fault-overview')

    page.click('a[data-target="#instance_details__events"]')
    failed = page.locator('#events tr.event-failed')
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text('placement')
    expect(failed).to_contain_text('Failed')
    both_widths(page, 'fault-events')

    page.goto(page.url.split('/project/')[0] + '/project/databases/')
    delete_instance(page, name)
