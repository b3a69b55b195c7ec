"""Configuration groups in a real browser against a real stack.

The demo user creates a MariaDB configuration group on its panel and sets a value that
applies live, launches an instance with the group attached through the Launch Instance
workflow, and reads the engine's running value on the instance's Configuration tab.
Then a value that needs a restart is added to the group: the instance shows Restart
Required, the group cannot be deleted while attached (the API's words are shown), the
instance is restarted from its row and turns Active with the value running. Everything
made is deleted. Screenshots at 1280 and 800 px go to tests/artifacts/.
"""
import binascii

from playwright.sync_api import expect

from tests.browser.test_backups import DemoApi
from tests.browser.conftest import screenshot
from tests.browser.test_instances import both_widths, instance_row, SETTLE_MS, unique
from tests.browser.test_instances import launch_tiny_mariadb_to_advanced, launch_until_active

LIVE = ('wait_timeout', '600')                  # dynamic in MariaDB 10.11
RESTART = ('innodb_log_buffer_size', '8388608')   # read only at start: 8 MB


def group_row(page, name):
    return page.locator('#configurations tbody tr[data-display="%s"]' % name)


def add_value(page, scope, name, value):
    """Choose the parameter in Add Parameter and fill its own (typed) input."""
    page.select_option('%s select[name=add_parameter]' % scope, label=name)
    field = page.locator('%s input[name=add_%s]' % (scope, binascii.hexlify(
        name.encode()).decode()))
    expect(field).to_be_visible()
    assert field.get_attribute('type') == 'number'
    field.fill(value)


def fits_a_phone(page, name):
    """A screenshot at 390 px; the page must not scroll sideways there."""
    page.set_viewport_size({'width': 390, 'height': 844})
    page.wait_for_timeout(300)
    screenshot(page, name + '-390')
    width = page.evaluate('document.documentElement.scrollWidth')
    page.set_viewport_size({'width': 1280, 'height': 900})
    assert width <= 390, '%s is %d px wide at 390 px' % (name, width)


def running_value(page, name):
    return page.locator('#instance_configuration tbody tr[data-display="%s"]' % name)


def test_group_launch_restart_required_and_restart(demo, stack):
    page = demo
    api = DemoApi(stack)
    dashboard = stack.urls['dashboard']
    group = unique('shop-tuning')
    instance = unique('tuned-db')
    before = api.instance_ids()
    try:
        # Create the group on its panel; its values come next, on their own page.
        page.goto(dashboard + '/project/database_configurations/')
        expect(page.locator('h1')).to_have_text('Configuration Groups')
        page.click('#configurations__action_create')
        page.wait_for_selector('.modal form')
        page.fill('.modal input[name=name]', group)
        page.fill('.modal textarea[name=description]', 'for the shop')
        page.select_option('.modal select[name=datastore_version]', label='mariadb 10.11')
        expect(page.locator('.modal a.cancel')).to_be_visible()
        both_widths(page, 'configuration-create')
        page.click('.modal input[type=submit]')
        expect(page.locator('select[name=add_parameter]')).to_be_visible(timeout=15000)
        # The values page names the group, once.
        expect(page.locator('h1')).to_have_text('Edit Values of "%s"' % group)
        expect(page.locator('#content_body .modal-title')).to_have_count(0)
        add_value(page, '#content_body form', *LIVE)
        both_widths(page, 'configuration-values-edit')
        page.click('#content_body input[type=submit]')
        values = page.locator('#values')
        expect(values).to_contain_text(LIVE[0], timeout=15000)
        expect(values).to_contain_text('Applies live')
        both_widths(page, 'configuration-values')
        fits_a_phone(page, 'configuration-values')

        # Launch an instance with the group attached.
        launch_tiny_mariadb_to_advanced(page, dashboard, instance)
        page.select_option('.modal select[name=configuration]', label=group)
        both_widths(page, 'launch-with-configuration')
        row = launch_until_active(page, instance)

        # Its Configuration tab: the engine runs the group's value.
        row.locator('a', has_text=instance).click()
        expect(page.locator('.instance-configuration')).to_contain_text(group)
        page.click('a[data-target="#instance_details__configuration"]')
        expect(running_value(page, LIVE[0])).to_contain_text(LIVE[1], timeout=15000)
        expect(running_value(page, LIVE[0])).to_contain_text('Configuration group')
        expect(running_value(page, LIVE[0])).not_to_contain_text('Not in effect')
        both_widths(page, 'instance-configuration')
        fits_a_phone(page, 'instance-configuration')
        instance_url = page.url.split('?')[0]

        # A value read only at start: the instance waits for a restart.
        page.goto(dashboard + '/project/database_configurations/')
        group_row(page, group).locator('a', has_text=group).click()
        page.click('#values__action_edit_values')
        page.wait_for_selector('.modal form')
        add_value(page, '.modal', *RESTART)
        both_widths(page, 'configuration-values-add')
        page.click('.modal input[type=submit]')
        expect(page.locator('#values')).to_contain_text(RESTART[0], timeout=30000)
        expect(page.locator('#values tr[data-display="%s"]' % RESTART[0])).to_contain_text(
            'Restart required')

        page.goto(dashboard + '/project/databases/')
        row = instance_row(page, instance)
        expect(row).to_contain_text('Restart Required', timeout=15000)
        expect(row.locator('td.restart-required')).to_have_count(1)
        both_widths(page, 'instances-restart-required')

        # Deleting the attached group is refused in the API's words.
        page.goto(dashboard + '/project/database_configurations/')
        group_row(page, group).locator('.dropdown-toggle').click()     # after Edit Group
        group_row(page, group).locator('button[id$="__action_delete"]').click()
        page.locator('.modal .btn-danger').click()
        refusal = page.locator('.alert-danger', has_text='attached')
        expect(refusal).to_be_visible(timeout=15000)
        expect(refusal).to_contain_text(group)
        expect(page.locator('.alert-danger', has_text='Unable to')).to_have_count(0)
        expect(group_row(page, group)).to_have_count(1)
        both_widths(page, 'configuration-delete-refused')

        # Restart from the row: Restarting, then Active, without a reload.
        page.goto(dashboard + '/project/databases/')
        row = instance_row(page, instance)
        row.locator('.dropdown-toggle').click()
        row.locator('button[id$="__action_restart"]').click()
        page.locator('.modal .btn-danger').click()
        page.wait_for_load_state('networkidle')
        page.evaluate('window.__sameDocument = true')
        expect(instance_row(page, instance)).to_contain_text('Active', timeout=SETTLE_MS)
        assert page.evaluate('window.__sameDocument') is True

        page.goto(instance_url + '?tab=instance_details__configuration')
        expect(running_value(page, RESTART[0])).to_contain_text(RESTART[1], timeout=15000)
        expect(page.locator('#instance_configuration tr.warning')).to_have_count(0)
        both_widths(page, 'instance-configuration-restarted')
    finally:
        api.clean_up(before, 'configurations', group)
