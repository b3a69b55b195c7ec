"""Horizon enabled file: the Configuration Groups panel."""
PANEL = 'database_configurations'
PANEL_DASHBOARD = 'project'
PANEL_GROUP = 'database'
ADD_PANEL = ('trove_dashboard.content.database_configurations.panel.Configurations')
