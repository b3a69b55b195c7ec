PANEL = 'databases'
PANEL_DASHBOARD = 'project'
PANEL_GROUP = 'database'
# Users land here: Horizon's own Overview needs Nova, which the embedded stack has not.
DEFAULT_PANEL = 'databases'
ADD_PANEL = 'trove_dashboard.content.databases.panel.Databases'
ADD_INSTALLED_APPS = ['trove_dashboard']
