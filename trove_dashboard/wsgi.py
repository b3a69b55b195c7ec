"""Horizon (with this plugin) as a WSGI app, static files served by WhiteNoise."""
import os

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'openstack_dashboard.settings')

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from whitenoise import WhiteNoise  # noqa: E402

application = WhiteNoise(get_wsgi_application(), root=settings.STATIC_ROOT,
                         prefix=settings.STATIC_URL, max_age=86400)
