"""The Backups panel's URLs: backups, and an instance's backup schedules."""
from django.urls import re_path

from trove_dashboard.content.database_backups import schedule_views
from trove_dashboard.content.database_backups import views

UUID = r'[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}'
BACKUP = r'^(?P<backup_id>%s)/' % UUID
SCHEDULES = r'^instances/(?P<instance_id>%s)/schedules/' % UUID
SCHEDULE = SCHEDULES + r'(?P<schedule_id>%s)/' % UUID

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    re_path(r'^create$', views.CreateBackupView.as_view(), name='create'),
    re_path(BACKUP + r'$', views.DetailView.as_view(), name='detail'),
    re_path(SCHEDULES + r'$', schedule_views.SchedulesView.as_view(), name='schedules'),
    re_path(SCHEDULES + r'create$', schedule_views.CreateScheduleView.as_view(),
            name='create_schedule'),
    re_path(SCHEDULE + r'$', schedule_views.ScheduleDetailView.as_view(), name='schedule'),
]
