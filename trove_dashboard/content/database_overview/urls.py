"""The Overview's URL, at /project/ too (it is the default panel)."""
from django.urls import re_path

from trove_dashboard.content.database_overview import views

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    # Instances lived at /project/<id>/ while they were the default panel: bookmarks and
    # links from then still reach the instance.
    re_path(r'^(?P<rest>[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?'
            r'[0-9a-fA-F]{12}/.*)$', views.InstanceMovedView.as_view(), name='instance_moved'),
]
