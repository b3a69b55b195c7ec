"""The Metrics tab in a real browser against a real stack: opened on an Active instance, it
draws its charts from the samples so far and, while the page stays open, its series grows
(the test stack samples every 5 s), each refresh asking only for what is newer than the
last sample it has."""
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.functional.instance_helpers import raw, trove, wait_gone, wait_status

TAB = 'instance_details__metrics'
LOAD_MS = 30000       # the tab is a page render away
GROW_MS = 60000       # two more 5 s slots, with room for a loaded machine
WHOLE_NUMBER = re.compile(r'^\d[\d,]*$')     # how a count's latest value is written
# The charts' polls of the JSON view (not metrics.js itself: jQuery adds ?_= to each poll).
POLL = r'/%s/metrics\?'
# The volume's use is in every sample (the other figures may be unknown in the first).
POINTS = '.dbaas-metrics-chart[data-figure="volume_used_bytes"] circle.dbaas-metrics-point'


@pytest.fixture(scope='module')
def instance(stack):
    """One Active MariaDB instance for the module, deleted at its end."""
    client = trove(stack, 'demo')
    created = client.instances.create('metrics-tab', flavor_id='1', volume={'size': 1},
                                      datastore='mariadb', datastore_version='10.11')
    try:
        active = wait_status(client, created.id, 'ACTIVE')
        # Its guest has reported once: the tab has a first sample to draw.
        deadline = time.monotonic() + GROW_MS / 1000
        while not raw(client, 'GET', '/instances/%s/metrics' % created.id).json()[
                'metrics']['samples']:
            assert time.monotonic() < deadline, 'no sample in %d s' % (GROW_MS / 1000)
            time.sleep(0.5)
        yield active
    finally:
        client.instances.delete(created.id)
        wait_gone(client, created.id)


def samples_shown(page):
    return int(page.get_attribute('#%s .dbaas-metrics' % TAB, 'data-samples'))


def test_the_metrics_tab_draws_a_series_that_grows_while_open(stack, demo, instance):
    page = demo
    asked = []
    poll = re.compile(POLL % instance.id)
    page.on('request', lambda r: asked.append(r.url) if poll.search(r.url) else None)
    page.goto('%s/project/databases/%s/' % (stack.urls['dashboard'], instance.id))
    page.click('a[data-target="#%s"]' % TAB)
    charts = page.locator('#%s .dbaas-metrics-chart' % TAB)
    expect(charts).to_have_count(5, timeout=LOAD_MS)
    expect(charts.locator('h4').first).to_contain_text('CPU')

    # The first samples arrive: the words for "none yet" go, each chart has a line.
    page.wait_for_function(
        "document.querySelector('#%s .dbaas-metrics').dataset.samples >= 1" % TAB,
        timeout=GROW_MS)
    expect(page.locator('#%s .dbaas-metrics-empty' % TAB)).to_be_hidden()
    expect(page.locator('#%s path.dbaas-metrics-line' % TAB)).to_have_count(5)
    first = samples_shown(page)
    expect(page.locator(POINTS)).to_have_count(first)
    latest = page.locator('#%s .dbaas-metrics-chart[data-figure="connections"] '
                          '.dbaas-metrics-latest' % TAB)
    expect(latest).to_have_text(WHOLE_NUMBER)

    # The page stays open: two more slots' samples are drawn without a reload.
    page.wait_for_function(
        "document.querySelector('#%s .dbaas-metrics').dataset.samples >= %d" % (TAB, first + 2),
        timeout=GROW_MS)
    grown = samples_shown(page)
    expect(page.locator(POINTS)).to_have_count(grown)
    screenshot(page, 'instance-metrics-tab')
    # Every refresh after the first asks only for what is newer than its last sample.
    assert len(asked) >= 2 and 'since=' not in asked[0]
    assert all('since=' in url for url in asked[1:])

