"""Horizon enabled file: the Instances panel, our app, its exceptions, scripts and styles."""
from trove_dashboard import exceptions

PANEL = 'databases'
PANEL_DASHBOARD = 'project'
PANEL_GROUP = 'database'
ADD_PANEL = 'trove_dashboard.content.databases.panel.Databases'
ADD_INSTALLED_APPS = ['trove_dashboard']
ADD_EXCEPTIONS = {
    'not_found': exceptions.NOT_FOUND,
    'recoverable': exceptions.RECOVERABLE,
    'unauthorized': exceptions.UNAUTHORIZED,
}
ADD_JS_FILES = ['trove_dashboard/js/launch.js', 'trove_dashboard/js/instance.js']
ADD_SCSS_FILES = ['trove_dashboard/scss/trove_dashboard.scss']
