"""Horizon enabled file: the Backups panel (and an instance's backup schedules)."""
PANEL = 'database_backups'
PANEL_DASHBOARD = 'project'
PANEL_GROUP = 'database'
ADD_PANEL = 'trove_dashboard.content.database_backups.panel.Backups'
ADD_JS_FILES = ['trove_dashboard/js/backups.js']
