"""Horizon enabled file: the Admin dashboard's Flavors and Volume Types panel (Database group)."""
PANEL = 'database_flavors'
PANEL_DASHBOARD = 'admin'
PANEL_GROUP = 'database_admin'
ADD_PANEL = 'trove_dashboard.content.admin_flavors.panel.AdminFlavors'

