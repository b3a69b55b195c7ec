"""Users after creation, in a real browser, proven against the real engine.

One instance per engine (MariaDB, PostgreSQL) for the module, launched through the API
with two databases and a user made with one of them. The Users tab shows each user's
databases; Manage Access grants one database to a new user, who can then use that
database with the engine's client library and not the other, and Revoke takes the
access away again; Edit User renames a user (its password and access stay) and sets a
new password, the one the engine then accepts, the old one refused; a host (column and
New Host) shows only for MariaDB, whose users have one. The instances are deleted at the
end.
"""
import psycopg
import pymysql
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_instances import SETTLE_MS, unique
from tests.functional.instance_helpers import trove, wait_gone, wait_status

NO_ACCESS, LOGIN_REFUSED = 'no access to the database', 'login refused'


class MariaDB:
    version = '10.11'
    user_hosts = True       # users are name@host: a Host column and field

    @staticmethod
    def connect(instance, user, password, database):
        return pymysql.connect(host=instance.ip[0], port=3306, user=user, password=password,
                               database=database, connect_timeout=5, autocommit=True)

    @staticmethod
    def refusal(exc):
        if isinstance(exc, pymysql.err.OperationalError):
            return {1044: NO_ACCESS, 1045: LOGIN_REFUSED}.get(exc.args[0])
        return None


class PostgreSQL:
    version = '15'
    user_hosts = False      # plain names: no Host column or field

    @staticmethod
    def connect(instance, user, password, database):
        return psycopg.connect(host=instance.ip[0], port=5432, user=user, password=password,
                               dbname=database, connect_timeout=5, autocommit=True)

    @staticmethod
    def refusal(exc):
        # libpq's words: a refused connection carries no SQLSTATE.
        text = str(exc)
        if 'permission denied for database' in text:
            return NO_ACCESS
        if 'password authentication failed' in text:
            return LOGIN_REFUSED
        return None


ENGINES = {'mariadb': MariaDB, 'postgresql': PostgreSQL}


@pytest.fixture(scope='module', params=sorted(ENGINES))
def instance(request, stack):
    client, engine = trove(stack), ENGINES[request.param]
    created = client.instances.create(
        unique('users'), flavor_id='1', volume={'size': 1}, datastore=request.param,
        datastore_version=engine.version, databases=[{'name': 'shop'}, {'name': 'stock'}],
        users=[{'name': 'app', 'password': 'App-secret-1', 'databases': [{'name': 'shop'}]}])
    try:
        found = wait_status(client, created.id, 'ACTIVE', timeout=SETTLE_MS / 1000)
        found.engine = engine
        yield found
    finally:
        client.instances.delete(created.id)
        wait_gone(client, created.id)


def new_user(stack, instance, name, password):
    trove(stack).users.create(instance.id, [{'name': name, 'password': password}])


def use(instance, user, password, database):
    """Connect as `user` to `database` and create a table there."""
    conn = instance.engine.connect(instance, user, password, database)
    try:
        with conn.cursor() as cur:
            cur.execute('CREATE TABLE %s (id INT PRIMARY KEY)' % unique('t').replace('-', '_'))
    finally:
        conn.close()


def refusal(instance, user, password, database):
    """Why the engine refuses `user` on `database`: NO_ACCESS, or LOGIN_REFUSED (a wrong
    password or no such user); None when it lets the user in."""
    try:
        instance.engine.connect(instance, user, password, database).close()
    except Exception as exc:
        why = instance.engine.refusal(exc)
        assert why, 'an unexpected failure: %r' % exc
        return why
    return None


def open_users_tab(page, stack, instance):
    page.goto('%s/project/databases/%s/?tab=instance_details__users' % (
        stack.urls['dashboard'], instance.id))
    page.wait_for_selector('#users')


def user_row(page, name):
    return page.locator('#users tbody tr[data-display="%s"]' % name)


def databases_cell(page, instance, name):
    """The Databases cell of a user's row (after the Host cell where users have hosts)."""
    return user_row(page, name).locator('td').nth(3 if instance.engine.user_hosts else 2)


def access_row(page, database):
    return page.locator('#access tbody tr[data-display="%s"]' % database)


