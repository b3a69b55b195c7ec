"""The Quotas panel's URLs."""
from django.urls import re_path

from trove_dashboard.content.admin_quotas import views

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    re_path(r'^(?P<project_id>[^/]{1,64})/edit$', views.EditQuotasView.as_view(),
            name='edit'),
]
