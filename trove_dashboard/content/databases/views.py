from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tables

from trove_dashboard.api import trove
from trove_dashboard.content.databases import tables as db_tables


class IndexView(tables.DataTableView):
    table_class = db_tables.DatastoresTable
    template_name = 'project/databases/index.html'
    page_title = _("Databases")

    def get_data(self):
        try:
            return trove.datastore_list(self.request)
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve datastores.'))
            return []
