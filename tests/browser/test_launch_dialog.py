"""The Launch Instance dialog says what a launch takes and what the version can do
(issue #14), in a real browser against a real stack.

A member of a project of its own (the demo project's quotas are what the shared stack's
other tests make them) with a tight quota opens Launch Instance: the project's usage is
shown with what this launch adds, following the flavor and the volume size; a launch
that would exceed the RAM or volume quota is refused in the dialog with the reason (and
by the dashboard if it is sent anyway). The volume size's range shows beforehand;
several bad CIDRs are named at once; Replica is a choice now that every version declares
replication (tests/dashboard cover a catalogue where none does); Redis' Initialize
Databases step says why it has nothing to fill in. No instance is created.
"""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_admin_quotas import AdminApi
from tests.functional.instance_helpers import project_member

INSTANCES = '/project/databases/'
# The project's quota: room for one db.small (512 MB) but not a db.medium (1024 MB),
# and 3 GB of volumes.
QUOTA = {'instances': 2, 'ram': 512, 'volumes': 3}
TINY, SMALL, MEDIUM = ('db.tiny (1 VCPU, 256 MB RAM)', 'db.small (1 VCPU, 512 MB RAM)',
                       'db.medium (2 VCPU, 1024 MB RAM)')


@pytest.fixture(scope='module')
def member(stack):
    """(name, password) of the only member of a new project with QUOTA."""
    with project_member(stack, 'launch') as member:
        AdminApi(stack).call('PUT', '/mgmt/quotas/%s' % member.project_id,
                             json={'quotas': QUOTA})
        yield member.name, member.password


@pytest.fixture
def dialog(page, stack, member):
    """The member's Launch Instance dialog, open on Details; no server error meanwhile."""
    failed = []
    page.on('response', lambda r: failed.append('%s %s' % (r.status, r.url))
            if r.status >= 500 else None)
    page.goto(stack.urls['dashboard'] + '/auth/login/')
    page.fill('#id_username', member[0])
    page.fill('#id_password', member[1])
    with page.expect_navigation():
        page.click('#loginBtn')
    page.goto(stack.urls['dashboard'] + INSTANCES)
    page.click('#instances__action_launch')
    page.wait_for_selector('.modal #launch_instance__details')
    yield page
    assert failed == []


def resource(page, name):
    return page.locator('.modal .launch-quota-resource[data-quota-resource="%s"]' % name)


def test_usage_follows_the_flavor_and_volume_and_a_launch_over_quota_is_refused(dialog):
    page = dialog
    launch = page.locator('.modal input[type=submit]')
    expect(page.locator('.modal .launch-quota h4')).to_have_text('Project Limits')
    expect(resource(page, 'instances').locator('.launch-quota-usage')).to_have_text(
        '0 of 2 used')
    expect(resource(page, 'ram').locator('.launch-quota-usage')).to_have_text(
        '0 of 512 MB used')
    expect(resource(page, 'volumes').locator('.launch-quota-usage')).to_have_text(
        '0 of 3 GB used')

    page.select_option('.modal select[name=flavor]', label=TINY)
    expect(resource(page, 'ram').locator('.launch-quota-adds')).to_have_text(
        'This launch adds 256 MB.')
    # The second bar (this launch) is half of the 512 MB quota.
    expect(resource(page, 'ram').locator('.progress-bar').nth(1)).to_have_attribute(
        'aria-valuenow', '50')
    expect(launch).to_be_enabled()

    page.select_option('.modal select[name=flavor]', label=MEDIUM)
    reason = 'This launch needs 1024 MB of RAM; 512 MB is left of your 512 MB quota.'
    expect(resource(page, 'ram').locator('.launch-quota-adds')).to_have_text(
        'This launch adds 1024 MB.')
    expect(page.locator('.modal .launch-quota-refusal')).to_have_text(reason)
    expect(page.locator('.modal .launch-quota-footer')).to_have_text(reason)
    expect(launch).to_be_disabled()
    screenshot(page, 'launch-quota-refused-1280')

    page.select_option('.modal select[name=flavor]', label=SMALL)   # exactly fits
    expect(launch).to_be_enabled()
    expect(page.locator('.modal .launch-quota-footer')).to_be_hidden()

    page.fill('.modal input[name=volume]', '4')
    expect(page.locator('.modal .launch-quota-footer')).to_have_text(
        'This launch needs 4 GB of volume storage; 3 GB is left of your 3 GB quota.')
    expect(launch).to_be_disabled()
    page.fill('.modal input[name=volume]', '3')
    expect(launch).to_be_enabled()
    expect(resource(page, 'volumes').locator('.launch-quota-adds')).to_have_text(
        'This launch adds 3 GB.')
    screenshot(page, 'launch-quota-1280')


