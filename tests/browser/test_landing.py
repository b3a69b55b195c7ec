"""A user logs in and lands on the Databases panel, styled, with what can be launched."""
from tests.browser.conftest import login, screenshot


def test_demo_user_lands_on_databases_panel(page, stack):
    failed = []
    page.on('response', lambda r: failed.append(r.url) if r.status >= 400 else None)
    login(page, stack, 'demo')
    page.wait_for_load_state('networkidle')
    assert page.url.rstrip('/').endswith('/project')
    assert page.locator('h1').inner_text().strip() == 'Databases'
    rows = page.locator('table#datastores tbody tr')
    names = {rows.nth(i).locator('td').first.inner_text().strip() for i in range(rows.count())}
    assert {'mariadb', 'postgresql', 'redis'} <= names
    # Compressed CSS was served: the page is styled, and nothing failed to load.
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != 'Times New Roman'
    assert failed == []
    screenshot(page, 'databases-panel-1280')
    page.set_viewport_size({'width': 800, 'height': 900})
    screenshot(page, 'databases-panel-800')


def test_wrong_password_stays_on_login(page, stack):
    page.goto(stack.urls['dashboard'] + '/auth/login/')
    page.fill('#id_username', 'demo')
    page.fill('#id_password', 'wrong')
    with page.expect_navigation():
        page.click('#loginBtn')
    assert '/auth/login' in page.url
    assert 'Invalid credentials' in page.content()
