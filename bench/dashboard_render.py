"""The dashboard's instances page and Overview with 1,000 instances in the project.

Starts a throw-away stack, writes 1,000 instance rows straight into its database,
logs in to Horizon as the demo user with requests, and times 20 renders of each page
(median), counting the dashboard's calls to the DBaaS API per render. Targets, whatever
the number of rows: the instances page median <= 500 ms and <= 3 API calls per render;
the Overview (the landing page, /project/) median <= 500 ms and <= 5 API calls.

Calls are counted where they leave Horizon: with DBAAS_HORIZON_LOG_API_CALLS=1 the
stack's Horizon logs one keystoneauth "REQ:" line per HTTP request, and the lines
naming the API's URL between two renders are that render's calls.

    .venv/bin/python bench/dashboard_render.py
"""
import os
import re
import statistics
import sys
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stackctl  # noqa: E402

TOTAL = 1000
RENDERS = 20
WARMUP = 3
TARGET_MS = 500
# (what the page is, its path under the dashboard, a mark its HTML must hold, API calls)
PAGES = (
    ('instances page', '/project/databases/', 'id="instances"', 3),
    ('Overview', '/project/', 'id="overview-recent-faults"', 5),
)


def login(state):
    """A requests session logged in to Horizon as the demo user."""
    dashboard = state['urls']['dashboard'].rstrip('/')
    session = requests.Session()
    page = session.get(dashboard + '/auth/login/', timeout=30)
    page.raise_for_status()
    fields = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"',
                             page.text))
    fields.update(username='demo', password=state['secrets']['demo_password'])
    done = session.post(dashboard + '/auth/login/', data=fields, timeout=30,
                        headers={'Referer': dashboard + '/auth/login/'})
    done.raise_for_status()
    if '/auth/login' in done.url:
        sys.exit('could not log in to Horizon as demo')
    return session, dashboard


class ApiCallCounter:
    """Counts Horizon's logged requests to the API since the last call."""

    def __init__(self, state):
        self.path = os.path.join(state['root'], 'logs', 'horizon.log')
        self.api = state['urls']['api'].rstrip('/') + '/v1.0/'
        self.offset = os.path.getsize(self.path)

    def since_last(self):
        time.sleep(0.05)   # let the worker's log write land
        with open(self.path, 'rb') as handle:
            handle.seek(self.offset)
            text = handle.read().decode('utf-8', 'replace')
            self.offset = handle.tell()
        return sum(1 for line in text.splitlines() if 'REQ: curl' in line and self.api in line)


def render(session, url, mark):
    began = time.perf_counter()
    resp = session.get(url, timeout=60)
    elapsed = (time.perf_counter() - began) * 1000
    resp.raise_for_status()
    if mark not in resp.text:
        sys.exit('%s is missing from %s' % (mark, resp.url))
    return elapsed, resp.text


def measure(session, counter, url, mark):
    """(render times in ms, API calls per render, the last render's HTML)."""
    for _ in range(WARMUP):
        render(session, url, mark)
    counter.since_last()
    samples, calls = [], []
    for _ in range(RENDERS):
        elapsed, html = render(session, url, mark)
        samples.append(elapsed)
        calls.append(counter.since_last())
    return samples, calls, html


def main():
    # The stack's Horizon inherits this and logs each HTTP request it makes.
    os.environ['DBAAS_HORIZON_LOG_API_CALLS'] = '1'
    with stackctl.running_stack(offset=os.environ.get('BENCH_PORT_OFFSET', stackctl.PORT_OFFSET)) as state:
        _token, project = stackctl.token(state)
        stackctl.seed_instances(state, project, TOTAL)
        session, dashboard = login(state)
        counter = ApiCallCounter(state)
        results = [(what, path, target) + measure(session, counter, dashboard + path, mark)
                   for what, path, mark, target in PAGES]
    met = True
    for what, path, target_calls, samples, calls, html in results:
        median = statistics.median(samples)
        if 'id="instances"' in html:
            print('%d instances in the project; the page shows %d rows and a "next" link'
                  % (TOTAL, html.count('id="instances__row__')))
        print('GET %s (%s): median %.1f ms over %d renders (target <= %d ms); min %.1f, '
              'max %.1f' % (path, what, median, RENDERS, TARGET_MS, min(samples),
                            max(samples)))
        print('  DBaaS API calls per render: %s (target <= %d)'
              % ('/'.join(str(c) for c in sorted(set(calls))), target_calls))
        met = met and median <= TARGET_MS and max(calls) <= target_calls
    return 0 if met else 1


if __name__ == '__main__':
    sys.exit(main())
