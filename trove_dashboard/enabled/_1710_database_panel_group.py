"""Horizon enabled file: the Databases panel group of the Project dashboard."""
from django.utils.translation import gettext_lazy as _

PANEL_GROUP = 'database'
PANEL_GROUP_NAME = _('Databases')
PANEL_GROUP_DASHBOARD = 'project'
