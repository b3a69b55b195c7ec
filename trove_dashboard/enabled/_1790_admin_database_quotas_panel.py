"""Horizon enabled file: the Admin dashboard's Quotas panel (Database group)."""
PANEL = 'database_quotas'
PANEL_DASHBOARD = 'admin'
PANEL_GROUP = 'database_admin'
ADD_PANEL = 'trove_dashboard.content.admin_quotas.panel.AdminQuotas'

