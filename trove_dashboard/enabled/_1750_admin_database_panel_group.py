"""Horizon enabled file: the Database panel group of the Admin dashboard."""
from django.utils.translation import gettext_lazy as _

PANEL_GROUP = 'database_admin'
PANEL_GROUP_NAME = _('Database')
PANEL_GROUP_DASHBOARD = 'admin'
