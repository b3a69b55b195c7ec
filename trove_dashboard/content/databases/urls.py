from django.urls import re_path

from trove_dashboard.content.databases import views

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
]
