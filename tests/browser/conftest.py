"""Playwright driving Debian's chromium (it cannot download a browser of its own)."""
import os

import pytest
from playwright.sync_api import sync_playwright

ARTIFACTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'artifacts')
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync', '--no-first-run',
                 '--disable-quic']


# Per module, not per session: Playwright's sync API keeps an event loop running while it
# is open, and Django (tests/dashboard, collected after tests/browser) refuses database
# work inside a running loop.
@pytest.fixture(scope='module')
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path='/usr/bin/chromium', headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={'width': 1280, 'height': 900})
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, name + '.png'), full_page=True)


def login(page, stack, user):
    page.goto(stack.urls['dashboard'] + '/auth/login/')
    page.fill('#id_username', user)
    page.fill('#id_password', stack.secrets[user + '_password'])
    with page.expect_navigation():
        page.click('#loginBtn')


@pytest.fixture
def demo(page, stack):
    """A page logged in as demo; no response of the test may be a server error."""
    failed = []
    page.on('response', lambda r: failed.append('%s %s' % (r.status, r.url))
            if r.status >= 500 else None)
    login(page, stack, 'demo')
    yield page
    assert failed == []
