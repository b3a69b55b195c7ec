"""The Overview page: the project's quota usage as pies, its instances by status and by
datastore, storage, backups, the backups due next and the latest faults.

Two API calls whatever the number of instances: GET /limits and GET /overview (which counts
on the server). Either failing leaves its sections out with a message; the page stays.
"""
from django import http
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import generic
from horizon import exceptions
from horizon import views

from trove_dashboard.api import overview as overview_api
from trove_dashboard.api import trove
from trove_dashboard.content.database_overview import overview_data



class IndexView(views.HorizonTemplateView):
    template_name = 'project/database_overview/index.html'
    page_title = _('Overview')

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            limits = trove.limits(self.request)
        except Exception:
            limits = None
            exceptions.handle(self.request, _('Unable to retrieve the quota usage.'))
        try:
            summary = overview_api.overview(self.request)
        except Exception:
            summary = None
            exceptions.handle(self.request, _('Unable to retrieve the overview.'))
        context.update(overview_data.page(limits, summary))
        return context


class InstanceMovedView(generic.View):
    """An instance's page at its old address (/project/<id>/…): sent to where it is now."""

    def get(self, request, rest):
        target = reverse('horizon:project:databases:index') + rest
        if request.META.get('QUERY_STRING'):
            target += '?' + request.META['QUERY_STRING']
        return http.HttpResponseRedirect(target)
