"""Horizon enabled file: the Modules panel."""
PANEL = 'database_modules'
PANEL_DASHBOARD = 'project'
PANEL_GROUP = 'database'
ADD_PANEL = 'trove_dashboard.content.database_modules.panel.Modules'
