"""The Datastores panel's pages."""
from django.views import generic


class IndexView(generic.TemplateView):
    template_name = 'admin_datastores/index.html'
