"""The Instances panel's URLs; Horizon mounts them at /admin/ too (the default panel)."""
from django.urls import re_path

from trove_dashboard.content.admin_instances import views
from trove_dashboard.content.databases import urls as project_urls

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    # Its own URL rather than a query string: the table's "next" links keep it.
    re_path(r'^deleted/$', views.DeletedIndexView.as_view(), {'show_deleted': True},
            name='deleted'),
    re_path(project_urls.INSTANCE + r'$', views.DetailView.as_view(), name='detail'),
]
