"""Horizon enabled file: the Overview panel, first in the Databases group and where users
land (Horizon's own Overview needs Nova, which the embedded stack has not).

Horizon applies enabled files in name order and the last DEFAULT_PANEL wins: none after
this one names another."""
PANEL = 'database_overview'
PANEL_DASHBOARD = 'project'
PANEL_GROUP = 'database'
DEFAULT_PANEL = 'database_overview'
ADD_PANEL = 'trove_dashboard.content.database_overview.panel.Overview'
ADD_SCSS_FILES = ['trove_dashboard/scss/overview.scss']
