"""The Flavors and Volume Types panel's URLs."""
from django.urls import re_path

from trove_dashboard.content.admin_flavors import views

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
]
