"""Routing cost with 150 routes: the API's Router (Werkzeug's rule map) against the naive
approach it replaced (every route's regex tried in order), on the same routes and paths in
the same run.

Every registered route plus enough stand-ins to reach 150; each is matched by a path of its
own, and unknown paths (404) are matched too, the slowest case for a scan in order.
Prints microseconds per match and the ratio ours / naive (target < 1.00).

    .venv/bin/python bench/router_match.py
"""
import re
import sys
import time

sys.path.insert(0, __file__.rsplit('/bench/', 1)[0])

from api_service.api import app, wsgi  # noqa: E402
from api_service.api.controllers import registry  # noqa: E402
from api_service.common import config  # noqa: E402
from api_service.common import exceptions  # noqa: E402

ROUTES = 150
ROUNDS = 200


class ScanRouter:
    """The baseline: each route's regex in registration order (the API's router until 2026-12)."""

    def __init__(self, table):
        self.table = [(re.compile('^' + re.sub(r'\{(\w+)\}', r'(?P<\1>[^/]+)', r.template)
                                  + '/?$'), r) for r in table]

    def match(self, method, path):
        allowed = []
        for regex, route in self.table:
            found = regex.match(path)
            if found:
                if route.method == method:
                    return route, found.groupdict()
                allowed.append(route.method)
        raise exceptions.MethodNotAllowed() if allowed else exceptions.NotFound()


def routes():
    found = list(registry.all_routes(app.PROJECT_PREFIX))
    found += [wsgi.Route('GET', '/v1.0/{project_id}/standin%d/{item_id}' % i, None)
              for i in range(ROUTES - len(found))]
    return found


def sample_path(route):
    return route.method, re.sub(r'\{(\w+)\}', lambda m: 'p-' + m.group(1), route.template)


def per_match_us(match, requests):
    began = time.perf_counter()
    for _ in range(ROUNDS):
        for method, path in requests:
            try:
                match(method, path)
            except exceptions.DBaaSError:
                pass
    return (time.perf_counter() - began) / (ROUNDS * len(requests)) * 1e6


def main():
    config.load([])
    table = routes()
    ours, naive = app.Router(table), ScanRouter(table)
    known = [sample_path(r) for r in table]
    unknown = [('GET', '/v1.0/p/nothing%d/here' % i) for i in range(20)]
    print('%d routes' % len(table))
    worst = 0.0
    for name, requests in (('every route', known), ('unknown paths (404)', unknown)):
        mine = per_match_us(ours.match, requests)
        theirs = per_match_us(naive.match, requests)
        worst = max(worst, mine / theirs)
        print('%-20s ours %.2f us  naive scan %.2f us  ratio %.2f (target < 1.00)'
              % (name, mine, theirs, mine / theirs))
    return 0 if worst < 1.0 else 1


if __name__ == '__main__':
    sys.exit(main())
