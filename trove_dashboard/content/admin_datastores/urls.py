"""The Datastores panel's URLs: a version is addressed by its datastore and its id."""
from django.urls import re_path

from trove_dashboard.content.admin_datastores import views

VERSION = r'^(?P<datastore_id>[^/]+)/(?P<version_id>[^/]+)/'

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    re_path(r'^register$', views.RegisterView.as_view(), name='register'),
    re_path(VERSION + r'$', views.DetailView.as_view(), name='detail'),
    re_path(VERSION + r'edit$', views.EditView.as_view(), name='edit'),
    re_path(VERSION + r'visibility$', views.VisibilityView.as_view(), name='visibility'),
    re_path(VERSION + r'members/add$', views.AddMemberView.as_view(), name='add_member'),
]
