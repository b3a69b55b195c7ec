"""The dashboard's static files live in static/ at the top of the repository; Horizon's
finders (and so collectstatic, compress and the pages) still find them."""
import ast
import os

import openstack_dashboard
from django.contrib.staticfiles import finders

from trove_dashboard import local_settings
from trove_dashboard import static_finder

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_our_files_are_found_at_the_top_of_the_repository():
    for name in ('trove_dashboard/js/launch.js', 'trove_dashboard/scss/trove_dashboard.scss'):
        assert finders.find(name) == os.path.join(REPO, 'static', name)
    assert not os.path.exists(os.path.join(REPO, 'trove_dashboard', 'static'))


def test_the_finder_never_leaves_its_directory():
    finder = static_finder.RepositoryStaticFinder()
    assert finder.find('../setup.cfg') is None
    assert finder.find('trove_dashboard/js/nothing.js', find_all=True) == []
    listed = {path for path, _ in finder.list([])}
    assert 'trove_dashboard/js/backups.js' in listed


def test_local_settings_keep_every_finder_horizon_lists():
    with open(os.path.join(os.path.dirname(openstack_dashboard.__file__), 'settings.py')) as f:
        tree = ast.parse(f.read())
    horizons = next(ast.literal_eval(node.value) for node in ast.walk(tree)
                    if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', '')
                    == 'STATICFILES_FINDERS')
    assert set(horizons) < set(local_settings.STATICFILES_FINDERS)
