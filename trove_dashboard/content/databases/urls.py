"""The Instances panel's URLs; Horizon mounts them at /project/databases/ (the Overview
is the Project dashboard's default panel, at /project/)."""
from django.urls import re_path

from trove_dashboard.content.databases import form_views
from trove_dashboard.content.databases import metrics_views
from trove_dashboard.content.databases import module_views
from trove_dashboard.content.databases import replication_views
from trove_dashboard.content.databases import user_views
from trove_dashboard.content.databases import views

# Instance ids are UUIDs (the API refuses others): a mistyped path is the page's 404,
# never an API call for an instance that cannot exist.
INSTANCE = r'^(?P<instance_id>[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})/'

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    re_path(r'^launch$', views.LaunchInstanceView.as_view(), name='launch'),
    re_path(r'^launch/choices$', views.LaunchChoicesView.as_view(), name='launch_choices'),
    re_path(INSTANCE + r'$', views.DetailView.as_view(), name='detail'),
    re_path(INSTANCE + r'rename$', form_views.RenameView.as_view(), name='rename'),
    re_path(INSTANCE + r'metrics$', metrics_views.MetricsDataView.as_view(), name='metrics'),
    re_path(INSTANCE + r'resize_volume$', form_views.ResizeVolumeView.as_view(),
            name='resize_volume'),
    re_path(INSTANCE + r'resize_flavor$', form_views.ResizeFlavorView.as_view(),
            name='resize_flavor'),
    re_path(INSTANCE + r'enable_root$', form_views.EnableRootView.as_view(),
            name='enable_root'),
    re_path(INSTANCE + r'create_database$', form_views.CreateDatabaseView.as_view(),
            name='create_database'),
    re_path(INSTANCE + r'create_user$', form_views.CreateUserView.as_view(),
            name='create_user'),
    # The user is named in the query string (?user=name@host).
    re_path(INSTANCE + r'edit_user$', user_views.EditUserView.as_view(), name='edit_user'),
    re_path(INSTANCE + r'user_access$', user_views.ManageAccessView.as_view(),
            name='user_access'),
    re_path(INSTANCE + r'attach_configuration$', form_views.AttachConfigurationView.as_view(),
            name='attach_configuration'),
    re_path(INSTANCE + r'apply_module$', module_views.ApplyModuleView.as_view(),
            name='apply_module'),
    re_path(INSTANCE + r'promote$', replication_views.PromoteView.as_view(), name='promote'),
    re_path(INSTANCE + r'eject$', replication_views.EjectView.as_view(), name='eject'),
    re_path(INSTANCE + r'detach_replica$', replication_views.DetachView.as_view(),
            name='detach_replica'),
    re_path(INSTANCE + r'modules/(?P<module_id>[0-9a-fA-F-]{32,36})/download$',
            module_views.DownloadModuleView.as_view(), name='download_module'),
]
