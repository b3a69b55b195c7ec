"""The Flavors and Volume Types panel's URLs."""
from django.urls import re_path

from trove_dashboard.content.admin_flavors import views

# Flavor ids are the operator's text (at most 36 characters); volume types go by their id.
FLAVOR = r'^flavors/(?P<flavor_id>[^/]{1,36})/'
VOLUME_TYPE = r'^volume_types/(?P<volume_type_id>[^/]{1,36})/'

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    re_path(r'^flavors/create$', views.CreateFlavorView.as_view(), name='create_flavor'),
    re_path(FLAVOR + r'edit$', views.EditFlavorView.as_view(), name='edit_flavor'),
    re_path(r'^volume_types/create$', views.CreateVolumeTypeView.as_view(),
            name='create_volume_type'),
    re_path(VOLUME_TYPE + r'edit$', views.EditVolumeTypeView.as_view(),
            name='edit_volume_type'),
]
