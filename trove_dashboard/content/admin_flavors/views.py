"""The Flavors and Volume Types panel's pages."""
from django.views import generic


class IndexView(generic.TemplateView):
    template_name = 'admin_flavors/index.html'
