"""Horizon enabled file: the Admin dashboard's Datastores panel (Database group)."""
PANEL = 'datastores'
PANEL_DASHBOARD = 'admin'
PANEL_GROUP = 'database_admin'
ADD_PANEL = 'trove_dashboard.content.admin_datastores.panel.AdminDatastores'

