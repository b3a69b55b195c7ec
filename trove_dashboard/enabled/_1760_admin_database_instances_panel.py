"""Horizon enabled file: the Admin dashboard's Instances panel (Database group)."""
PANEL = 'database_instances'
PANEL_DASHBOARD = 'admin'
PANEL_GROUP = 'database_admin'
ADD_PANEL = 'trove_dashboard.content.admin_instances.panel.AdminInstances'
# Admins land here: Horizon's own Overview needs Nova, which the embedded stack has not.
DEFAULT_PANEL = 'database_instances'
ADD_JS_FILES = ['trove_dashboard/js/admin.js']
