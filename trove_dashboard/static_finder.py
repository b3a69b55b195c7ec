"""Finds the dashboard's static files at the top of the repository (static/), where the
project's layout keeps them beside locale/, instead of inside the Python package.

Horizon rebuilds STATICFILES_DIRS after reading local settings, so a finder (listed in
STATICFILES_FINDERS by local_settings.py) is how Horizon, collectstatic and compress see them.
Paths are the same as before: static/trove_dashboard/js/launch.js is
'trove_dashboard/js/launch.js'.
"""
import os

from django.contrib.staticfiles import utils
from django.contrib.staticfiles.finders import BaseFinder
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage
from django.utils._os import safe_join

STATIC_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'static')


class RepositoryStaticFinder(BaseFinder):
    """The files under STATIC_DIR, by their path relative to it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=STATIC_DIR)

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        find_all = find_all or kwargs.get('all', False)   # Django < 5.2 names it `all`
        try:
            candidate = safe_join(STATIC_DIR, path)
        except SuspiciousFileOperation:     # a path that leaves STATIC_DIR
            return [] if find_all else None
        if not os.path.isfile(candidate):
            return [] if find_all else None
        return [candidate] if find_all else candidate

    def list(self, ignore_patterns):
        for path in utils.get_files(self.storage, ignore_patterns):
            yield path, self.storage
