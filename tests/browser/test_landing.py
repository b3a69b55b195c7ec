"""A user logs in and lands on the Databases group's Overview panel, styled; Instances is
next in the group."""
from tests.browser.conftest import login, screenshot


def test_demo_user_lands_on_databases_overview(page, stack):
    failed = []
    page.on('response', lambda r: failed.append(r.url) if r.status >= 400 else None)
    login(page, stack, 'demo')
    page.wait_for_load_state('networkidle')
    assert page.url.rstrip('/').endswith('/project')
    assert page.locator('h1').inner_text().strip() == 'Overview'
    assert page.locator('.limit-summary .pie-chart-usage').count() == 4
    group = page.locator('#sidebar-accordion-project-database a.openstack-panel')
    assert [t.strip() for t in group.all_inner_texts()][:2] == ['Overview', 'Instances']
    screenshot(page, 'databases-overview-landing-1280')
    # Instances is one click away, with its Launch button.
    group.filter(has_text='Instances').click()
    page.wait_for_selector('table#instances')
    assert page.url.rstrip('/').endswith('/project/databases')
    assert page.locator('#instances__action_launch').is_visible()
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
