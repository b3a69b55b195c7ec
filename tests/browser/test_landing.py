"""A user logs in and lands on the Databases group's Instances panel, styled."""
from tests.browser.conftest import login, screenshot


def test_demo_user_lands_on_databases_panel(page, stack):
    failed = []
    page.on('response', lambda r: failed.append(r.url) if r.status >= 400 else None)
    login(page, stack, 'demo')
    page.wait_for_load_state('networkidle')
    assert page.url.rstrip('/').endswith('/project')
    assert page.locator('h1').inner_text().strip() == 'Instances'
    assert page.locator('table#instances').count() == 1
    assert page.locator('#instances__action_launch').is_visible()
    sidebar = page.locator('#sidebar').inner_text()
    assert 'Databases' in sidebar and 'Instances' in sidebar
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
