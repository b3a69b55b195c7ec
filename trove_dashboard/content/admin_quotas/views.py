"""The Quotas panel's pages."""
from django.views import generic


class IndexView(generic.TemplateView):
    template_name = 'admin_quotas/index.html'
