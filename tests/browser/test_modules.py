"""Modules in a real browser against a real stack.

The demo user creates a module on the Modules panel, uploading its contents from a file,
and reads its detail page (no label cut off). In Launch Instance (Advanced, Modules) the
list follows the chosen version: PostgreSQL 15's own module (a name with markup, shown as
text) replaces the MariaDB one, Redis has none and says so. Back on MariaDB the user
launches with the module, sees it OK on the instance's Modules tab (the guest's answer),
downloads it and gets the bytes it uploaded under troveclient's file name, and removes it:
the guest no longer reports it. Everything made is deleted. Screenshots at 1280 and 800 px
go to tests/artifacts/.
"""
import base64
import hashlib
import os

from playwright.sync_api import expect

from tests.browser.test_backups import DemoApi
from tests.browser.test_instances import both_widths, launch_tiny_mariadb_to_advanced
from tests.browser.test_instances import launch_until_active, unique

# Not text: the bytes must come back exactly, through base64 both ways.
CONTENTS = b'licence-key\x00\x01\xfe\xff\nline two\n' + os.urandom(16)


def module_row(page, name):
    return page.locator('#modules tbody tr[data-display="%s"]' % name)


def applied_row(page, name):
    return page.locator('#instance_modules tbody tr[data-display="%s"]' % name)


def create_module(api, name, datastore, version):
    """A ping module of `datastore` `version` through the API; its id."""
    body = {'module': {'name': name, 'module_type': 'ping',
                       'contents': base64.b64encode(b'ping').decode(),
                       'datastore': {'type': datastore, 'version': version}}}
    return api.call('POST', '/modules', json=body)['module']['id']


def cut_labels(page, scope):
    """The labels (dt) in `scope` whose text does not fit their box."""
    return page.evaluate(
        "(scope) => [...document.querySelectorAll(scope + ' dt')]"
        "  .filter(dt => dt.scrollWidth > dt.clientWidth).map(dt => dt.textContent)", scope)


def switch_version(page, label):
    """On the Launch dialog's Details step, choose the version and wait for its choices."""
    page.click('.modal a[href="#launch_instance__details"]')
    with page.expect_response(lambda r: 'launch/choices' in r.url and r.ok):
        page.select_option('.modal select[name=datastore_version]', label=label)
    page.click('.modal a[href="#launch_instance__advanced"]')


def guest_modules(api, instance_id):
    return api.call('GET', '/instances/%s/modules?from_guest=True' % instance_id)['modules']


def test_create_launch_with_download_and_remove_a_module(demo, stack, tmp_path):
    page = demo
    api = DemoApi(stack)
    dashboard = stack.urls['dashboard']
    module = unique('shop-licence')
    instance = unique('licensed-db')
    upload = tmp_path / 'licence.lic'
    upload.write_bytes(CONTENTS)
    before = api.instance_ids()
    # PostgreSQL 15's own module, its name with markup that must stay text.
    pg_module = unique('pg-<b>x</b>')
    pg_module_id = create_module(api, pg_module, 'postgresql', '15')
    try:
        # Create the module on its panel, its contents from a file.
        page.goto(dashboard + '/project/database_modules/')
        expect(page.locator('h1')).to_have_text('Modules')
        page.click('#modules__action_create')
        page.wait_for_selector('.modal form')
        page.fill('.modal input[name=name]', module)
        page.fill('.modal input[name=module_type]', 'ping')
        page.set_input_files('.modal input[name=contents]', str(upload))
        page.fill('.modal textarea[name=description]', 'the shop licence')
        page.select_option('.modal select[name=datastore]', label='mariadb 10.11')
        # A member gets no admin-only option.
        expect(page.locator('.modal input[name=auto_apply]')).to_have_count(0)
        both_widths(page, 'module-create')
        page.click('.modal input[type=submit]')
        row = module_row(page, module)
        expect(row).to_contain_text('mariadb 10.11', timeout=15000)
        expect(row).to_contain_text('ping')
        both_widths(page, 'modules')

        # Its detail page: every label fits, at 1280 and at 800 px.
        row.locator('a', has_text=module).click()
        expect(page.locator('.module-detail')).to_contain_text("Administrator's Module")
        assert cut_labels(page, '.module-detail') == []
        both_widths(page, 'module-detail')
        page.set_viewport_size({'width': 800, 'height': 900})
        assert cut_labels(page, '.module-detail') == []
        page.set_viewport_size({'width': 1280, 'height': 900})

        # Launch: the Modules list follows the version chosen.
        launch_tiny_mariadb_to_advanced(page, dashboard, instance)
        modal = page.locator('.modal')
        choices = modal.locator('#id_modules')
        expect(modal.get_by_label(module, exact=True)).to_be_enabled()
        expect(modal.get_by_label(pg_module, exact=True)).to_have_count(0)
        switch_version(page, 'postgresql 15')
        expect(modal.get_by_label(pg_module, exact=True)).to_be_enabled()
        expect(choices.locator('b')).to_have_count(0)     # the name is text, not markup
        expect(modal.get_by_label(module, exact=True)).to_have_count(0)
        both_widths(page, 'launch-modules-postgresql')
        switch_version(page, 'redis 7.0')
        expect(choices.locator('input[name=modules]')).to_have_count(0)
        expect(choices).to_have_text('No module fits this datastore version.')

        # Back on MariaDB, launch an instance with its module: Advanced, Modules.
        switch_version(page, 'mariadb 10.11')
        page.click('.modal a[href="#launch_instance__details"]')
        page.select_option('.modal select[name=flavor]', label='db.tiny (1 VCPU, 256 MB RAM)')
        page.click('.modal a[href="#launch_instance__advanced"]')
        choice = modal.get_by_label(module, exact=True)
        expect(choice).to_be_enabled()
        expect(modal.get_by_label(pg_module, exact=True)).to_have_count(0)
        choice.check()
        both_widths(page, 'launch-with-module')
        row = launch_until_active(page, instance)

        # Its Modules tab: the guest reports the module applied, OK, with its md5.
        row.locator('a', has_text=instance).click()
        page.click('a[data-target="#instance_details__modules"]')
        applied = applied_row(page, module)
        expect(applied).to_contain_text('OK', timeout=15000)
        expect(applied).to_contain_text('pong')     # the ping driver's message
        expect(applied).to_contain_text(hashlib.md5(CONTENTS).hexdigest())
        both_widths(page, 'instance-modules')
        instance_id = page.url.split('/project/databases/')[1].split('/')[0]

        # Download: the bytes uploaded, under troveclient's module-retrieve name.
        with page.expect_download() as downloading:
            applied.locator('a[id$="__action_download"]').click()
        download = downloading.value
        assert download.suggested_filename == '%s_mariadb_10.11.dat' % module
        with open(download.path(), 'rb') as handle:
            assert handle.read() == CONTENTS

        # Remove it: gone from the tab, and the guest no longer reports it.
        applied.locator('.dropdown-toggle').click()
        applied.locator('button[id$="__action_delete"]').click()
        page.locator('.modal .btn-danger').click()
        page.wait_for_load_state('networkidle')
        expect(page.locator('.alert-success', has_text='Removed Module')).to_be_visible(
            timeout=15000)
        expect(applied_row(page, module)).to_have_count(0, timeout=15000)
        assert module not in [m['name'] for m in guest_modules(api, instance_id)]
        both_widths(page, 'instance-module-removed')
    finally:
        api.clean_up(before, 'modules', module)
        api.call('DELETE', '/modules/%s' % pg_module_id)