def test_manage_access_grants_and_revokes_on_the_engine(demo, stack, instance):
    page, clerk = demo, unique('clerk').replace('-', '_')
    new_user(stack, instance, clerk, 'Clerk-secret-1')
    open_users_tab(page, stack, instance)
    # Each user's databases, from the list itself: the one made at launch has its own.
    expect(databases_cell(page, instance, 'app')).to_have_text('shop')
    expect(databases_cell(page, instance, clerk)).to_have_text('-')
    row = user_row(page, clerk)
    row.locator('.dropdown-toggle').click()
    with page.expect_navigation():
        row.locator('a[id$="__action_manage_access"]').click()
    expect(page.locator('.breadcrumb')).to_contain_text(instance.name)
    expect(access_row(page, 'shop')).to_contain_text('Not granted')
    expect(access_row(page, 'stock')).to_contain_text('Not granted')
    assert refusal(instance, clerk, 'Clerk-secret-1', 'shop') == NO_ACCESS

    with page.expect_navigation():
        page.click('#access__row_shop__action_grant')
    expect(access_row(page, 'shop')).to_contain_text('Granted')
    expect(access_row(page, 'stock')).to_contain_text('Not granted')
    screenshot(page, 'user-access-%s-1280' % instance.datastore['type'])
    use(instance, clerk, 'Clerk-secret-1', 'shop')
    assert refusal(instance, clerk, 'Clerk-secret-1', 'stock') == NO_ACCESS

    page.click('#access__row_shop__action_revoke')
    with page.expect_navigation():
        page.locator('.modal .btn-danger').click()     # Horizon's confirmation
    expect(access_row(page, 'shop')).to_contain_text('Not granted')
    assert refusal(instance, clerk, 'Clerk-secret-1', 'shop') == NO_ACCESS
    # The Users tab agrees with the engine.
    open_users_tab(page, stack, instance)
    expect(databases_cell(page, instance, clerk)).to_have_text('-')


def edit_user(page, instance, name, **fields):
    """Open Edit User from the user's row, fill `fields` and save."""
    user_row(page, name).locator('a[id$="__action_edit_user"]').click()
    modal = page.locator('.modal')
    expect(modal.locator('input[name=name]')).to_have_value(name)
    # A new host only where users have one; PostgreSQL's API would refuse it.
    expect(modal.locator('input[name=new_host]')).to_have_count(
        1 if instance.engine.user_hosts else 0)
    for field, value in fields.items():
        modal.locator('input[name=%s]' % field).fill(value)
    modal.locator('input[type=submit]').click()
    return modal


def test_edit_user_renames_and_sets_the_password_the_engine_accepts(demo, stack, instance):
    page, clerk = demo, unique('clerk').replace('-', '_')
    new_user(stack, instance, clerk, 'Old-secret-1')
    trove(stack).users.grant(instance.id, clerk, ['stock'])
    open_users_tab(page, stack, instance)

    # A new name keeps the password and the access.
    renamed = clerk + '_x'
    with page.expect_navigation():
        edit_user(page, instance, clerk, new_name=renamed)
    expect(page.locator('.alert-success')).to_contain_text('Updated user "%s".' % renamed)
    expect(databases_cell(page, instance, renamed)).to_have_text('stock')
    expect(user_row(page, clerk)).to_have_count(0)
    use(instance, renamed, 'Old-secret-1', 'stock')
    assert refusal(instance, clerk, 'Old-secret-1', 'stock') == LOGIN_REFUSED

    # A new password must be typed twice alike; then only it lets the user in.
    modal = edit_user(page, instance, renamed, new_password='New-secret-2',
                      confirm_password='Other-secret')
    expect(modal.locator('.has-error')).to_contain_text('The two passwords do not match.')
    screenshot(page, 'edit-user-%s-1280' % instance.datastore['type'])
    modal.locator('input[name=new_password]').fill('New-secret-2')
    modal.locator('input[name=confirm_password]').fill('New-secret-2')
    with page.expect_navigation():
        modal.locator('input[type=submit]').click()
    expect(page.locator('.alert-success')).to_contain_text('Updated user "%s".' % renamed)
    expect(databases_cell(page, instance, renamed)).to_have_text('stock')
    use(instance, renamed, 'New-secret-2', 'stock')
    assert refusal(instance, renamed, 'Old-secret-1', 'stock') == LOGIN_REFUSED
