"""Horizon enabled file: the Admin dashboard's Instances panel (Database group)."""
PANEL = 'database_instances'
PANEL_DASHBOARD = 'admin'
PANEL_GROUP = 'database_admin'
ADD_PANEL = 'trove_dashboard.content.admin_instances.panel.AdminInstances'
