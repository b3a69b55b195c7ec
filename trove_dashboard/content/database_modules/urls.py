"""The Modules panel's URLs."""
from django.urls import re_path

from trove_dashboard.content.database_modules import views

UUID = r'[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}'
MODULE = r'^(?P<module_id>%s)/' % UUID

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    re_path(r'^create$', views.CreateView.as_view(), name='create'),
    re_path(MODULE + r'$', views.DetailView.as_view(), name='detail'),
    re_path(MODULE + r'edit$', views.EditView.as_view(), name='edit'),
]
