"""Horizon enabled file: the Admin dashboard opens on the Database group's Instances panel.

Named to sort after Horizon's own _2010_admin_overview_panel.py, whose Overview needs Nova:
Horizon applies enabled files in name order, so the last DEFAULT_PANEL wins."""
PANEL = 'database_instances'
PANEL_DASHBOARD = 'admin'
DEFAULT_PANEL = 'database_instances'