def test_a_launch_over_quota_sent_anyway_is_refused_with_the_same_words(dialog):
    # As a page without launch.js would send it: the dashboard refuses it before the API.
    page = dialog
    page.fill('.modal input[name=name]', 'too-much-ram')
    page.select_option('.modal select[name=flavor]', label=MEDIUM)
    page.evaluate("document.querySelector('.modal input[type=submit]').disabled = false")
    page.click('.modal input[type=submit]')
    error = page.locator('.modal .has-error', has=page.locator('select[name=flavor]'))
    expect(error).to_contain_text(
        'This launch needs 1024 MB of RAM; 512 MB is left of your 512 MB quota.')
    expect(page.locator('.modal input[name=name]')).to_have_value('too-much-ram')


def test_the_volume_range_shows_beforehand_and_a_size_out_of_it_is_refused_in_words(dialog):
    page = dialog
    volume = page.locator('.modal input[name=volume]')
    expect(page.locator('.modal label[for=id_volume]')).to_contain_text(
        'Volume Size (1\u2013100 GB)')
    expect(volume).to_have_attribute('max', '100')
    expect(volume).to_have_attribute('min', '1')
    # The whole volume type description, under its select.
    chosen = page.locator('.modal select[name=volume_type] option:checked')
    expect(page.locator('.modal [data-launch-note="volume-type-description"]')).to_have_text(
        chosen.get_attribute('title'))
    page.fill('.modal input[name=name]', 'too-big')
    page.fill('.modal input[name=volume]', '500')
    # Sent despite the browser's own range check and the quota, as a script would.
    page.evaluate("""() => {
        document.activeElement.blur();   // its change event redraws (and disables) first
        document.querySelector('.modal form').noValidate = true;
        document.querySelector('.modal input[type=submit]').disabled = false; }""")
    page.click('.modal input[type=submit]')
    error = page.locator('.modal .has-error', has=page.locator('input[name=volume]'))
    expect(error).to_contain_text('Volume size must be between 1 and 100 GB.')
    expect(error).not_to_contain_text('volume.size')


def test_every_bad_cidr_is_named(dialog):
    page = dialog
    page.fill('.modal input[name=name]', 'bad-cidrs')
    page.click('.modal a[href="#launch_instance__access"]')
    page.click('.modal label[for=id_is_public]')   # Horizon's themed checkbox
    page.fill('.modal input[name=allowed_cidrs]', '10.0.0.0/24, 10.0.0/8, abc')
    page.click('.modal input[type=submit]')
    error = page.locator('.modal .has-error', has=page.locator('input[name=allowed_cidrs]'))
    expect(error).to_contain_text('Not valid CIDRs: 10.0.0/8, abc.')
    screenshot(page, 'launch-cidrs-1280')


def test_what_the_version_cannot_do_is_hidden_or_explained(dialog):
    page = dialog
    page.click('.modal a[href="#launch_instance__advanced"]')
    states = page.locator('.modal select[name=initial_state] option')
    expect(states).to_have_text(['Empty', 'Restore from a backup', 'Replica of an instance'])
    screenshot(page, 'launch-advanced-1280')

    page.click('.modal a[href="#launch_instance__details"]')
    with page.expect_response(lambda r: 'launch/choices' in r.url and r.ok):
        page.select_option('.modal select[name=datastore_version]', label='redis 7.0')
    page.click('.modal a[href="#launch_instance__initialize"]')
    expect(page.locator('.modal [data-launch-note="no-databases"]')).to_have_text(
        'redis instances have no databases or users to create, so this step has nothing '
        'to fill in.')
    expect(page.locator('.modal input[name=databases]')).to_be_hidden()
    screenshot(page, 'launch-initialize-redis-1280')
    page.click('.modal a[href="#launch_instance__access"]')
    expect(page.locator('.modal [data-launch-note="no-access"]')).to_have_text(
        'redis instances admit every address that reaches them: their engine cannot '
        'restrict where connections come from.')
    expect(page.locator('.modal input[name=allowed_cidrs]')).to_be_hidden()

    page.click('.modal a[href="#launch_instance__details"]')
    with page.expect_response(lambda r: 'launch/choices' in r.url and r.ok):
        page.select_option('.modal select[name=datastore_version]', label='mariadb 10.11')
    page.click('.modal a[href="#launch_instance__initialize"]')
    expect(page.locator('.modal [data-launch-note="no-databases"]')).to_be_hidden()
    expect(page.locator('.modal input[name=databases]')).to_be_visible()
    page.click('.modal a[href="#launch_instance__access"]')
    expect(page.locator('.modal [data-launch-note="no-access"]')).to_be_hidden()
    expect(page.locator('.modal input[name=allowed_cidrs]')).to_be_visible()
