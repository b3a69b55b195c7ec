"""A list page that shows one page of an API list: one call per page, a More link when the
API says there is a next page."""
from horizon import exceptions
from horizon import tables as horizon_tables


class OnePageTableView(horizon_tables.DataTableView):
    """Subclasses give `fetch_page(marker)` -> (rows, next marker or None) and
    `failure_message`, shown when the call fails (the page then lists nothing)."""
    failure_message = ''

    def has_more_data(self, table):
        return self._more

    def fetch_page(self, marker):
        raise NotImplementedError

    def get_data(self):
        self._more = False
        marker = self.request.GET.get(self.table_class._meta.pagination_param)
        try:
            found, next_marker = self.fetch_page(marker)
        except Exception:
            exceptions.handle(self.request, self.failure_message)
            return []
        self._more = bool(next_marker)
        return found
